// An environment's own region (environments.<env>.region) overrides the region of every target, so
// each target holds it to the form of its own regions: an AWS region name is no Azure location or
// DigitalOcean slug, and written as one it gives files that no deployment accepts.
import { FORMATS } from "../spec/formats.js";
import type { AppModel } from "../model/types.js";
import type { TargetProblem } from "./target.js";

/**
 * An error when the environment's region is not of the spec's format `format` (formats.ts), which
 * names the target's regions; `option` is where the region can be set for this target alone.
 */
export function environmentRegionProblems(
  e: AppModel,
  format: "aws-region" | "azure-location" | "do-region",
  option: string,
): TargetProblem[] {
  const region = e.environment.region;
  const f = FORMATS[format]!;
  if (region === undefined || new RegExp(f.pattern).test(region)) return [];
  return [
    {
      env: e.environment.name,
      path: `environments.${e.environment.name}.region`,
      message: `${region} is not ${f.expected}; the environment's region is its region on every target`,
      hint: `name ${f.expected}, or set ${option} in this environment's targets`,
    },
  ];
}
