// A subscriber's event-delivery routes that its own public path prefix would expose: the ingress
// passes paths through unchanged, so they would be reachable from the internet.
import { routeOwner } from "../../model/routes.js";
import type { AppModel, ServiceModel } from "../../model/types.js";

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
