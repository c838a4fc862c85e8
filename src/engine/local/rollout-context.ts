// What the steps of one rollout share while the supervisor applies them (see rollout.ts).
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import { serviceEnv } from "./env.js";
import type { Instance } from "./instance.js";
import type { LocalJob } from "./jobs.js";
import type { DeployPlan } from "./plan.js";
import type { RolloutEvent } from "./protocol.js";
import type { ReleaseRecord } from "./release.js";
import type { Runtime } from "./runtime.js";

/** What the steps of one rollout share. */
export interface Rollout {
  rt: Runtime;
  plan: DeployPlan;
  rec: ReleaseRecord;
  model: AppModel;
  /** The release's copy of the app. */
  appCopy: string;
  emit(e: RolloutEvent): void;
  /** The command that asked for the rollout went away. */
  aborted(): boolean;
  /** The values of the release's secrets (unseal). */
  secrets: Record<string, string>;
  /** The release's jobs, scheduled from the switch on. */
  jobs: LocalJob[];
  /** The new instances, stopped if the rollout fails. */
  started: Instance[];
  /** The proxy serves the release: an abandoned command no longer abandons the rollout. */
  switched: boolean;
}

/** Why a step failed: the reason, the last log lines that tell more, what to change. */
export interface Failure {
  reason: string;
  logs?: string[];
  hint?: string;
}

export const INTERRUPTED = "interrupted: the command that asked for the deploy went away";

/** The environment of a process of the release: of an instance when `instance` is given. */
export function envOf(
  r: Rollout,
  service: ServiceModel | JobModel,
  instance?: { id: string; port?: number },
): Record<string, string> {
  return serviceEnv({
    model: r.model,
    service,
    infra: r.rt.infra(),
    release: r.plan.release,
    ...(instance ? { instance: instance.id } : {}),
    ...(instance?.port !== undefined ? { port: instance.port } : {}),
    secrets: r.secrets,
    base: r.rt.o.baseEnv,
  });
}
