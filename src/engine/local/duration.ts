// Spec durations ("500ms", "10s", "5m", "1h", "7d") in milliseconds, and back to text for people.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return fallback;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** "1h", "2h59m", "1m30s", "1.5s". */
export function humanMs(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const [h, m, s] = [Math.floor(minutes / 60), minutes % 60, Math.round((ms % 60_000) / 1000)];
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
