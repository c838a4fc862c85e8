// The spec's rules that hold only for `gantry check`, over the resolved model of each environment
// (the others are warnings of the spec's own checks, which `validate` prints too: they carry a rule id).
import type { LoadResult } from "../model/load.js";
import type { Finding } from "./finding.js";

/** In production, every enabled alert rule (the built-in ones too) must notify some channel. */
function unroutedAlerts(loaded: LoadResult): Finding[] {
  return loaded.project.environments.flatMap((app): Finding[] => {
    if (app.environment.tier !== "production") return [];
    const unrouted = Object.entries(app.monitoring.alerts)
      .filter(([, a]) => a.channels.length === 0)
      .map(([name]) => name);
    if (unrouted.length === 0) return [];
    const env = app.environment.name;
    const path = "monitoring";
    return [
      {
        rule: "spec/alert-unrouted",
        severity: "error",
        message: `in ${env}: alert rules that notify no one: ${unrouted.join(", ")}`,
        hint: "declare a channel under `monitoring.channels` (email, slack, teams or webhook): every rule notifies every channel unless it names its own",
        path,
        pos: loaded.locate(path, env),
        env,
      },
    ];
  });
}

export function specRuleFindings(loaded: LoadResult): Finding[] {
  return unroutedAlerts(loaded);
}
