// What both Terraform targets read from the model the same way: the DNS zone of the domains, the
// secrets the workloads name, the addresses alerts e-mail and the public health endpoints checked
// from outside.
import type { AppModel, ChannelModel, ServiceModel, StaticModel } from "../../model/types.js";
import { publicHealthPath } from "./units.js";

/** The DNS zone: the spec's dns.zone, else the parent of the first domain ("" without domains). */
export function dnsZone(app: AppModel): string {
  if (app.dns?.zone) return app.dns.zone;
  const first = Object.values(app.services).flatMap((s) => (s.type === "job" ? [] : s.domains))[0];
  if (!first) return "";
  const labels = first.split(".");
  return labels.length > 2 ? labels.slice(-2).join(".") : first;
}

/** Every secret a workload names in any environment, sorted. */
export function secretNames(envs: readonly AppModel[]): string[] {
  const names = envs.flatMap((e) =>
    Object.values(e.services).flatMap((s) => (s.type === "static" ? [] : s.secrets)),
  );
  return [...new Set(names)].sort();
}

/** The addresses of the environment's e-mail channels, sorted. */
export function alertEmails(e: AppModel): string[] {
  return [
    ...new Set(Object.values(e.monitoring.channels).flatMap((c) => (c.type === "email" ? c.to : []))),
  ].sort();
}

/** The environment's channels by name, sorted: their type and, for e-mail, their addresses. */
export function alertChannels(e: AppModel): Record<string, { type: string; emails: string[] }> {
  return Object.fromEntries(
    Object.entries(e.monitoring.channels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, c]) => [name, { type: c.type, emails: c.type === "email" ? [...c.to].sort() : [] }]),
  );
}

/**
 * The channels of the given types (in any environment) whose URL is a secret, by channel name: the
 * secret each `webhook_secret` names. The pipelines pass them as one sensitive map input written as
 * JSON (`{"ops":"${{ secrets.OPS_URL }}"}`), which HCL reads as an object.
 */
function channelSecrets(
  envs: readonly AppModel[],
  types: readonly ChannelModel["type"][],
): Map<string, string> {
  return new Map(
    envs
      .flatMap((e) => Object.entries(e.monitoring.channels))
      .filter(([, c]) => types.includes(c.type) && c.webhook_secret)
      .map(([name, c]) => [name, c.webhook_secret!] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** The sensitive map input of channelSecrets, as the workflow's environment gives it to OpenTofu. */
function secretMapInput(secrets: ReadonlyMap<string, string>): string {
  return JSON.stringify(Object.fromEntries([...secrets].map(([name, s]) => [name, `\${{ secrets.${s} }}`])));
}

/** What a stack's alert channels need from GitHub and no file may hold, per GitHub environment. */
export interface ChannelInputs {
  env: Record<string, string>;
  variables: string[];
  secrets: string[];
}

/**
 * The channel inputs of a stack: `urls.input` maps each channel of `urls.types` to the secret its
 * webhook_secret names (an HCL object written as JSON, which HCL accepts); where a channel of
 * `ids.types` exists, `ids.input` reads the GitHub variable `ids.variable` (JSON by channel: the
 * chat ids the provider needs beside the URL).
 */
export function channelInputs(
  envs: readonly AppModel[],
  urls: { types: readonly ChannelModel["type"][]; input: string },
  ids: { types: readonly ChannelModel["type"][]; input: string; variable: string },
): ChannelInputs {
  const secrets = channelSecrets(envs, urls.types);
  const chat = envs.some((e) => Object.values(e.monitoring.channels).some((c) => ids.types.includes(c.type)));
  return {
    env: {
      ...(secrets.size ? { [urls.input]: secretMapInput(secrets) } : {}),
      ...(chat ? { [ids.input]: `\${{ vars.${ids.variable} || '{}' }}` } : {}),
    },
    variables: chat ? [ids.variable] : [],
    secrets: [...new Set(secrets.values())].sort(),
  };
}

export interface HealthEndpoint {
  /** The service's name for its first domain, `<name>-<i>` for the others. */
  key: string;
  fqdn: string;
  /** What a request from outside asks for: the health path under the service's route, "/" for a site. */
  path: string;
}

/** One endpoint per domain of each service or site, checked over HTTPS from outside. */
export function healthEndpoints(services: readonly (ServiceModel | StaticModel)[]): HealthEndpoint[] {
  return services.flatMap((svc) => {
    const path =
      svc.type === "static"
        ? "/"
        : publicHealthPath(svc.path, svc.health?.readiness ?? svc.health?.liveness ?? "/");
    return svc.domains.map((fqdn, i) => ({ key: i === 0 ? svc.name : `${svc.name}-${i}`, fqdn, path }));
  });
}
