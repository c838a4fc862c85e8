// github/registry on Azure Container Registry: an image whose registry the workflows read from
// vars.ACR_LOGIN_SERVER goes to a registry the Azure tree must create; a registry host the spec
// names (<name>.azurecr.io) is the spec's to provide.
import type { ReadJob } from "../github/read-workflows.js";
import type { RenderedTrees } from "../target.js";

export function acrProvides(repository: string, _job: ReadJob, trees: RenderedTrees): string | undefined {
  if (!repository.startsWith("${{")) return undefined;
  const creates = Object.entries(trees.azure ?? {}).some(
    ([f, text]) =>
      f.endsWith(".bicep") && /^resource \w+ 'Microsoft\.ContainerRegistry\/registries@/m.test(text),
  );
  return creates ? undefined : "no Bicep file of the Azure tree creates the container registry it names";
}
