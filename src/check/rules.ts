// The rules `gantry check` holds a spec to. The spec's own rules are checked where the spec is
// checked (src/model: their problems carry the rule's id); each target declares the rules of its
// system checks. docs/checks.md and SARIF's rule list are made from this one list.
import type { RuleDoc } from "../targets/target.js";
import { TARGETS } from "../targets/registry.js";

export const SPEC_RULES: readonly RuleDoc[] = [
  {
    id: "spec/invalid",
    title: "The spec is not valid",
    severity: "error",
    why: "Nothing can be generated or run from a spec Gantry cannot read: `gantry validate` says the same.",
    fix: "Fix what the message says at the position it names.",
  },
  {
    id: "spec/secret-literal",
    title: "A value in the spec looks like a secret",
    severity: "error",
    why: "The spec is committed: a password, token or key in it is in every clone and every log of the repository, and rotating it means rewriting history.",
    fix: "Name the secret under the service's `secrets` and store its value with `gantry secrets set NAME` (or in the platform's vault).",
  },
  {
    id: "spec/public-database",
    title: "A PostgreSQL server accepts connections from the internet",
    severity: "error",
    why: "A database reachable from anywhere is found by scanners within hours; only its password stands between it and everyone.",
    fix: "Set `public_access: false` (the default): the services reach it over the private network.",
  },
  {
    id: "spec/single-instance",
    title: "A production HTTP service runs one instance",
    severity: "warning",
    why: "Every deploy, node failure or crash of that instance takes the service down until it is replaced.",
    fix: "Set `scale: { min: 2, max: ... }` in production.",
  },
  {
    id: "spec/no-backups",
    title: "A production database has no backups",
    severity: "warning",
    why: "A deleted table, a bad migration or a lost server cannot be undone without a backup.",
    fix: "Remove `backups.enabled: false` in production (backups are on by default).",
  },
  {
    id: "spec/alert-unrouted",
    title: "An alert rule reaches no channel",
    severity: "error",
    why: "An alert nobody receives is an outage nobody hears about.",
    fix: "Declare a channel under `monitoring.channels` (e-mail, Slack, Teams, webhook) and route the rule to it, or disable the rule.",
  },
  {
    id: "spec/suppression-unknown-rule",
    title: "A suppression names a rule that does not exist",
    severity: "error",
    why: "A misspelt rule id suppresses nothing, while the spec reads as if the finding were accepted.",
    fix: "Write the rule id as docs/checks.md gives it.",
  },
  {
    id: "spec/suppression-unused",
    title: "A suppression matches no finding",
    severity: "warning",
    why: "What it was written for is gone; left in place, it would silently let a new finding of that rule pass.",
    fix: "Remove the entry from `checks.suppress` (or correct its `path` or `environments`).",
  },
];

/** What a target says it cannot do as the spec asks (its own checks, also printed by `gantry synth`). */
export const TARGET_RULES: readonly RuleDoc[] = [
  {
    id: "target/unsupported",
    title: "A target cannot do what the spec asks",
    severity: "error",
    why: "The platform has no equivalent (a scheduled job on App Service, a schedule EventBridge cannot express): left unsaid, the app would lose it on that platform.",
    fix: "Follow the hint: change the spec, or choose the platform setting that can (the message says which). Warnings say what Gantry did instead.",
  },
];

/** Each environment's estimate (`gantry cost`) against its budget, on each checked cloud target. */
export const COST_RULES: readonly RuleDoc[] = [
  {
    id: "cost/over-budget",
    title: "An environment costs more than its budget at minimum scale",
    severity: "error",
    why: "The estimate of what the generated topology provisions, before any traffic or autoscaling, already exceeds `budget.monthly_usd`: the budget alerts would fire in the first month.",
    fix: "Run `gantry cost --env NAME --target T` to see the items; lower sizes, replicas or HA in that environment, or raise its budget.",
  },
  {
    id: "cost/over-budget-at-max",
    title: "An environment would cost more than its budget at maximum scale",
    severity: "warning",
    why: "Autoscaling to every service's `scale.max` (or the node pool's maximum) would exceed `budget.monthly_usd`.",
    fix: "Lower `scale.max` where the budget matters more than the peak, or raise the budget.",
  },
];

const tool = (id: string, name: string, what: string): RuleDoc => ({
  id: `tools/${id}`,
  title: `${name} rejects a generated file`,
  severity: "error",
  why: `${what} runs on the files in the pull request workflow and at deploy: a file it rejects fails there.`,
  fix: "Run `gantry validate --tools` to see the tool's own message, and report it: generated files must pass.",
});

/** The external validators, when they are installed here. */
export const TOOL_RULES: readonly RuleDoc[] = [
  tool("helm", "helm lint", "helm"),
  tool("kubeconform", "kubeconform -strict", "kubeconform"),
  tool("bicep", "bicep build", "the Bicep compiler"),
  tool("tofu", "OpenTofu (fmt, validate)", "OpenTofu"),
  tool("actionlint", "actionlint", "GitHub Actions"),
  tool("amtool", "amtool check-config", "Alertmanager"),
];

/** Every rule: the spec's, the targets' limits, cost, each target's system checks, the validators. */
export function allRules(): RuleDoc[] {
  return [
    ...SPEC_RULES,
    ...TARGET_RULES,
    ...COST_RULES,
    ...TARGETS.flatMap((t) => t.rules ?? []),
    ...TOOL_RULES,
  ];
}
