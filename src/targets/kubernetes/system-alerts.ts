// kubernetes/alert-route: every alert a production namespace's PrometheusRule fires is routed by the
// cluster's Alertmanager configuration (cluster-bootstrap/values/kube-prometheus-stack.yaml) to a
// receiver that delivers somewhere. The route tree is walked as Alertmanager walks it: the first
// child route whose matchers all hold (no `continue` in ours), else the parent's receiver.
import { isMap } from "yaml";
import type { ProjectModel } from "../../model/types.js";
import type { FileTree, RuleDoc, SystemFinding } from "../target.js";
import { parseFile } from "./parsed-yaml.js";
import { alertName } from "./bootstrap-alertmanager.js";

export const ALERT_ROUTE_RULE: RuleDoc = {
  id: "kubernetes/alert-route",
  title: "A production alert rule is routed to no receiver that delivers",
  severity: "error",
  why: "Prometheus fires the rule, Alertmanager routes it to a receiver with nothing to send to (or to none), and nobody hears of the outage.",
  fix: "Regenerate with `gantry synth kubernetes`; give the rule a channel Alertmanager can deliver to (e-mail needs `monitoring.smtp`).",
};

const VALUES = "cluster-bootstrap/values/kube-prometheus-stack.yaml";

interface Route {
  receiver?: string;
  matchers?: string[];
  routes?: Route[];
}

/** Whether one Alertmanager matcher (`name="v"`, `name=~"re"`, `!=`, `!~`) holds for the labels. */
function holds(matcher: string, labels: Record<string, string>): boolean {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"$/.exec(matcher.trim());
  if (!m) return false;
  const value = labels[m[1]!] ?? "";
  const re = () => new RegExp(`^(?:${m[3]!})$`);
  switch (m[2]) {
    case "=":
      return value === m[3];
    case "!=":
      return value !== m[3];
    case "=~":
      return re().test(value);
    default:
      return !re().test(value);
  }
}

/** The receiver an alert with these labels reaches. */
export function routeOf(route: Route, labels: Record<string, string>, inherited = "null"): string {
  const here = route.receiver ?? inherited;
  for (const child of route.routes ?? [])
    if ((child.matchers ?? []).every((m) => holds(m, labels))) return routeOf(child, labels, here);
  return here;
}

export function alertRouteFindings(project: ProjectModel, tree: FileTree): SystemFinding[] {
  const values = parseFile(tree, VALUES);
  const config = values?.doc.getIn(["alertmanager", "config"], true);
  if (!values || !isMap(config)) return [];
  const { route, receivers } = config.toJS(values.doc) as {
    route: Route;
    receivers: Record<string, unknown>[];
  };
  const delivers = new Set(
    receivers.filter((r) => Object.keys(r).some((k) => k.endsWith("_configs"))).map((r) => String(r.name)),
  );
  const out: SystemFinding[] = [];
  for (const app of project.environments) {
    if (app.environment.tier !== "production") continue;
    const rules = parseFile(tree, `rendered/${app.environment.name}/prometheusrule.yaml`)?.doc.toJS() as
      { spec: { groups: { rules: { alert: string; labels?: Record<string, string> }[] }[] } } | undefined;
    // A rule the spec gives no channel is spec/alert-unrouted's finding, not a wiring defect.
    const withChannels = new Set(
      Object.entries(app.monitoring.alerts)
        .filter(([, a]) => a.channels.length > 0)
        .map(([name]) => alertName(name)),
    );
    for (const r of rules?.spec.groups.flatMap((g) => g.rules) ?? []) {
      if (!withChannels.has(r.alert)) continue;
      const receiver = routeOf(route, { alertname: r.alert, ...r.labels });
      if (delivers.has(receiver)) continue;
      out.push({
        rule: ALERT_ROUTE_RULE.id,
        env: app.environment.name,
        path: "monitoring.channels",
        message: `${r.alert} in namespace ${app.environment.namespace} is routed to ${receiver === "null" ? "the null receiver" : `receiver ${receiver}`}, which delivers nowhere`,
        hint: "give the rule a channel Alertmanager can deliver to (slack, teams, webhook, or e-mail with monitoring.smtp)",
        file: VALUES,
        ...(values.line(config) ? { line: values.line(config)! } : {}),
      });
    }
  }
  return out;
}
