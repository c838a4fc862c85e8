// The DigitalOcean target's system checks: the DNS records follow the ingress load balancer's address
// as an input the infrastructure workflow supplies, never as a value written into a generated file.
import { isMap, isSeq } from "yaml";
import { parseFile } from "../kubernetes/parsed-yaml.js";
import type { FileTree, RenderedTrees, RuleDoc, SynthContext, SystemFinding } from "../target.js";
import { DO_ALERT_ROUTE } from "./system-alerts.js";

export const DIGITALOCEAN_RULES: readonly RuleDoc[] = [
  {
    id: "digitalocean/dns-input",
    title: "The DNS records' ingress address is written into a generated file, or no plan supplies it",
    severity: "error",
    why: "An address edited into a generated tfvars file fails the pull request's drift check and is lost on the next synth; a plan without it plans the records' deletion, and the app's domains stop resolving.",
    fix: "Keep `ingress_ip` out of the tfvars and regenerate the workflows: the infrastructure workflow reads the address from the cluster before each plan (TF_VAR_ingress_ip).",
  },
  DO_ALERT_ROUTE,
];

const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** tfvars files that assign ingress_ip, at the line they do. */
function writtenAddresses(tree: FileTree): SystemFinding[] {
  const out: SystemFinding[] = [];
  for (const [file, content] of Object.entries(tree)) {
    if (!/^environments\/[^/]+\.tfvars$/.test(file)) continue;
    const index = content.split("\n").findIndex((l) => /^\s*ingress_ip\s*=/.test(l));
    if (index < 0) continue;
    const env = file.replace(/^environments\/|\.tfvars$/g, "");
    out.push({
      rule: "digitalocean/dns-input",
      env,
      message: `${file} sets ingress_ip: the drift check rejects the edit, and the next synth drops it`,
      hint: "remove it; the infrastructure workflow passes the address as TF_VAR_ingress_ip",
      file,
      line: index + 1,
    });
  }
  return out;
}

/** Plan jobs of this stack's infrastructure workflow that plan without reading the address first. */
function unsuppliedPlans(tree: FileTree, ctx: SynthContext, trees: RenderedTrees): SystemFinding[] {
  const workflow = trees.github && parseFile(trees.github, "infrastructure.yml");
  const jobs = workflow?.doc.get("jobs", true);
  if (!workflow || !isMap(jobs) || !tree["modules/dns/main.tf"]) return [];
  const mainLine = (tree["main.tf"] ?? "")
    .split("\n")
    .findIndex((l) => /ingress_ip\s*=\s*var\.ingress_ip/.test(l));
  const out: SystemFinding[] = [];
  for (const pair of jobs.items) {
    const steps = isMap(pair.value) ? pair.value.get("steps", true) : undefined;
    if (!isSeq(steps)) continue;
    const all = steps.items.filter(isMap);
    const plan = all.findIndex(
      (s) =>
        /\btofu .* plan\b/.test(text(s.get("run"))) &&
        text(s.getIn(["env", "TF_DIR"])) === ctx.outputs.digitalocean,
    );
    if (plan < 0 || all.slice(0, plan).some((s) => text(s.get("run")).includes("TF_VAR_ingress_ip=")))
      continue;
    out.push({
      rule: "digitalocean/dns-input",
      message: `job ${String(pair.key)} of infrastructure.yml plans without the ingress address, so its plan deletes the DNS records`,
      hint: "regenerate the workflows with `gantry synth github --target digitalocean`",
      file: "main.tf",
      ...(mainLine >= 0 ? { line: mainLine + 1 } : {}),
    });
  }
  return out;
}

export function digitaloceanSystemChecks(
  tree: FileTree,
  ctx: SynthContext,
  trees: RenderedTrees,
): SystemFinding[] {
  return [...writtenAddresses(tree), ...unsuppliedPlans(tree, ctx, trees)];
}
