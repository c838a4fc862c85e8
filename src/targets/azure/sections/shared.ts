// What every environment shares: one resource group, `rg-<app>-shared`, holding the container
// registry (an image is built once and promoted from environment to environment) and the DNS zones.
// Each environment's deployment creates the group and what it needs in it, with the same properties
// every time (Resource Manager's PUT is idempotent), so whichever environment the pipeline applies
// first on a fresh subscription finds its registry and zone in place: no environment waits for another.
import {
  call,
  member,
  ref,
  str,
  type BicepExprNode,
  type BicepObject,
  type BicepValue,
} from "../../../format/bicep.js";
import { API } from "../api.js";
import { locationOf, registryPlan, zoneIn } from "../decisions.js";
import { slug } from "../names.js";
import type { BaseContext, Ctx } from "./context.js";
import { callModule, output, outputOf, type Part } from "./part.js";

const SHARED = "sharedRg";
const SHARED_SUFFIX = "sharedSuffix";

/** The shared group as a module scope. */
export const sharedScope: BicepExprNode = ref(SHARED);

/** The name of the shared resource group of a project. */
export const sharedGroupName = (c: BaseContext): string => `rg-${slug(c.project.name, 40)}-shared`;

/** Whether anything lives in the shared group: a registry Gantry creates or a zone it manages. */
export const hasShared = (c: BaseContext): boolean =>
  registryPlan(c.project) !== undefined || c.envs.some((m) => zoneIn(m) !== undefined);

/** The tags every environment gives the same value (Environment aside): the shared resources' tags. */
export function sharedTags(c: BaseContext): BicepObject {
  const [first, ...rest] = c.envs;
  const common = Object.entries(first?.tags ?? {}).filter(([k, v]) => rest.every((m) => m.tags[k] === v));
  return Object.fromEntries(common.sort(([a], [b]) => a.localeCompare(b)));
}

export function sharedPart(c: BaseContext): Partial<Part> {
  if (!hasShared(c)) return {};
  const name = sharedGroupName(c);
  return {
    resources: [
      {
        symbol: SHARED,
        type: API.resourceGroup[0],
        apiVersion: API.resourceGroup[1],
        description:
          "Shared by every environment (registry, DNS zones); each deployment puts it in place with the same properties.",
        // A resource group's location cannot change: the first environment's, in every deployment.
        body: { name, location: locationOf(c.first), tags: sharedTags(c) },
      },
    ],
    vars: [
      {
        name: SHARED_SUFFIX,
        description:
          "Makes the shared resources' globally unique names unique per subscription, the same in every environment.",
        value: call("take", call("uniqueString", member(call("subscription"), "id"), name), 6),
      },
    ],
  };
}

/** The registry of every environment, in the shared group, with AcrPull for this environment's pullers. */
export function registryPart(c: Ctx, pullers: BicepValue[]): Partial<Part> {
  const plan = registryPlan(c.project);
  if (!plan) return {};
  return {
    modules: [
      callModule(
        "registry",
        "container-registry",
        (plan.acr
          ? `The registry the spec names (${plan.acr}.azurecr.io)`
          : "The container registry of every environment") +
          (c.compute === "aks"
            ? "; the cluster pulls with its kubelet identity."
            : "; the apps (and slots) pull with their managed identities."),
        {
          name: plan.acr ?? str`cr${c.appAlnum}${ref(SHARED_SUFFIX)}`,
          location: member(sharedScope, "location"),
          tags: sharedTags(c),
          skuName: plan.sku,
          principalIds: pullers,
        },
        { name: str`registry-${c.environmentName}`, scope: sharedScope },
      ),
    ],
    outputs: [
      output(
        "acrLoginServer",
        "string",
        "Login server of the container registry the pipelines push images to.",
        outputOf("registry", "loginServer"),
      ),
    ],
  };
}
