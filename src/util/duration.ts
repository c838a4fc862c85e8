// The one parser of durations. The spec writes them as a whole number and a unit (30s, 5m, 2h, 7d);
// the runtime also reads its own settings in milliseconds and fractions (500ms, 1.5s).
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a duration such as 500ms, 1.5s, 30s, 5m, 2h or 7d; NaN when it is not one. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : NaN;
}

/** Seconds in a duration such as 30s, 5m, 2h or 7d; NaN when it is not one. */
export function seconds(d: string): number {
  return parseDurationMs(d) / 1000;
}

/** Milliseconds in a duration, or the fallback when there is none or it cannot be read. */
export function durationMs(text: string | undefined, fallback: number): number {
  const ms = text ? parseDurationMs(text) : NaN;
  return Number.isNaN(ms) ? fallback : ms;
}

/** "1h", "2h59m", "1m30s", "1.5s". */
export function humanMs(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const [h, m, s] = [Math.floor(minutes / 60), minutes % 60, Math.round((ms % 60_000) / 1000)];
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
