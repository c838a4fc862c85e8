// `checks`: what `gantry check` is told to let pass, each with the reason a reviewer reads. A finding is
// never silenced without a written reason, and a suppression that matches nothing is reported.
import { List, Obj, Str } from "./schema-kit.js";

const Suppression = Obj(
  {
    rule: Str({
      description: "The rule id (docs/checks.md), such as spec/single-instance.",
      format: "rule-id",
    }),
    reason: Str({
      description:
        "Why this finding is accepted: kept in the spec for reviewers, and shown by `gantry check`.",
      minLength: 10,
      maxLength: 1000,
    }),
    path: Str({
      description:
        "Only findings at this spec path or under it (services.api, postgres.db). Default: the rule's findings anywhere.",
      maxLength: 300,
    }),
    environments: List(Str({ description: "Environment name.", format: "name" }), {
      description: "Only findings in these environments. Default: every environment.",
      minItems: 1,
      uniqueItems: true,
    }),
  },
  { description: "A finding `gantry check` lets pass.", required: ["rule", "reason"] },
);

export const ChecksSchema = Obj(
  {
    suppress: List(Suppression, {
      description:
        "Findings of `gantry check` accepted on purpose, each with its reason. Errors that make the spec invalid cannot be suppressed.",
    }),
  },
  { description: "Settings of `gantry check` (docs/checks.md)." },
);
