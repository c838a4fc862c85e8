// kubernetes/public-routes: every path an environment's Ingresses route from the internet is one the
// spec exposes there (a service's own domain and path prefix), and no subscriber's delivery route is
// reachable through it. Read from the plain manifests of the environment (rendered/<env>/).
import { isMap, isSeq } from "yaml";
import type { AppModel } from "../../model/types.js";
import type { FileTree, SystemFinding } from "../target.js";
import { DENYLIST } from "./objects-services.js";
import { covers, prefixOf } from "../../model/routes.js";
import { parseFile } from "./parsed-yaml.js";

/** One path of an Ingress rule: where it is, what it routes to, and whether it refuses everyone. */
interface RoutedPath {
  host: string;
  path: string;
  exact: boolean;
  service: string;
  denied: boolean;
  file: string;
  line?: number;
}

function routedPaths(tree: FileTree, env: string): RoutedPath[] {
  const out: RoutedPath[] = [];
  for (const file of Object.keys(tree).filter((f) => f.startsWith(`rendered/${env}/`))) {
    const parsed = parseFile(tree, file);
    if (!parsed) continue;
    for (const doc of parsed.docs) {
      if (doc.get("kind") !== "Ingress") continue;
      const denied = doc.getIn(["metadata", "annotations", DENYLIST]) === "0.0.0.0/0,::/0";
      const rules = doc.getIn(["spec", "rules"], true);
      for (const rule of isSeq(rules) ? rules.items : []) {
        if (!isMap(rule)) continue;
        const paths = rule.getIn(["http", "paths"], true);
        for (const p of isSeq(paths) ? paths.items : []) {
          if (!isMap(p)) continue;
          const line = parsed.line(p);
          out.push({
            host: String(rule.get("host")),
            path: String(p.get("path")),
            exact: p.get("pathType") === "Exact",
            service: String(p.getIn(["backend", "service", "name"])),
            denied,
            file,
            ...(line ? { line } : {}),
          });
        }
      }
    }
  }
  return out;
}

/** The path that serves a request: the longest covering one, Exact before Prefix at equal length. */
function serving(paths: readonly RoutedPath[], host: string, path: string): RoutedPath | undefined {
  return paths
    .filter((p) => p.host === host && (p.exact ? p.path === path : covers(p.path, path)))
    .sort(
      (a, b) => prefixOf(b.path).length - prefixOf(a.path).length || Number(b.exact) - Number(a.exact),
    )[0];
}

export function publicRouteFindings(app: AppModel, tree: FileTree): SystemFinding[] {
  const env = app.environment.name;
  const paths = routedPaths(tree, env);
  const out: SystemFinding[] = [];
  for (const p of paths.filter((r) => !r.denied)) {
    const svc = app.services[p.service];
    const exposed =
      svc &&
      svc.type !== "job" &&
      svc.type !== "worker" &&
      svc.domains.includes(p.host) &&
      prefixOf(svc.path) === prefixOf(p.path);
    if (exposed) continue;
    out.push({
      rule: "kubernetes/public-routes",
      env,
      path: `services.${p.service}`,
      message: `https://${p.host}${p.path} is routed to ${p.service}, which the spec does not expose there`,
      hint: `give services.${p.service} that domain and path in the spec, or regenerate with \`gantry synth kubernetes\``,
      file: p.file,
      ...(p.line ? { line: p.line } : {}),
    });
  }
  for (const svc of Object.values(app.services)) {
    if (svc.type !== "http") continue;
    for (const [topic, sub] of Object.entries(svc.subscribes))
      for (const host of svc.domains) {
        const p = serving(paths, host, sub.route);
        if (!p || p.denied || p.service !== svc.name) continue;
        out.push({
          rule: "kubernetes/public-routes",
          env,
          path: `services.${svc.name}.subscribes.${topic}`,
          message: `the delivery route of ${topic} is public: https://${host}${sub.route} reaches ${svc.name}, so anyone can post events to it`,
          hint: "regenerate with `gantry synth kubernetes` (the ingress then refuses delivery routes), or give the subscription a route outside the service's path",
          file: p.file,
          ...(p.line ? { line: p.line } : {}),
        });
      }
  }
  return out;
}
