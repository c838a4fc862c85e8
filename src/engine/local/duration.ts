// Spec durations ("500ms", "10s", "5m", "1h", "7d") in milliseconds.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return fallback;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}
