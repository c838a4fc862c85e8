// The proxy's routing table, pure: which service answers a request, by host and path prefix.
//   1. `<service>.localhost` always reaches that service, whatever the path;
//   2. a host named in the spec's `domains` reaches the services of that host, longest `path` prefix first;
//   3. any other host (localhost, 127.0.0.1, ...) reaches every public service by the longest `path` prefix.
// Workers and jobs are not public. Ties (two services on the same host and prefix) go to the first by name.
import type { AppModel } from "../../model/types.js";
import { durationMs } from "../../util/duration.js";

export interface Route {
  service: string;
  /** Lower-case host names; empty means any host. */
  hosts: string[];
  prefix: string;
  kind: "proxy" | "static";
  /** How long the proxy waits for an instance to start its answer before answering 504 (`request_timeout`); 0: no limit. */
  answerMs: number;
}

export function buildRoutes(model: Pick<AppModel, "services">): Route[] {
  const routes: Route[] = [];
  for (const name of Object.keys(model.services).sort()) {
    const s = model.services[name]!;
    if (s.type === "job" || s.type === "worker") continue;
    const kind: Route["kind"] = s.type === "static" ? "static" : "proxy";
    const prefix = normalisePrefix(s.path);
    // The model always has it for HTTP services (the schema's default); static sites need none.
    const answerMs = durationMs(s.type === "http" ? s.request_timeout : undefined, 0);
    const route = { service: name, kind, answerMs };
    routes.push({ ...route, hosts: [`${name}.localhost`], prefix: "/" });
    if (s.domains.length > 0)
      routes.push({ ...route, hosts: s.domains.map((d) => d.toLowerCase()).sort(), prefix });
    routes.push({ ...route, hosts: [], prefix });
  }
  return routes;
}

function normalisePrefix(p: string): string {
  const withSlash = p.startsWith("/") ? p : `/${p}`;
  return withSlash.length > 1 && withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash;
}

export function hostOf(hostHeader: string | undefined): string {
  const h = (hostHeader ?? "").trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

function prefixMatches(prefix: string, path: string): boolean {
  // Without building `${prefix}/`: this runs for every proxied request.
  return (
    prefix === "/" ||
    (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === "/"))
  );
}

/**
 * The route for a request, or undefined (404). `path` is the URL path without the query. One pass
 * without allocations: the proxy calls it for every request.
 */
export function matchRoute(
  routes: readonly Route[],
  hostHeader: string | undefined,
  path: string,
): Route | undefined {
  const host = hostOf(hostHeader);
  let named = false;
  let bestNamed: Route | undefined;
  let bestAny: Route | undefined;
  for (const r of routes) {
    if (r.hosts.length === 0) {
      if (prefixMatches(r.prefix, path) && (!bestAny || r.prefix.length > bestAny.prefix.length)) bestAny = r;
      continue;
    }
    if (!r.hosts.includes(host)) continue;
    // `<service>.localhost` reaches that service whatever the path.
    if (r.prefix === "/" && r.hosts.length === 1 && isServiceHost(host, r.service)) return r;
    named = true;
    if (prefixMatches(r.prefix, path) && (!bestNamed || r.prefix.length > bestNamed.prefix.length))
      bestNamed = r;
  }
  // A host named in the spec reaches only its own services.
  return named ? bestNamed : bestAny;
}

function isServiceHost(host: string, service: string): boolean {
  return host.length === service.length + 10 && host.endsWith(".localhost") && host.startsWith(service);
}

/**
 * Public services whose path prefix, on any host, an earlier one by name already has: that one gets
 * those requests (the tie rule above), so this one is reached only at `<service>.localhost` or its
 * domains.
 */
export function shadowedPaths(
  model: Pick<AppModel, "services">,
): { service: string; by: string; prefix: string }[] {
  const first = new Map<string, string>();
  const shadowed: { service: string; by: string; prefix: string }[] = [];
  for (const name of Object.keys(model.services).sort()) {
    const s = model.services[name]!;
    if (s.type === "job" || s.type === "worker") continue;
    const prefix = normalisePrefix(s.path);
    const by = first.get(prefix);
    if (by === undefined) first.set(prefix, name);
    else shadowed.push({ service: name, by, prefix });
  }
  return shadowed;
}

/** The addresses a user can open, for `up` and `status`: none that another service answers. */
export function publicUrls(
  model: Pick<AppModel, "services">,
  port: number,
): { service: string; url: string }[] {
  const urls: { service: string; url: string }[] = [];
  const shadowed = new Set(shadowedPaths(model).map((s) => s.service));
  for (const name of Object.keys(model.services).sort()) {
    const s = model.services[name]!;
    if (s.type === "job" || s.type === "worker") continue;
    // A service with an image and no `command` is not run here (the plan says so): no URL answers.
    if (s.type === "http" && !s.command) continue;
    const prefix = normalisePrefix(s.path);
    if (!shadowed.has(name))
      urls.push({ service: name, url: `http://127.0.0.1:${port}${prefix === "/" ? "/" : prefix}` });
    for (const d of s.domains)
      urls.push({ service: name, url: `http://${d}:${port}${prefix === "/" ? "/" : prefix}` });
    urls.push({ service: name, url: `http://${name}.localhost:${port}/` });
  }
  return urls;
}
