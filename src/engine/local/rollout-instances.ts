// The steps of a rollout that move instances and traffic: start the new instances, wait for their
// readiness, switch the proxy (and the topic deliveries and job schedules) to them and watch them for
// a moment, then drain and stop the old ones.
import { join } from "node:path";
import { splitCommand } from "./command.js";
import { Instance, sleep } from "./instance.js";
import type { DrainStep, OldInstances, StartStep, StopStep, SwitchStep, WaitStep } from "./plan.js";
import { freePort } from "./ports.js";
import type { Backend, ProxyTable } from "./proxy.js";
import { buildRoutes } from "./routing.js";
import { envOf, INTERRUPTED, type Failure, type Rollout } from "./rollout-context.js";

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export async function start(s: StartStep, r: Rollout): Promise<undefined> {
  for (const spec of s.services) {
    const svc = r.model.services[spec.service]!;
    if (svc.type === "static") continue;
    for (const id of spec.instances) {
      const port = spec.port ? await freePort() : 0;
      const env = envOf(r, svc, { id, ...(spec.port ? { port } : {}) });
      const argv = splitCommand(spec.command, spec.port ? { PORT: String(port) } : {});
      const inst = new Instance(
        id,
        spec.service,
        r.plan.release,
        port,
        argv,
        join(r.appCopy, spec.cwd),
        env,
        spec,
        r.rt,
      );
      r.started.push(inst);
      r.rt.instances.push(inst);
    }
  }
  r.emit({
    type: "step",
    message: `starting ${plural(r.started.length, "instance")}: ${s.services.map((x) => `${x.service} ×${x.instances.length}`).join(", ")}`,
  });
  await Promise.all(r.started.map((i) => i.start()));
  return undefined;
}

/** Why the rollout cannot wait any longer for the new instances, if it cannot. */
function notReady(r: Rollout, deadline: number): Failure | undefined {
  const dead = r.started.find((i) => i.status === "failed");
  if (dead)
    return {
      reason: `instance ${dead.id} ${dead.lastExit?.startsWith("could not start") ? dead.lastExit : `${dead.lastExit ?? "exited"} before it was ready`}`,
      logs: dead.tail.slice(-20),
      ...hint(dead),
    };
  if (r.started.every((i) => i.ready)) return undefined;
  if (r.aborted()) return { reason: INTERRUPTED };
  const late = r.started.find(
    (i) => !i.ready && Date.now() > (i.startedAt ?? Date.now()) + i.spec.startupTimeoutMs,
  );
  if (!late && Date.now() <= deadline) return undefined;
  const who = late ?? r.started.find((i) => !i.ready)!;
  const reason = `instance ${who.id} was not ready within ${who.spec.startupTimeoutMs / 1000}s (${who.checkName()} ${who.lastCheck})`;
  // An app whose database is down answers its readiness check with an error: the route is not what is missing.
  const down = r.rt.dataDown();
  if (down.length > 0)
    return {
      reason: `${reason}, while ${down.join(" and ")} ${down.length === 1 ? "was" : "were"} down`,
      logs: who.tail.slice(-20),
      hint: `the supervisor is starting ${down.join(" and ")} again (see \`gantry status\` and the supervisor's log); deploy again once ${down.length === 1 ? "it runs" : "they run"}`,
    };
  return { reason, logs: who.tail.slice(-20), ...hint(who) };
}

function hint(i: Instance): { hint?: string } {
  const h = i.hint();
  return h ? { hint: h } : {};
}

export async function wait(s: WaitStep, r: Rollout): Promise<Failure | undefined> {
  const deadline = Date.now() + Math.max(0, ...s.services.map((x) => x.timeoutMs));
  let lastReport = Date.now();
  for (;;) {
    const failure = notReady(r, deadline);
    if (failure) return failure;
    if (r.started.every((i) => i.ready)) return undefined;
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      // The first one not ready and why, so a wrong port or health path shows before the timeout.
      const waiting = r.started.find((i) => !i.ready);
      r.emit({
        type: "step",
        message: `waiting for readiness: ${r.started.filter((i) => i.ready).length}/${r.started.length} ready${waiting ? ` (${waiting.id}: ${waiting.checkName()} ${waiting.lastCheck})` : ""}`,
      });
    }
    await sleep(50);
  }
}

/** What serves before the switch, to switch back to. */
function serving(r: Rollout) {
  const { rt } = r;
  return {
    table: rt.proxy.getTable(),
    instances: rt.instances.filter((i) => i.serving),
    release: rt.serving,
    subscriptions: rt.pubsub?.subscriptions() ?? [],
    jobs: rt.scheduler.jobs(),
  };
}

async function switchBack(r: Rollout, old: ReturnType<typeof serving>): Promise<void> {
  const { rt } = r;
  rt.proxy.setTable(old.table);
  for (const i of old.instances) i.serving = true;
  for (const i of r.started) i.serving = false;
  rt.serving = old.release;
  r.switched = false;
  rt.scheduler.setJobs(old.jobs);
  if (rt.pubsub) await rt.pubsub.setSubscriptions(old.subscriptions);
}

export async function switchTo(s: SwitchStep, r: Rollout): Promise<Failure | undefined> {
  const { rt } = r;
  const old = serving(r);
  const backends: Record<string, Backend[]> = {};
  for (const i of r.started) (backends[i.service] ??= []).push(i);
  const statics: ProxyTable["statics"] = {};
  for (const x of s.statics)
    statics[x.service] = { root: join(r.appCopy, x.root), spa: x.spa, prefix: x.prefix };
  for (const i of rt.instances) i.serving = false;
  for (const i of r.started) i.serving = true;
  rt.proxy.setTable({ release: s.release, routes: buildRoutes(r.model), backends, statics });
  rt.serving = s.release;
  r.switched = true;
  // The schedules switch with the proxy; a run of the old release in progress finishes.
  rt.scheduler.setJobs(r.jobs);
  void rt.pubsub
    ?.setSubscriptions(s.subscriptions)
    .catch((e: unknown) => rt.log(`pub/sub: ${(e as Error).message}`));
  rt.persist();
  r.emit({ type: "step", message: `switched the proxy to ${s.release}` });
  // Watch the new instances for a moment before letting the old ones go.
  const watchUntil = Date.now() + s.crashWatchMs;
  while (Date.now() < watchUntil) {
    const crashed = r.started.find((i) => !i.alive || i.status === "crashed" || i.status === "crash-loop");
    if (crashed) {
      await switchBack(r, old);
      return {
        reason: `instance ${crashed.id} crashed right after the switch (${crashed.lastExit ?? "exited"}); switched back`,
        logs: crashed.tail.slice(-20),
      };
    }
    await sleep(50);
  }
  return undefined;
}

/** The old instances a step names (never one of the new ones, which may share an id after a rollback). */
function named<E extends OldInstances>(r: Rollout, services: E[]): { inst: Instance; entry: E }[] {
  return r.rt.instances.flatMap((inst) => {
    const entry = services.find((x) => x.service === inst.service && x.instances.includes(inst.id));
    return entry && !r.started.includes(inst) ? [{ inst, entry }] : [];
  });
}

export async function drain(s: DrainStep, r: Rollout): Promise<undefined> {
  const old = named(r, s.services);
  if (old.length > 0) r.emit({ type: "step", message: `draining ${plural(old.length, "old instance")}` });
  await Promise.all(old.map(({ inst, entry }) => inst.drain(entry.drainMs)));
  return undefined;
}

export async function stop(s: StopStep, r: Rollout): Promise<undefined> {
  const old = named(r, s.services);
  if (old.length > 0) r.emit({ type: "step", message: `stopping ${plural(old.length, "old instance")}` });
  await Promise.all(old.map(({ inst, entry }) => inst.stop(0, entry.graceMs)));
  const stopped = new Set(old.map((o) => o.inst));
  r.rt.instances = r.rt.instances.filter((i) => !stopped.has(i));
  return undefined;
}
