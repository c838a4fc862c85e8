// What each target really sets for a workload, read from what it produces: the environment of a local
// process, the variables of a target's generated files. test/contract.test.ts compares these with
// `gantry env`. Every target Gantry deploys to has a reader here.
import { serviceEnv as processEnv } from "../../src/engine/local/env.js";
import type { AppModel, JobModel, ProjectModel, ServiceModel } from "../../src/model/types.js";
import { kubernetes } from "./kubernetes.js";
import { digitalocean } from "./digitalocean.js";
import { aws } from "./aws.js";
import { azure } from "./azure.js";

export interface ReaderInput {
  example: string;
  project: ProjectModel;
  app: AppModel;
  workload: ServiceModel | JobModel;
}

/** The names a target sets for the workload, sorted. */
export type NamesSet = (i: ReaderInput) => string[];

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();

/** The local runtime: the environment a process starts with, minus what it inherits. */
function local({ app, workload }: ReaderInput): string[] {
  const env = processEnv({
    model: app,
    service: workload,
    infra: {
      postgres: { port: 5432, user: "app", password: "pw" },
      redis: Object.fromEntries(Object.keys(app.redis).map((r) => [r, { port: 6379, password: "pw" }])),
      daprPort: 3500,
      bucketsDir: "/app/.gantry/dev/buckets",
    },
    release: "v1",
    // A job's run gets its id as GANTRY_INSTANCE when it starts (src/engine/local/jobs.ts).
    ...(workload.type === "job"
      ? { instance: `${workload.name}-20261122T013000` }
      : { instance: `${workload.name}-v1-1`, port: 4000 }),
    secrets: Object.fromEntries(workload.secrets.map((s) => [s, "value"])),
    base: { PATH: "/usr/bin" },
  });
  delete env.PATH;
  return sorted(Object.keys(env));
}

export const NAMES_SET: Record<string, NamesSet> = {
  local,
  kubernetes,
  azure,
  aws,
  digitalocean,
};
