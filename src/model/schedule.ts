// What a job's `schedule` means, once for every platform: a 5-field cron expression or a macro, read as
// Vixie cron reads it (lists, ranges, steps, month and day names, 7 = Sunday, and "a day matches when
// either day field matches" when both are restricted). Each platform writes it in its own dialect from
// here: Kubernetes CronJobs (robfig/cron: no 7 for Sunday), EventBridge Scheduler (six fields, `?`,
// Sunday = 1), and the local scheduler, which runs it itself (src/engine/local/cron-next.ts).
import { cronProblem } from "../spec/cron.js";

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** A parsed expression: the allowed values of each field. */
export interface CronFields {
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday; a 7 in the expression is stored as 0. */
  daysOfWeek: ReadonlySet<number>;
  /** Vixie cron: a day field that starts with `*` (also `*\/2`) does not restrict the day. */
  domStar: boolean;
  dowStar: boolean;
}

/** The five fields as written, with a macro written out. */
export function cronText(expr: string): [string, string, string, string, string] {
  const e = expr.trim();
  const [mi = "", h = "", dom = "", mo = "", dow = ""] = (MACROS[e.toLowerCase()] ?? e).split(/\s+/);
  return [mi, h, dom, mo, dow];
}

function field(text: string, min: number, max: number, names: readonly string[], nameBase: number) {
  const value = (tok: string): number => {
    const i = names.indexOf(tok.toLowerCase());
    return i >= 0 ? i + nameBase : Number(tok);
  };
  const out = new Set<number>();
  for (const item of text.split(",")) {
    const [range = "*", stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo = min;
    let hi = max;
    if (range !== "*") {
      const [a = "", b] = range.split("-");
      lo = value(a);
      // "5/15" is "5-max/15", as in Vixie cron; a single value without a step is just itself.
      hi = b !== undefined ? value(b) : stepText !== undefined ? max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a 5-field expression or a macro; throws with the spec check's message when it is not valid. */
export function parseCron(expr: string): CronFields {
  const problem = cronProblem(expr);
  if (problem) throw new Error(`invalid cron expression "${expr}": ${problem}`);
  const [mi, h, dom, mo, dow] = cronText(expr);
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  const daysOfWeek = field(dow, 0, 7, DAYS, 0);
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  return {
    minutes: sorted(field(mi, 0, 59, [], 0)),
    hours: sorted(field(h, 0, 23, [], 0)),
    daysOfMonth: field(dom, 1, 31, [], 1),
    months: field(mo, 1, 12, MONTHS, 1),
    daysOfWeek,
    domStar: dom.startsWith("*"),
    dowStar: dow.startsWith("*"),
  };
}

/** Values as a cron list, runs of three or more written as ranges: [1,2,3,5] → "1-3,5". */
function list(values: Iterable<number>): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j]! + 1) j++;
    out.push(j - i >= 2 ? `${v[i]}-${v[j]}` : v.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return out.join(",");
}

/**
 * The schedule as a Kubernetes CronJob reads it (robfig/cron): the fields as written, a macro written
 * out, and a day of week that names 7 for Sunday rewritten with 0 (robfig refuses 7).
 */
export function kubernetesSchedule(expr: string): string {
  const fields = cronText(expr);
  const dow = fields[4];
  const c = parseCron(expr);
  const namesSeven = !dow.startsWith("*") && field(dow, 0, 7, DAYS, 0).has(7);
  if (namesSeven) fields[4] = c.daysOfWeek.size === 7 ? "*" : list(c.daysOfWeek);
  return fields.join(" ");
}

/**
 * The schedule as EventBridge Scheduler reads it, `cron(minutes hours day-of-month month day-of-week
 * year)`: one of the day fields must be `?`, and days of the week run from 1 (Sunday) to 7. Undefined
 * when it cannot say the same thing: both day fields restricted means "either" in cron, which
 * EventBridge has no way to write (eventBridgeProblem says so).
 */
export function eventBridgeSchedule(expr: string): string | undefined {
  const [mi, h, dom, mo] = cronText(expr);
  const c = parseCron(expr);
  const anyDay = c.daysOfMonth.size === 31;
  const anyWeekday = c.daysOfWeek.size === 7;
  if (!anyDay && !anyWeekday) return undefined;
  // The day field that restricts nothing becomes `?`.
  const [day, weekday] = anyWeekday ? [dom, "?"] : ["?", list([...c.daysOfWeek].map((d) => d + 1))];
  return `cron(${mi} ${h} ${day} ${mo} ${weekday} *)`;
}

/** Why EventBridge Scheduler cannot run a schedule as written, or undefined when it can. */
export function eventBridgeProblem(expr: string): string | undefined {
  if (cronProblem(expr)) return undefined;
  return eventBridgeSchedule(expr) === undefined
    ? "EventBridge Scheduler cannot run on a day of the month and a day of the week at once (in cron either one matches)"
    : undefined;
}
