// What `gantry deploy --target <cluster target>` installs, as plain data: the Helm release of one
// environment in the tree the target renders (paths relative to that tree). The target computes it
// (Target.clusterRelease: it knows its tree's layout) and src/engine/kubernetes deploys it; both import
// it from here, below them.

export interface ClusterRelease {
  /** The app: the release name, and the `app.kubernetes.io/part-of` label of everything it runs. */
  app: string;
  environment: string;
  namespace: string;
  /** The chart directory and the environment's values file. */
  chart: string;
  values: string;
  /**
   * The environment's objects as the chart gives them with its values (the plain manifests the target
   * renders beside the chart, the same as `helm template`): what a deploy reads the release's
   * Secrets, hooks, workloads and API versions from.
   */
  rendered: string[];
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
