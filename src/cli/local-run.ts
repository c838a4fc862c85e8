// `gantry run JOB`: a scheduled job of the serving release, run now by the supervisor; its output is
// streamed, and the command exits 1 if the run does not succeed.
import type { Command } from "commander";
import { UserError } from "../errors.js";
import { liveState, requestJobRun } from "../engine/local/client.js";
import { humanMs } from "../util/duration.js";
import { runFailure } from "./local-jobs.js";
import { appArguments, interruptible, progress, localAppLoose } from "./local-app.js";
import type { Io } from "./main.js";

async function run(job: string, path: string, opts: { env?: string; retry: boolean }, io: Io): Promise<void> {
  const { paths } = localAppLoose(path, opts.env, io);
  const live = await liveState(paths);
  if (!live?.release)
    throw new UserError("the app is not running", `start it with \`gantry up\`, then \`gantry run ${job}\``);
  const jobs = (live.jobs ?? []).filter((j) => j.schedule).map((j) => j.name);
  if (!jobs.includes(job)) {
    const service = live.instances.some((i) => i.service === job);
    throw new UserError(
      service
        ? `${job} is a service, not a scheduled job`
        : `there is no job ${job} in the serving release ${live.release}`,
      jobs.length > 0
        ? `its jobs: ${jobs.join(", ")}`
        : "a job is a service with a `schedule` in gantry.yaml; add one, then `gantry deploy`",
    );
  }
  const p = progress(io);
  const stop = interruptible();
  let record;
  try {
    record = await requestJobRun(paths, job, { retry: opts.retry, signal: stop.signal }, (e) => {
      if (e.type === "line") io.out(`${e.text}\n`);
      else if (e.type === "step") p(e.message);
    });
  } finally {
    stop.dispose();
  }
  if (record.result !== "succeeded")
    throw new UserError(runFailure(job, record), `see \`gantry logs ${job}\` and \`gantry status\``);
  p(`${record.id} succeeded in ${humanMs(record.durationMs)} (${record.reason})`);
}

export function registerRun(program: Command, io: Io): void {
  appArguments(
    program
      .command("run")
      .description(
        "Run a scheduled job now in the serving release, stream its output, and exit 1 if it fails.",
      )
      .argument("<job>", "a service with a `schedule`"),
  )
    .option("--no-retry", "run once, without the job's `retries`")
    .action((job: string, path: string, opts: { env?: string; retry: boolean }) => run(job, path, opts, io));
}
