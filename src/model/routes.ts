// What the ingress routes where, on every platform that routes by host and path: a request goes to the
// service on its host with the longest path prefix that covers the path, passed through unchanged.
import type { AppModel, ServiceModel, StaticModel } from "./types.js";

/** The path prefix of a routed service, without the trailing slash ("" for `/`). */
export const prefixOf = (path: string): string => path.replace(/\/$/, "");

/** Whether an ingress Prefix path covers a request path (element-wise, as Kubernetes defines it). */
export const covers = (prefix: string, path: string): boolean =>
  prefixOf(prefix) === "" || path === prefixOf(prefix) || path.startsWith(`${prefixOf(prefix)}/`);

/** The service of the app that gets a request for `path` on `host`, if any. */
export function routeOwner(
  app: AppModel,
  host: string,
  path: string,
): ServiceModel | StaticModel | undefined {
  return Object.values(app.services)
    .filter((s): s is ServiceModel | StaticModel => s.type === "http" || s.type === "static")
    .filter((s) => s.domains.includes(host) && covers(s.path, path))
    .sort((a, b) => prefixOf(b.path).length - prefixOf(a.path).length || (a.name < b.name ? -1 : 1))[0];
}
