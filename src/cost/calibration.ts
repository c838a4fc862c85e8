// The estimates docs/cost.md compares with the reference systems' figures: augeo dev and production on
// Azure, and todo's staging cluster on DigitalOcean (Kubernetes on DOKS).
import type { Calibration } from "../docs/cost.js";
import type { ProjectModel } from "../model/types.js";
import { estimate } from "./estimate.js";

export function calibrationOf(augeo: ProjectModel, todo: ProjectModel): Calibration {
  const env = (p: ProjectModel, name: string) => p.environments.find((m) => m.environment.name === name)!;
  return {
    augeoDev: estimate(augeo, env(augeo, "dev"), "azure"),
    augeoProduction: estimate(augeo, env(augeo, "production"), "azure"),
    todoStaging: estimate(todo, env(todo, "staging"), "kubernetes"),
  };
}
