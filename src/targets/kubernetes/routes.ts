// What the ingress routes where: a request goes to the service on its host with the longest path
// prefix that covers the path (ingress-nginx passes the path through unchanged), so a subscriber's
// event-delivery route under its own public prefix would be reachable from the internet.
import type { AppModel, ServiceModel, StaticModel } from "../../model/types.js";

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

/**
 * The delivery routes of a subscriber that its own ingress would serve: Dapr posts events to them
 * inside the cluster, so the ingress must refuse them.
 */
export function exposedDeliveryRoutes(app: AppModel, svc: ServiceModel): string[] {
  const routes = Object.values(svc.subscribes).map((s) => s.route);
  return [...new Set(routes)]
    .filter((route) => svc.domains.some((host) => routeOwner(app, host, route) === svc))
    .sort();
}
