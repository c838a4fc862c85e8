// What a target adds to the contract of what an app receives (src/model/bindings.ts): the values
// come from its own files, but `gantry env` asks each target where each value comes from there and
// which variables only that platform sets (App Service's WEBSITES_PORT, the Dapr sidecar's ports).
import type { Variable } from "./bindings.js";
import type { AppModel, JobModel, ServiceModel } from "./types.js";

export interface PlatformVariable {
  name: string;
  /** Where it comes from, for people: "App Service", "the Dapr sidecar". */
  source: string;
}

export interface ContractSupport {
  /** Where a variable of the contract gets its value on this platform ("Key Vault secret database-url"). */
  origin(app: AppModel, w: ServiceModel | JobModel, v: Variable): string;
  /**
   * Whether the platform itself sets a variable when the app runs, so that no generated file names it
   * (the Dapr sidecar injector sets DAPR_HTTP_PORT in each pod).
   */
  atRuntime?(app: AppModel, w: ServiceModel | JobModel, name: string): boolean;
  /**
   * Why this platform cannot supply a variable of the contract (App Service and ECS run no Dapr
   * sidecar, so no DAPR_HTTP_PORT), or undefined when it does. Each such variable must also be a
   * positioned problem of the target's check(), so that nobody learns it only at run time.
   */
  missing?(app: AppModel, w: ServiceModel | JobModel, v: Variable): string | undefined;
  /** Variables this platform sets beyond the contract, with where they come from. */
  platformVariables(app: AppModel, w: ServiceModel | JobModel): PlatformVariable[];
}
