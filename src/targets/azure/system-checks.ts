// The Azure target's system checks: how the files it wrote work together when the pipeline applies
// them, read from the rendered tree (./bicep-read.ts) so that a hand edit or a regression of the
// generator is caught alike. Each environment's deployment is main.bicep with its parameter file, and
// the infrastructure pipeline applies them in the spec's order of environments.
import type { ProjectModel } from "../../model/types.js";
import type { FileTree, RenderedTrees, RuleDoc, SynthContext, SystemFinding } from "../target.js";
import { ROLES } from "./api.js";
import { readBicep, readParamFile, type Decl, type Known } from "./bicep-read.js";
import { registryPlan } from "./decisions.js";
import { VALUE_RULES, valueChecks } from "./system-values.js";
import { ALERT_ROUTE_RULE, alertRouteFindings } from "./system-alerts.js";
import { deploymentsOf, deployed, moduleResources, groupOf, type Deployment } from "./system-deployments.js";

export const AZURE_RULES: readonly RuleDoc[] = [
  {
    id: "azure/registry-pull",
    title:
      "Every image a workload pulls lives in a registry the Bicep creates, and its puller holds AcrPull there",
    severity: "error",
    why: "An App Service app with acrUseManagedIdentityCreds, or an AKS kubelet, pulls with its managed identity: without AcrPull on the registry the pipelines push to, the first deploy fails with an image pull error; a registry the pipelines push to that no deployment creates does not exist on a fresh subscription.",
    fix: "Name an Azure Container Registry in targets.kubernetes.registry (or none, for Gantry's own) and regenerate with `gantry synth azure`: the Bicep creates that registry in the shared resource group and grants every app, slot and kubelet AcrPull on it.",
  },
  {
    id: "azure/scope-order",
    title:
      "Every resource is deployed into a resource group and zone that exist at that point of the pipeline's order",
    severity: "error",
    why: "The infrastructure pipeline applies the environments in the spec's order; a deployment that writes into a resource group or DNS zone only a later environment creates fails on a fresh subscription, so the project cannot be bootstrapped.",
    fix: "Regenerate with `gantry synth azure`: each environment's deployment puts the shared resource group and its own DNS zone in place before writing into them.",
  },
  {
    id: "azure/role-id",
    title: "Every role definition id in the Bicep is the built-in role Gantry grants by name",
    severity: "error",
    why: "A role assignment with an id that is not a built-in role fails the deployment (RoleDefinitionDoesNotExist), or grants another role than the one the identity needs.",
    fix: "Take role ids from Azure's list of built-in roles by name (src/targets/azure/api.ts ROLES, tested against that list) and regenerate.",
  },
  ...VALUE_RULES,
  ALERT_ROUTE_RULE,
];

export function azureSystemChecks(
  project: ProjectModel,
  tree: FileTree,
  _ctx: SynthContext,
  trees: RenderedTrees,
): SystemFinding[] {
  const main = tree["main.bicep"];
  if (main === undefined) return [];
  const modules = new Map<string, Decl[]>();
  for (const [path, text] of Object.entries(tree))
    if (path.startsWith("modules/") && path.endsWith(".bicep")) modules.set(path, readBicep(text));
  const decls = readBicep(main);
  const deployments = deploymentsOf(
    decls,
    project.environments.map((m) => m.environment.name),
    (env) => readParamFile(tree[`parameters/${env}.bicepparam`] ?? ""),
  );
  return [
    ...registryPull(project, decls, modules, deployments, trees),
    ...scopeOrder(decls, modules, deployments),
    ...roleIds(tree),
    ...valueChecks(project, tree, decls, deployments),
    ...alertRouteFindings(project, tree, decls, modules),
  ];
}

/** The role id a module grants by default (its `roleDefinitionId` parameter), quoted. */
const roleOf = (file: Decl[] | undefined) =>
  file?.find((d) => d.kind === "param" && d.symbol === "roleDefinitionId");

const PULLERS: { output: string; pulls: (file: Decl[]) => boolean }[] = [
  // App Service pulls with the app's identity when acrUseManagedIdentityCreds is set.
  {
    output: "principalId",
    pulls: (f) => f.some((d) => d.body.get("properties")?.text.includes("acrUseManagedIdentityCreds: true")),
  },
  {
    output: "kubeletObjectId",
    pulls: (f) => f.some((d) => d.target.startsWith("Microsoft.ContainerService/managedClusters@")),
  },
];

function registryPull(
  project: ProjectModel,
  decls: Decl[],
  modules: Map<string, Decl[]>,
  deployments: Deployment[],
  trees: RenderedTrees,
): SystemFinding[] {
  const out: SystemFinding[] = [];
  const mods = decls.filter((d) => d.kind === "module");
  const registries = mods.filter((d) =>
    moduleResources(modules, d).some((r) => r.target.startsWith("Microsoft.ContainerRegistry/registries@")),
  );
  const grants = registries.map((r) => r.params.get("principalIds")?.text ?? "").join("\n");
  // AKS pulling from another registry the spec names uses the chart's image pull secret instead.
  const pullers = registryPlan(project) ? PULLERS : PULLERS.filter((p) => p.output !== "kubeletObjectId");
  for (const d of mods) {
    const file = modules.get(d.target) ?? [];
    const puller = pullers.find((p) => p.pulls(file));
    if (!puller || grants.includes(`${d.symbol}.outputs.${puller.output}`)) continue;
    out.push({
      rule: "azure/registry-pull",
      message: `${d.symbol} pulls its image with its managed identity, but no registry module grants it AcrPull (${d.symbol}.outputs.${puller.output})`,
      hint: "add the identity to the registry module's principalIds",
      file: "main.bicep",
      line: d.line,
    });
  }
  for (const r of registries) {
    const role = roleOf(modules.get(r.target));
    if (role?.value !== `'${ROLES.AcrPull}'`)
      out.push({
        rule: "azure/registry-pull",
        message: `${r.target} grants role ${role?.value ?? "(none)"}, not AcrPull (${ROLES.AcrPull})`,
        hint: "grant AcrPull, the built-in role that lets an identity pull images",
        file: r.target,
        ...(role ? { line: role.line } : {}),
      });
  }
  out.push(...namedRegistry(project, registries, deployments, trees));
  return out;
}

/** The registries the pipelines and the spec name are ones some environment's deployment creates. */
function namedRegistry(
  project: ProjectModel,
  registries: Decl[],
  deployments: Deployment[],
  trees: RenderedTrees,
): SystemFinding[] {
  const created = new Set<Known>(
    deployments.flatMap((dep) =>
      registries
        .filter((r) => deployed(r, dep) !== false)
        .map((r) => dep.evaluate(r.params.get("name")?.text ?? "")),
    ),
  );
  const pushed = new Map<string, string>();
  for (const [path, text] of Object.entries(trees.github ?? {}))
    for (const m of text.matchAll(/\b([a-z0-9]+)\.azurecr\.io\b/g))
      if (!pushed.has(m[1]!)) pushed.set(m[1]!, path);
  const fromSpec = registryPlan(project)?.acr;
  if (fromSpec && !pushed.has(fromSpec)) pushed.set(fromSpec, "the spec");
  const out: SystemFinding[] = [];
  for (const [name, where] of pushed)
    if (!created.has(name))
      out.push({
        rule: "azure/registry-pull",
        message: `images live in ${name}.azurecr.io (${where}), a registry no environment's deployment creates`,
        hint: "regenerate with `gantry synth azure` so that the Bicep creates the registry the pipelines push to",
        path: "targets.kubernetes.registry",
      });
  return out;
}

function scopeOrder(decls: Decl[], modules: Map<string, Decl[]>, deployments: Deployment[]): SystemFinding[] {
  const out: SystemFinding[] = [];
  const groups = new Set<Known>();
  const resources = new Set<string>();
  for (const dep of deployments) {
    const here = decls.filter(
      (d) => d.kind === "resource" && d.target.startsWith("Microsoft.Resources/resourceGroups@"),
    );
    for (const g of here) groups.add(dep.evaluate(g.body.get("name")?.text ?? ""));
    const mods = decls.filter((d) => d.kind === "module" && deployed(d, dep) !== false);
    const creators = new Map<string, Decl>();
    for (const d of mods) {
      const group = groupOf(d, decls, dep);
      const scope = d.body.get("scope");
      if (group !== undefined && !groups.has(group) && scope)
        out.push({
          rule: "azure/scope-order",
          env: dep.env,
          message: `${d.symbol} deploys into resource group ${String(group)}, which no deployment applied so far creates`,
          hint: "create the resource group in this deployment (or an earlier environment's) before deploying into it",
          file: "main.bicep",
          line: scope.line,
        });
      for (const r of moduleResources(modules, d).filter((x) => !x.existing)) {
        const key = resourceKey(r, d, dep, group);
        if (key) {
          resources.add(key);
          creators.set(key, d);
        }
      }
    }
    for (const d of mods) out.push(...existingRefs(d, modules, decls, dep, resources, creators));
  }
  return out;
}

/** `type|group|name` of a resource a module creates or reads, when its name is known. */
function resourceKey(r: Decl, mod: Decl, dep: Deployment, group: Known): string | undefined {
  const nameParam = r.body.get("name")?.text.trim() ?? "";
  const arg = mod.params.get(nameParam);
  const name = arg ? dep.evaluate(arg.text) : undefined;
  if (name === undefined || group === undefined) return undefined;
  return `${r.target.split("@")[0]!}|${String(group)}|${String(name)}`;
}

/** Every `existing` resource a module reads was created before, or earlier in the same deployment it waits for. */
function existingRefs(
  d: Decl,
  modules: Map<string, Decl[]>,
  decls: Decl[],
  dep: Deployment,
  resources: Set<string>,
  creators: Map<string, Decl>,
): SystemFinding[] {
  const group = groupOf(d, decls, dep);
  return moduleResources(modules, d)
    .filter((r) => r.existing)
    .flatMap((r): SystemFinding[] => {
      const key = resourceKey(r, d, dep, group);
      if (!key) return [];
      const creator = creators.get(key);
      const waits =
        !creator ||
        creator === d ||
        (d.body.get("dependsOn")?.text ?? "").includes(creator.symbol) ||
        [...d.params.values()].some((p) => p.text.includes(`${creator.symbol}.outputs`));
      if (resources.has(key) && waits) return [];
      const [type, , name] = key.split("|");
      return [
        {
          rule: "azure/scope-order",
          env: dep.env,
          message: resources.has(key)
            ? `${d.symbol} reads ${type} ${name!} without waiting for ${creator!.symbol}, which creates it`
            : `${d.symbol} writes into ${type} ${name!}, which no deployment applied so far creates`,
          hint: "create it in this deployment (or an earlier environment's) and make the module depend on it",
          file: "main.bicep",
          line: d.params.get(r.body.get("name")?.text.trim() ?? "")?.line ?? d.line,
        },
      ];
    });
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Every GUID on a line about a role definition is the id of a role Gantry grants by name. */
function roleIds(tree: FileTree): SystemFinding[] {
  const known = new Map<string, string>(Object.entries(ROLES).map(([name, id]) => [id, name]));
  const out: SystemFinding[] = [];
  for (const [path, text] of Object.entries(tree)) {
    if (!path.endsWith(".bicep")) continue;
    for (const [i, line] of text.split("\n").entries()) {
      if (!/roleDefinition/i.test(line)) continue;
      for (const m of line.matchAll(GUID))
        if (!known.has(m[0].toLowerCase()))
          out.push({
            rule: "azure/role-id",
            message: `${m[0]} is not the id of a built-in role Gantry grants (${[...known.values()].join(", ")})`,
            hint: "take the id from Azure's list of built-in roles by the role's name",
            file: path,
            line: i + 1,
          });
    }
  }
  return out;
}
