// What the Helm chart gives a workload's containers, read from the committed manifests of the example's
// environment (rendered/<env>/, which the Kubernetes tests hold equal to the generator and to `helm
// template`): the keys of the ConfigMaps its container reads with envFrom and the names in its env.
// A service's migrations Job must give its container exactly the same names.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../helpers.js";
import type { ReaderInput } from "./targets.js";

interface Container {
  name: string;
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    template?: { spec: { containers: Container[] } };
    jobTemplate?: { spec: { template: { spec: { containers: Container[] } } } };
  };
}

function manifests(example: string, environment: string): Manifest[] {
  const dir = join(REPO_ROOT, "examples", example, "deploy", "kubernetes", "rendered", environment);
  return readdirSync(dir).flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS() as Manifest),
  );
}

/** The names one container receives: its ConfigMaps' keys, then its own env. */
function containerNames(all: Manifest[], c: Container): string[] {
  const fromConfigMaps = (c.envFrom ?? []).flatMap((e) => {
    const ref = e.configMapRef?.name;
    const map = all.find((m) => m.kind === "ConfigMap" && m.metadata.name === ref);
    if (!map) throw new Error(`${c.name} reads ConfigMap ${ref}, which is not rendered`);
    return Object.keys(map.data ?? {});
  });
  return [...fromConfigMaps, ...(c.env ?? []).map((e) => e.name)];
}

const one = (list: Container[] | undefined, what: string): Container => {
  if (list?.length !== 1) throw new Error(`${what} has ${list?.length ?? 0} containers, not 1`);
  return list[0]!;
};

export function kubernetes({ example, app, workload }: ReaderInput): string[] {
  const all = manifests(example, app.environment.name);
  const find = (kind: string, name: string) => all.find((m) => m.kind === kind && m.metadata.name === name);
  const w = workload.name;
  const main =
    workload.type === "job"
      ? one(find("CronJob", w)?.spec?.jobTemplate?.spec.template.spec.containers, `CronJob ${w}`)
      : one(find("Deployment", w)?.spec?.template?.spec.containers, `Deployment ${w}`);
  const names = [...new Set(containerNames(all, main))].sort();
  const migrations = find("Job", `${w}-migrations`);
  if (migrations) {
    const job = one(migrations.spec?.template?.spec.containers, `Job ${w}-migrations`);
    const inJob = [...new Set(containerNames(all, job))].sort();
    if (inJob.join() !== names.join())
      throw new Error(`the migrations Job of ${w} sets ${inJob.join(", ")}; ${w} gets ${names.join(", ")}`);
  }
  return names;
}
