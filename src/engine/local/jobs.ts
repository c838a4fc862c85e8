// The supervisor's side of scheduled jobs: what a release's jobs run (command, directory and the same
// environment as its services), and how one attempt is started, through src/util/exec.ts like every
// other process. The timing lives in scheduler.ts.
import { join } from "node:path";
import type { AppModel } from "../../model/types.js";
import { spawnProcess } from "../../util/exec.js";
import { pidStartTicks } from "./fsutil.js";
import { splitCommand } from "./command.js";
import { parseCron } from "../../model/schedule.js";
import { timeZoneProblem } from "./cron-next.js";
import { serviceEnv, type Infra } from "./env.js";
import { eachLine } from "./output.js";
import type { ScheduledJob } from "./plan.js";
import type { Attempt, JobDefinition } from "./scheduler.js";

export interface LocalJob extends JobDefinition {
  argv: string[];
  cwd: string;
  /** Holds secret values: kept in memory only, never in state.json. */
  env: Record<string, string>;
}

export interface JobsInput {
  jobs: ScheduledJob[];
  model: AppModel;
  release: string;
  /** The release's copy of the app. */
  appCopy: string;
  infra: Infra;
  secrets: Record<string, string>;
  base: Record<string, string>;
}

/**
 * The jobs of a release, ready to schedule. Throws (failing the rollout before anything starts) on a
 * command Gantry cannot run without a shell, or a schedule or time zone it cannot read.
 */
export function jobDefinitions(i: JobsInput): LocalJob[] {
  return i.jobs.map((step) => {
    const job = i.model.services[step.service];
    if (job?.type !== "job") throw new Error(`${step.service} is not a job`);
    const tz = timeZoneProblem(step.timezone);
    if (tz) throw new Error(`job ${step.service}: ${tz}`);
    try {
      parseCron(step.schedule);
    } catch (e) {
      throw new Error(`job ${step.service}: ${(e as Error).message}`);
    }
    return {
      name: step.service,
      release: i.release,
      schedule: step.schedule,
      timezone: step.timezone,
      command: step.command,
      timeoutMs: step.timeoutMs,
      retries: step.retries,
      argv: splitCommand(step.command, {}),
      cwd: join(i.appCopy, step.cwd),
      env: serviceEnv({
        model: i.model,
        service: job,
        infra: i.infra,
        release: i.release,
        secrets: i.secrets,
        base: i.base,
      }),
    };
  });
}

/** Starts one attempt of a job's run; its output goes to `line`. */
export async function startJobProcess(
  job: LocalJob,
  runId: string,
  line: (text: string) => void,
): Promise<Attempt> {
  const [cmd, ...args] = job.argv;
  // A group of its own: a timeout or `down` stops what the job started too, not only its first process.
  const p = await spawnProcess(cmd!, args, {
    cwd: job.cwd,
    env: { ...job.env, GANTRY_INSTANCE: runId },
    group: true,
  });
  const startTicks = pidStartTicks(p.pid);
  void eachLine(p.stdout, line);
  void eachLine(p.stderr, line);
  // The process may exit before its pipes are read to the end: wait for both to close, so that the
  // run's last lines are in its log (and reach `gantry run`) before the run is reported as ended.
  const closed = (s: NodeJS.ReadableStream | null) =>
    s ? new Promise<void>((r) => s.once("close", () => r())) : Promise.resolve();
  const drained = Promise.all([closed(p.stdout), closed(p.stderr)]);
  return {
    pid: p.pid,
    cmd: job.argv.join(" "),
    ...(startTicks !== undefined ? { startTicks } : {}),
    exited: p.exited.then(async (r) => {
      // At most 2 s: a child the job left behind may hold the pipes open.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((res) => (timer = setTimeout(res, 2000)))]);
      clearTimeout(timer);
      return r;
    }),
    kill: (signal) => p.kill(signal),
  };
}
