// The registries that belong to no deploy platform: GitHub's own container registry, and any other
// registry a spec names (logged in to with a user name and password). An image prefix is served by
// the first platform registry that recognises it, else by one of these.
import type { Platform, RegistryService } from "../platform.js";
import type { Pipeline } from "./pipeline.js";
import { action } from "./workflow.js";

const hostOf = (prefix: string): string => prefix.split("/")[0] ?? prefix;

export const GHCR: RegistryService = {
  serves: (prefix) => hostOf(prefix) === "ghcr.io",
  login: () => ({
    steps: [
      action("Log in to GitHub Container Registry", "docker/login-action", {
        registry: "ghcr.io",
        username: "${{ github.actor }}",
        password: "${{ secrets.GITHUB_TOKEN }}",
      }),
    ],
    permissions: { packages: "write" },
  }),
  immutableTags: false,
  settings: () => ({ variables: [], secrets: ["GITHUB_TOKEN"] }),
  // GitHub creates a package on its first push, by a GITHUB_TOKEN that may write packages.
  provides: (repository, job) =>
    job.permissions.packages === "write"
      ? undefined
      : `job ${job.id} pushes ${repository} with GITHUB_TOKEN but has no \`packages: write\``,
};

/** Any other registry: the host of the image prefix, with credentials from the repository. */
export const OTHER_REGISTRY: RegistryService = {
  serves: () => true,
  login: (p: Pipeline) => ({
    steps: [
      action("Log in to the image registry", "docker/login-action", {
        registry: hostOf(p.registry.prefix),
        username: "${{ vars.REGISTRY_USERNAME }}",
        password: "${{ secrets.REGISTRY_PASSWORD }}",
      }),
    ],
    permissions: {},
  }),
  immutableTags: false,
  settings: () => ({ variables: ["REGISTRY_USERNAME"], secrets: ["REGISTRY_PASSWORD"] }),
};

/** The registry service of an image prefix. */
export function registryFor(prefix: string, platforms: readonly Platform[]): RegistryService {
  const services = [...platforms.flatMap((p) => p.registries), GHCR];
  return services.find((r) => r.serves(prefix)) ?? OTHER_REGISTRY;
}
