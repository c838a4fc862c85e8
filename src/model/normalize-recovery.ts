// The environment's recovery objectives: the spec's `recovery`, with the tier's RPO, RTO and drill
// schedule where it is silent.
import { RecoverySchema } from "../spec/schema-recovery.js";
import { seconds } from "../util/duration.js";
import { TIER_DEFAULTS, filled, withDefaults } from "./defaults.js";
import type { RecoveryInput } from "./input.js";
import type { RecoveryModel, Tier } from "./types.js";

export function recoveryModel(input: RecoveryInput | undefined, tier: Tier): RecoveryModel {
  const r = filled(withDefaults(RecoverySchema, input ?? {}), ["base_backup"], "recovery");
  const rpo = r.rpo ?? TIER_DEFAULTS.rpo[tier];
  const rto = r.rto ?? TIER_DEFAULTS.rto[tier];
  const drill = r.drill ?? TIER_DEFAULTS.drill[tier];
  return {
    rpo,
    rto,
    rpo_seconds: seconds(rpo),
    rto_seconds: seconds(rto),
    ...(drill === "none" ? {} : { drill }),
    base_backup: r.base_backup,
    ...(r.offsite ? { offsite: filled(r.offsite, ["region", "path"], "recovery.offsite") } : {}),
  };
}
