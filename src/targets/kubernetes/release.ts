// What `gantry deploy --target kubernetes` installs for one environment, in the tree this target
// writes: the Helm release (named after the app, in the environment's namespace), its values file, the
// bootstrap files of that environment and of the cluster, and the smoke checks its pipelines run.
import type { AppModel } from "../../model/types.js";
import { smokeUrls } from "../github/pipeline.js";
import type { ClusterRelease } from "../../model/cluster-release.js";
import type { FileTree } from "../target.js";
import { issuerTrusted, kubernetesSettings } from "./settings.js";

const BOOTSTRAP = "cluster-bootstrap";

export function clusterRelease(env: AppModel, tree: FileTree): ClusterRelease {
  const name = env.environment.name;
  const own = [`${BOOTSTRAP}/namespaces/${name}.yaml`, `${BOOTSTRAP}/dapr/configuration-${name}.yaml`];
  return {
    app: env.name,
    environment: name,
    namespace: env.environment.namespace,
    chart: "chart",
    values: `chart/values-${name}.yaml`,
    rendered: Object.keys(tree)
      .filter((f) => f.startsWith(`rendered/${name}/`))
      .sort(),
    bootstrap: {
      manifests: own.filter((f) => tree[f] !== undefined),
      ...(tree[`${BOOTSTRAP}/install.sh`] !== undefined ? { installer: `${BOOTSTRAP}/install.sh` } : {}),
      ...(tree["operations/secrets.md"] !== undefined ? { secretsDoc: "operations/secrets.md" } : {}),
    },
    smoke: { urls: smokeUrls(env), trusted: issuerTrusted(kubernetesSettings(env).tls_issuer) },
    timeout: env.ci.deploy_timeout,
  };
}
