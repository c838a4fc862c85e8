// The executor of each kind of step a rollout's plan holds, one small function each: the loop in
// rollout.ts hands every step to the executor of its kind. Instances and traffic are in
// rollout-instances.ts.
import { exec } from "../../util/exec.js";
import { join } from "node:path";
import { splitCommand } from "./command.js";
import { jobDefinitions } from "./jobs.js";
import {
  KEEP_RELEASES,
  type DatabasesStep,
  type JobsStep,
  type MigrateStep,
  type PruneStep,
  type RecordStep,
  type SupervisorStep,
  type UnsealStep,
} from "./plan.js";
import { backupsOf } from "./backups.js";
import { ensureAppDatabases, provision } from "./provision.js";
import { listReleases, pruneReleases, readRelease, updateRelease } from "./release.js";
import { envOf, type Failure, type Rollout } from "./rollout-context.js";
import { drain, start, stop, switchTo, wait } from "./rollout-instances.js";

/** A step's executor: resolves with why the step failed, or undefined when it succeeded. */
type Executor<S> = (step: S, r: Rollout) => Failure | undefined | Promise<Failure | undefined>;
type Executors = { [K in SupervisorStep["kind"]]: Executor<Extract<SupervisorStep, { kind: K }>> };

function unseal(s: UnsealStep, r: Rollout): Failure | undefined {
  // The versions the release was built with: a rollback brings back its secrets too.
  for (const { name, service } of s.secrets) {
    const v = r.rt.store.get(name, r.rec.secrets[name]);
    if (v === undefined)
      return { reason: `secret ${name} (used by ${service}) is not set; run \`gantry secrets set ${name}\`` };
    r.secrets[name] = v;
  }
  r.rt.addSecretValues(r.secrets);
  return undefined;
}

function jobs(s: JobsStep, r: Rollout): undefined {
  r.jobs = jobDefinitions({
    jobs: s.jobs,
    model: r.model,
    release: r.plan.release,
    appCopy: r.appCopy,
    infra: r.rt.infra(),
    secrets: r.secrets,
    base: r.rt.o.baseEnv,
  });
  return undefined;
}

async function databases(s: DatabasesStep, r: Rollout): Promise<undefined> {
  await ensureAppDatabases(r.rt, s.databases);
  return undefined;
}

async function migrate(m: MigrateStep, r: Rollout): Promise<Failure | undefined> {
  const point = await restorePoint(r);
  if (point) r.emit({ type: "step", message: `restore point before the migrations: backup ${point}` });
  r.emit({ type: "step", message: `migrating (${m.service}): ${m.command}` });
  const svc = r.model.services[m.service]!;
  if (svc.type === "static") return undefined;
  const argv = splitCommand(m.command, {});
  const res = await exec(argv[0]!, argv.slice(1), {
    cwd: join(r.appCopy, m.cwd),
    env: envOf(r, svc),
    timeoutMs: m.timeoutMs,
  });
  const out = `${res.stdout}${res.stderr}`.split("\n").filter((l) => l.trim() !== "");
  for (const l of out) r.rt.writeLog(m.service, `${m.service}-migrate`, l);
  if (res.code === 0) return undefined;
  return {
    reason: res.timedOut
      ? `migrations of ${m.service} took longer than ${m.timeoutMs / 1000}s`
      : `migrations of ${m.service} failed (exit code ${res.code})`,
    logs: out.slice(-20).map((l) => r.rt.redact(l)),
  };
}

/**
 * A backed-up environment records a restore point before a release's migrations (once per release):
 * `gantry rollback --data` returns the database to it. One that cannot be taken fails the rollout.
 */
async function restorePoint(r: Rollout): Promise<string | undefined> {
  const svc = backupsOf(r.rt);
  if (!svc?.b || !r.rt.pg || r.rt.pg.down) return undefined;
  const taken = readRelease(r.rt.paths, r.plan.release)?.restorePoint;
  if (taken) return taken;
  const { id } = await svc.backup("incr", `before-migrate ${r.plan.release}`);
  if (id) updateRelease(r.rt.paths, r.plan.release, { restorePoint: id });
  return id;
}

function record(s: RecordStep, r: Rollout): undefined {
  const { rt } = r;
  rt.deploying = undefined;
  const cur = readRelease(rt.paths, s.release);
  updateRelease(rt.paths, s.release, {
    status: "active",
    activations: [...(cur?.activations ?? []), new Date().toISOString()],
  });
  if (s.replaces && s.replaces !== s.release) updateRelease(rt.paths, s.replaces, { status: "superseded" });
  // A release left "deploying" by a rollout that never finished is failed, not pending.
  for (const x of listReleases(rt.paths))
    if (x.id !== s.release && (x.status === "deploying" || x.status === "active"))
      updateRelease(rt.paths, x.id, {
        status: x.status === "active" ? "superseded" : "failed",
        ...(x.status === "deploying" ? { reason: "interrupted" } : {}),
      });
  rt.persist();
  return undefined;
}

function prune(s: PruneStep, r: Rollout): undefined {
  const { rt } = r;
  const inUse = new Set([
    r.plan.release,
    ...rt.instances.map((i) => i.release),
    ...rt.scheduler.info().flatMap((j) => (j.running ? [j.running.release] : [])),
  ]);
  // In the background: the rollout is done, and the removal takes a while for a large app.
  void pruneReleases(rt.paths, inUse, s.keep).then(
    (pruned) => {
      if (pruned.length > 0)
        rt.log(
          `removed the copies of the app of ${pruned.join(", ")} (older than the newest ${KEEP_RELEASES} releases)`,
        );
    },
    (e: unknown) => rt.log(`could not remove old copies of the app: ${(e as Error).message}`),
  );
  return undefined;
}

const executors: Executors = {
  unseal,
  provision: async (s, r) => {
    try {
      await provision(r.rt, s);
      return undefined;
    } catch (e) {
      return { reason: `could not start what the release needs: ${(e as Error).message}` };
    }
  },
  jobs,
  databases,
  migrate,
  start,
  wait,
  switch: switchTo,
  drain,
  stop,
  record,
  prune,
};

/** Runs one step with the executor of its kind (the table's type pairs each kind with its step). */
export async function runStep(step: SupervisorStep, r: Rollout): Promise<Failure | undefined> {
  return await (executors[step.kind] as Executor<SupervisorStep>)(step, r);
}
