// Target-wide settings of the Kubernetes target: `targets.kubernetes` with its defaults, and where
// images come from. Documented in docs/targets/kubernetes.md.
import type { AnyServiceModel, AppModel, TargetsModel } from "../../model/types.js";

export type KubernetesSettings = Required<
  Omit<NonNullable<TargetsModel["kubernetes"]>, "registry" | "tls_email">
> & {
  registry: string;
  /** Where the registry came from, for the problem messages. */
  registrySource: "spec" | "repository" | "local";
  tls_email?: string;
};

/** Registry used when neither targets.kubernetes.registry nor ci.repository says where images live. */
export const LOCAL_REGISTRY = "localhost:5000";

export function kubernetesSettings(app: AppModel): KubernetesSettings {
  const t = app.targets.kubernetes;
  let registry: string;
  let registrySource: KubernetesSettings["registrySource"];
  if (t?.registry) {
    registry = t.registry.replace(/\/+$/, "");
    registrySource = "spec";
  } else if (app.ci.repository) {
    registry = `ghcr.io/${app.ci.repository.toLowerCase()}`;
    registrySource = "repository";
  } else {
    registry = `${LOCAL_REGISTRY}/${app.name}`;
    registrySource = "local";
  }
  return {
    provider: t?.provider ?? "generic",
    ingress_class: t?.ingress_class ?? "nginx",
    tls_issuer: t?.tls_issuer ?? "letsencrypt-prod",
    image_pull_secret: t?.image_pull_secret ?? "registry-credentials",
    secret_name: t?.secret_name ?? "app-secrets",
    registry,
    registrySource,
    ...(t?.tls_email ? { tls_email: t.tls_email } : {}),
  };
}

/**
 * The image repository of a service (without tag). A service with `image` uses it; otherwise the
 * image is `<registry>/<service>` when the registry already ends with the app's name
 * (ghcr.io/hackathon/todo → ghcr.io/hackathon/todo/backend), else `<registry>/<app>/<service>`.
 */
export function imageRepository(
  app: string,
  registry: string,
  svc: AnyServiceModel,
  name = svc.name,
): string {
  if (svc.type !== "static" && svc.image) return svc.image.replace(/:[^/:@]+$/, "");
  const last = registry.split("/").pop();
  return last === app ? `${registry}/${name}` : `${registry}/${app}/${name}`;
}

/** The tag of a service's own `image`, when it names one. */
export function imageTag(svc: AnyServiceModel): string | undefined {
  if (svc.type === "static" || !svc.image) return undefined;
  return /:([^/:@]+)$/.exec(svc.image)?.[1];
}

/**
 * Whether clients trust the certificates of a ClusterIssuer: Let's Encrypt's staging roots are in
 * no trust store (letsencrypt.org/docs/staging-environment).
 */
export function issuerTrusted(issuer: string): boolean {
  return issuer !== "letsencrypt-staging";
}

/**
 * Every Kubernetes the chart goes to: `targets.kubernetes.provider`, AKS when Azure runs the chart
 * (`targets.azure.compute: aks`) and DOKS when the DigitalOcean target is configured. One chart and
 * one set of values serve them all, so egress rules and load balancer annotations cover each.
 */
export function chartProviders(app: AppModel): KubernetesSettings["provider"][] {
  const out = new Set([kubernetesSettings(app).provider]);
  if (app.targets.azure?.compute === "aks") out.add("aks");
  if (app.targets.digitalocean) out.add("doks");
  if (out.size > 1) out.delete("generic");
  return [...out];
}
