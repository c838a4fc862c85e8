// When a scheduled job runs next: Vixie-cron semantics (lists, ranges, steps, names, 7 = Sunday,
// @macros, and "a day matches when EITHER day field matches" when both are restricted), read in an
// IANA time zone through Intl. Pure: the time to start from is an argument, never the clock.
//
// Daylight-saving time, decided once for every job:
// - a wall-clock time skipped by a spring-forward (02:30 on the night clocks jump 02:00 → 03:00)
//   runs at the first minute that exists after the gap (03:00); several skipped times run once there;
// - a wall-clock time repeated by a fall-back (01:30 happens twice) runs once, at its first occurrence.
//   So a job that runs every few minutes pauses during the repeated hour: every wall-clock minute runs
//   once. Jobs that need a steady cadence across DST should use the default time zone, UTC.
import { timeZoneProblem } from "../../spec/cron.js";
import { parseCron, type CronFields } from "../../model/schedule.js";

export { timeZoneProblem };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Longer than any DST shift in the time zone database (2 h, Antarctica/Troll), so a lower bound. */
const MAX_SHIFT = 3 * HOUR;
/**
 * The Gregorian calendar repeats its dates and weekdays every 400 years, so a schedule that matches no
 * day in that span never matches. Shorter spans miss real ones: "0 0 29 2 1" (Feb 29 on a Monday)
 * comes 28 years apart, and across a century that is not a leap year, more.
 */
const SEARCH_DAYS = 146_097;

/** Whether the calendar day (a UTC midnight standing for a wall-clock date) matches. */
function dayMatches(c: CronFields, day: Date): boolean {
  if (!c.months.has(day.getUTCMonth() + 1)) return false;
  const dom = c.daysOfMonth.has(day.getUTCDate());
  const dow = c.daysOfWeek.has(day.getUTCDay());
  return c.domStar || c.dowStar ? dom && dow : dom || dow;
}

const UTC_NAMES = new Set(["UTC", "Etc/UTC", "GMT", "Etc/GMT", "Etc/Universal", "Universal", "Zulu"]);
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time at instant `ms` in `timeZone`, encoded as if that wall time were UTC. */
export function wallClock(ms: number, timeZone: string): number {
  const seconds = Math.floor(ms / 1000) * 1000;
  if (UTC_NAMES.has(timeZone)) return seconds;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(seconds))) parts[p.type] = Number(p.value);
  const n = (k: string) => parts[k] ?? 0;
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour") % 24, n("minute"), n("second"));
}

/** The instants whose wall-clock time in `timeZone` is `wall`: none in a gap, two in a repeated hour. */
function instantsOf(wall: number, timeZone: string): number[] {
  const offsets = new Set(
    [wall - DAY, wall, wall + DAY].map(
      (probe) => wallClock(probe, timeZone) - Math.floor(probe / 1000) * 1000,
    ),
  );
  const out: number[] = [];
  for (const o of offsets) if (wallClock(wall - o, timeZone) === wall) out.push(wall - o);
  return out.sort((a, b) => a - b);
}

/** The instant a wall-clock time runs at: its first occurrence, or the end of the gap it falls in. */
function runInstant(wall: number, timeZone: string): number {
  for (let w = wall; w < wall + DAY; w += MINUTE) {
    const first = instantsOf(w, timeZone)[0];
    if (first !== undefined) return first;
  }
  throw new Error(`no valid time within a day after a gap in ${timeZone}`);
}

/**
 * The first run strictly after `after`, or undefined when the expression never matches a real date
 * (`0 0 30 2 *`). Throws on an invalid expression or an unknown time zone.
 */
export function nextRun(expr: string, after: Date, timeZone = "UTC"): Date | undefined {
  const c = parseCron(expr);
  const problem = timeZoneProblem(timeZone);
  if (problem) throw new Error(problem);
  const afterMs = after.getTime();
  const wallAfter = wallClock(afterMs, timeZone);
  // Wall times this far before `after`'s own wall time cannot run after it, whatever DST does.
  const lowerBound = wallAfter - MAX_SHIFT;
  // From the day before: a time in a gap can run later than its wall-clock time says.
  const firstDay = Math.floor(wallAfter / DAY) * DAY - DAY;
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const day = firstDay + i * DAY;
    if (!dayMatches(c, new Date(day))) continue;
    for (const h of c.hours)
      for (const m of c.minutes) {
        const wall = day + h * HOUR + m * MINUTE;
        if (wall <= lowerBound) continue;
        const t = runInstant(wall, timeZone);
        // Wall times map to instants in order, so the first one after `after` is the next run.
        if (t > afterMs) return new Date(t);
      }
  }
  return undefined;
}

/** "2026-11-23 03:00" in the job's time zone, for `gantry status`. */
export function formatWall(ms: number, timeZone: string): string {
  return new Date(wallClock(ms, timeZone)).toISOString().slice(0, 16).replace("T", " ");
}
