// How `gantry status` shows scheduled jobs, and how `gantry run` reports the end of a run. Pure: the
// supervisor's state and the time come in as arguments.
import { formatWall } from "../engine/local/cron-next.js";
import { humanMs } from "../util/duration.js";
import type { JobInfo, RunRecord } from "../engine/local/scheduler.js";
import { age, table } from "./format.js";

/** How far ahead a time is, coarser the further it is: "in 25s", "in 4m10s", "in 16h0m", "in 39d20h". */
function until(iso: string, now: number): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return "now";
  if (s < 60) return `in ${s}s`;
  if (s < 3600) return `in ${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  if (s < 2 * 86_400) return `in ${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `in ${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/** A time on the job's own wall clock (its schedule is read there), UTC for a job no longer scheduled. */
function when(iso: string, tz: string | undefined): string {
  return formatWall(Date.parse(iso), tz ?? "UTC") + (tz ? "" : " UTC");
}

export function formatJobs(jobs: JobInfo[], now = Date.now()): string {
  const rows = [["JOB", "SCHEDULE", "TIMEZONE", "NEXT RUN", "RUNNING", "LAST RUN", "DURATION", "RESULT"]];
  const notes: string[] = [];
  for (const j of jobs) {
    const r = j.running;
    const last = j.lastRun;
    rows.push([
      j.name,
      j.schedule ?? "-",
      j.timezone ?? "-",
      j.nextRun
        ? `${when(j.nextRun, j.timezone)} (${until(j.nextRun, now)})`
        : j.schedule
          ? `never: ${j.problem ?? "?"}`
          : "(no longer scheduled)",
      !r
        ? "no"
        : r.retryAt
          ? `retry ${r.attempt + 1} ${until(r.retryAt, now)}`
          : `yes, ${age(r.startedAt, now)}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ""}`,
      last ? `${when(last.startedAt, j.timezone)} (${age(last.startedAt, now)} ago)` : "-",
      last ? humanMs(last.durationMs) : "-",
      last ? `${last.result}: ${last.reason}` : "-",
    ]);
    if (j.skipped > 0)
      notes.push(
        `note: ${j.name} skipped ${j.skipped} run${j.skipped === 1 ? "" : "s"} (the previous one was still running, or the run was missed), the last ${age(j.lastSkipped, now)} ago; see \`gantry logs ${j.name}\``,
      );
  }
  return table(rows) + notes.map((n) => `${n}\n`).join("");
}

/** The message of a run that did not succeed, for `gantry run`. */
export function runFailure(job: string, r: RunRecord): string {
  switch (r.result) {
    case "failed":
      return `job ${job} failed: ${r.reason}`;
    case "not-started":
      return `job ${job} ${r.reason}`;
    case "stopped":
      return `job ${job} was ${r.reason}`;
    default:
      return `job ${job} ${r.reason}`;
  }
}
