// github/registry on DigitalOcean Container Registry: the registry an image goes to is the one an
// environment of the DigitalOcean tree creates (`create_registry = true` with that `registry_name`).
import type { ReadJob } from "../github/read-workflows.js";
import type { RenderedTrees } from "../target.js";
import { attr, literal, readHcl } from "../terraform/read-hcl.js";

export function docrProvides(repository: string, _job: ReadJob, trees: RenderedTrees): string | undefined {
  const name = repository.split("/")[1] ?? "";
  const tree = trees.digitalocean;
  // Without the DigitalOcean tree in the run, the registry is the spec's to provide.
  if (!tree) return undefined;
  const created = Object.entries(tree)
    .filter(([f]) => /^environments\/[^/]+\.tfvars$/.test(f))
    .some(([, text]) => {
      const vars = readHcl(text);
      const value = (n: string) => {
        const a = attr(vars, n);
        return a && literal(a.text);
      };
      return value("create_registry") === true && value("registry_name") === name;
    });
  return created ? undefined : `no environment of the DigitalOcean tree creates the registry ${name}`;
}
