// What `gantry deploy --target kubernetes` installs, as plain data: the Helm release of one
// environment in the tree `gantry synth kubernetes` writes. The Kubernetes target computes it
// (src/targets/kubernetes/release.ts: it knows the tree's layout); the engine may not import the
// targets, so the CLI hands it over and TypeScript checks the two shapes agree.

export interface HelmRelease {
  /** The app: the release name, and the `app.kubernetes.io/part-of` label of everything it runs. */
  app: string;
  environment: string;
  namespace: string;
  /** Relative to the tree: the chart directory and the environment's values file. */
  chart: string;
  values: string;
  bootstrap: {
    /** The environment's namespace, quota and limit range, and what else it needs in the cluster. */
    manifests: string[];
    /** The cluster-wide bootstrap (platform charts, CRDs), run when the API versions the chart uses are missing. */
    installer?: string;
    /** The document to read about the Secrets an environment needs. */
    secretsDoc?: string;
  };
  smoke: { urls: string[]; trusted: boolean };
  /** Helm's --timeout: how long the upgrade (hooks included) may take. */
  timeout: string;
}

/** One step of a deploy, as `gantry deploy --target kubernetes --plan` prints it. */
export interface KubeStep {
  kind: "cluster" | "platform" | "namespace" | "secrets" | "migrations" | "upgrade" | "rollout" | "smoke";
  lines: string[];
}
