// `gantry synth kubernetes`: a Helm chart, the plain manifests of each environment rendered from
// the same values, and the cluster bootstrap. One model, two outputs: values.ts builds the values of
// each environment, objects.ts and the chart's templates turn the same values into the same objects.
import { printK8sDocuments, printK8sYaml } from "./print.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { FileTree, Target, TargetProblem } from "../target.js";
import { bootstrapTree } from "./bootstrap.js";
import { deployReadme } from "./readme.js";
import {
  baseValues,
  chartTemplates,
  fileValues,
  chartYaml,
  jsonText,
  notes,
  valuesDiff,
  valuesSchema,
} from "./chart.js";
import { objectsByTemplate } from "./manifests.js";
import { kubernetesSettings, LOCAL_REGISTRY } from "./settings.js";
import { HELPERS } from "./templates.js";
import type { ChartValues } from "./values.js";
import { buildValues } from "./values-environment.js";

const NAME_MAX = 52; // 63 (a DNS label) less "-migrations"

function check(project: ProjectModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  const push = (p: TargetProblem) => {
    const key = `${p.path}|${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };
  for (const app of project.environments) {
    const env = app.environment.name;
    const k8s = kubernetesSettings(app);
    const builds = Object.values(app.services).filter((s) => s.type === "static" || !s.image);
    if (builds.length && k8s.registrySource === "local") {
      if (app.targets.kubernetes) {
        push({
          path: "targets.kubernetes.registry",
          message: `services ${builds.map((s) => `\`${s.name}\``).join(", ")} are built from source, but nothing says which registry their images are pushed to`,
          hint: "set targets.kubernetes.registry (such as ghcr.io/acme), or ci.repository to use its GitHub Container Registry, or give each service an `image`",
        });
      } else {
        const first = builds[0]!;
        push({
          severity: "warning",
          path: `services.${first.name}.${first.type === "static" ? "static" : "build"}`,
          message: `no registry is set, so images are pulled from ${LOCAL_REGISTRY} (a local registry, as kind and k3d use)`,
          hint: "set targets.kubernetes.registry, or ci.repository, for a real cluster",
        });
      }
    }
    if (
      app.targets.kubernetes?.registry &&
      !/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(app.targets.kubernetes.registry.replace(/\/+$/, ""))
    ) {
      push({
        path: "targets.kubernetes.registry",
        message: `\`${app.targets.kubernetes.registry}\` is not an image registry path`,
        hint: "lower case host and path, such as ghcr.io/acme",
      });
    }
    for (const svc of Object.values(app.services)) {
      const base = `services.${svc.name}`;
      if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(svc.name) || svc.name.length > NAME_MAX) {
        push({
          path: base,
          message: `\`${svc.name}\` cannot name Kubernetes objects`,
          hint: `use lower case letters, digits and dashes, at most ${NAME_MAX} characters`,
        });
      }
      if (svc.type === "static") continue;
      if (svc.image?.includes("@")) {
        push({
          path: `${base}.image`,
          message: "images pinned by digest are not supported by the Kubernetes target",
          hint: "pin a tag (such as nginx:1.27.3); the chart composes <repository>:<tag>",
        });
      }
      if (svc.type === "job") continue;
      if (svc.rollout.max_surge === 0 && svc.rollout.max_unavailable === 0) {
        push({
          env,
          path: `${base}.rollout`,
          message: "max_surge and max_unavailable cannot both be 0: the rollout could never progress",
          hint: "keep max_surge: 1",
        });
      }
      if (svc.type === "http" && (!svc.health || (!svc.health.liveness && !svc.health.readiness))) {
        push({
          severity: "warning",
          path: `${base}.health`,
          message: "without a health check Kubernetes cannot tell a broken pod from a healthy one",
          hint: "set health: /health",
        });
      }
      if (svc.domains.length && !svc.port) {
        push({
          env,
          path: `${base}.domain`,
          message: "a service with a domain needs a port to route to",
          hint: "set port",
        });
      }
    }
    for (const [name, t] of Object.entries(app.topics)) {
      const store = t.idempotency?.store;
      if (store && !app.postgres[store] && !app.redis[store]) {
        push({
          path: `topics.${name}.idempotency.store`,
          message: `\`${store}\` is not a PostgreSQL or Redis entry, so no Dapr state store can be made for it`,
          hint: "name an entry of postgres or redis",
        });
      }
    }
    for (const [name, a] of Object.entries(app.monitoring.alerts)) {
      for (const s of a.services) {
        const svc = app.services[s];
        if (
          svc &&
          (svc.type === "static" || svc.type === "job") &&
          (a.metric === "error_rate" || a.metric === "latency_p95")
        ) {
          push({
            severity: "warning",
            path: `monitoring.alerts.${name}.services`,
            message: `\`${s}\` serves no measured HTTP traffic, so ${a.metric} cannot be alerted on for it`,
          });
        }
      }
    }
  }
  problems.push(...collisions(project));
  return problems;
}

/** Two spec entries that would give objects of the same kind and name (a service called `postgres-db` next to postgres `db`). */
function collisions(project: ProjectModel): TargetProblem[] {
  const out: TargetProblem[] = [];
  const app = project.environments[0];
  if (!app) return out;
  const values = buildValues(app);
  const seen = new Map<string, string>();
  for (const [file, list] of Object.entries(objectsByTemplate(values, app.environment.namespace))) {
    for (const o of list) {
      const id = `${o.kind} ${o.metadata.name}`;
      const before = seen.get(id);
      if (before === undefined) {
        seen.set(id, file);
        continue;
      }
      const owner = [file, before]
        .map((f) => Object.keys(app.services).find((s) => f.startsWith(`${s}-`)))
        .find((s) => s !== undefined);
      out.push({
        path: owner ? `services.${owner}` : "services",
        message: `two objects would be the ${id} (${before === file ? `chart template ${file}.yaml` : `chart templates ${before}.yaml and ${file}.yaml`})`,
        hint: "rename the service: names such as default-deny, pubsub, idempotency-<store>, postgres-<name> and redis-<name> are taken",
      });
    }
  }
  return out;
}

/** The values of every environment, in spec order. */
export function projectValues(project: ProjectModel): ChartValues[] {
  return project.environments.map((app) => buildValues(app));
}

function header(lines: string[]): string {
  return lines.map((l) => `# ${l}`.trimEnd()).join("\n") + "\n";
}

function render(project: ProjectModel): FileTree {
  const apps: AppModel[] = project.environments;
  const values = projectValues(project);
  const objects = apps.map((app, i) => objectsByTemplate(values[i]!, app.environment.namespace));
  const used = new Set<string>();
  for (const o of objects) for (const [file, list] of Object.entries(o)) if (list.length) used.add(file);
  const files = [...used].sort();

  const tree: FileTree = {};
  const first = apps[0]!;
  tree["chart/Chart.yaml"] = chartYaml(first);
  const valueFiles = values.map(fileValues);
  const base = baseValues(valueFiles);
  tree["chart/values.yaml"] =
    header([
      `Values every environment of ${first.name} shares. Each service, data store and component is off here`,
      "and switched on by values-<environment>.yaml, so always install with one of those:",
      "  helm upgrade --install <release> ./chart -f ./chart/values-<environment>.yaml --namespace <namespace>",
      "Generated by `gantry synth kubernetes`: change gantry.yaml and regenerate instead of editing.",
    ]) + printK8sYaml(base);
  apps.forEach((app, i) => {
    const diff = valuesDiff(valueFiles[i]!, base);
    tree[`chart/values-${app.environment.name}.yaml`] =
      header([
        `What the ${app.environment.name} environment (namespace ${app.environment.namespace}) adds to values.yaml.`,
        "Generated by `gantry synth kubernetes`.",
      ]) + printK8sYaml(diff);
  });
  tree["chart/values.schema.json"] = jsonText(valuesSchema(values[0]!));
  tree["chart/.helmignore"] = [
    "# Files helm package leaves out.",
    ".git/",
    "*.swp",
    "*.bak",
    "*.tmp",
    "",
  ].join("\n");
  tree["chart/templates/_helpers.tpl"] = HELPERS;
  tree["chart/templates/NOTES.txt"] = notes(first);
  for (const [file, text] of Object.entries(chartTemplates(files, values[0]!)))
    tree[`chart/templates/${file}.yaml`] = text;

  apps.forEach((app, i) => {
    for (const file of files) {
      const list = objects[i]![file]!;
      if (list.length) tree[`rendered/${app.environment.name}/${file}.yaml`] = printK8sDocuments(list);
    }
  });
  Object.assign(tree, bootstrapTree(apps, values, kubernetesSettings(first)));
  tree["README.md"] = deployReadme(apps, values, kubernetesSettings(first));
  return Object.fromEntries(
    Object.keys(tree)
      .sort()
      .map((k) => [k, tree[k]!]),
  );
}

export const kubernetesTarget: Target = {
  name: "kubernetes",
  description:
    "A Helm chart, plain manifests per environment and the cluster bootstrap, for any Kubernetes (DOKS, AKS, EKS).",
  defaultOut: "deploy/kubernetes",
  ownsOutput: true,
  check: (project) => check(project),
  render: (project) => render(project),
};
