// Checks of static frontends that the schema cannot make (it does not know a service's kind): one has
// the directory of its source in `static`, and its `build` is the command that builds it, not an image
// build. Without them the model would hold a static frontend without a source or with an image build.
import { pathJoin } from "../spec/problems.js";
import { Checker, entries, isObj, type CheckContext, type Plain } from "./checker.js";
import { inferType } from "./cross-checks.js";

export function checkStaticFrontends(spec: Plain, ctx: CheckContext): void {
  const c = new Checker(ctx);
  const services = isObj(spec.services) ? spec.services : {};
  for (const [name, raw] of entries(services)) {
    if (!isObj(raw) || inferType(raw) !== "static") continue;
    const base = pathJoin("services", name);
    if (raw.static === undefined)
      c.error(
        c.at(services, name),
        base,
        "a static frontend needs `static`",
        "the directory of its source, relative to the spec file, such as ./web",
      );
    if (isObj(raw.build))
      c.error(
        c.at(raw, "build"),
        pathJoin(base, "build"),
        "a static frontend's `build` is the command that builds it",
        "such as `build: npm run build`; its source directory is `static`",
      );
  }
}
