// The commented starter gantry.yaml that `gantry init` writes, built as a YAML document with
// comments attached to its nodes (one printer, no string concatenation of YAML).
import { Document, isMap, isPair, isScalar } from "yaml";
import type { Detected } from "./detect.js";

const COMMENTS: Record<string, string> = {
  name: " The app's name: used in resource names, namespaces and tags.",
  services:
    " Services: HTTP services (port), workers, static frontends (static) and scheduled jobs (schedule).\n See docs/spec.md for every field.",
  postgres: " PostgreSQL servers. Services list the ones they use in `uses`.",
  redis: " Redis caches.",
  environments: " Environments and what differs between them (maps merge, lists replace, null removes).",
  targets: " Where it can be deployed: `gantry synth kubernetes`, `azure`, `aws`, `digitalocean`, `github`.",
};

export function starterSpec(d: Detected, schemaRef: string): string {
  const services: Record<string, unknown> = {};
  for (const s of d.services) {
    const uses = [...(s.postgres ? ["db"] : []), ...(s.redis ? ["cache"] : [])];
    if (s.kind === "static") {
      services[s.name] = {
        static: s.dir === "." ? "." : `./${s.dir}`,
        ...(s.install ? { install: s.install } : {}),
        ...(s.buildCommand ? { build: s.buildCommand } : {}),
        output: s.output ?? "dist",
        ...(s.spa !== undefined ? { spa: s.spa } : {}),
      };
      continue;
    }
    const ci = Object.fromEntries(
      Object.entries({ install: s.install, lint: s.lint, typecheck: s.typecheck, test: s.test }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    services[s.name] = {
      ...(s.kind === "worker" ? { type: "worker" } : {}),
      build: s.dir === "." ? "." : `./${s.dir}`,
      ...(s.buildCommand ? { build_command: s.buildCommand } : {}),
      ...(s.command ? { command: s.command } : {}),
      ...(s.port ? { port: s.port } : {}),
      ...(s.migrations ? { migrations: s.migrations } : {}),
      ...(s.health ? { health: { liveness: s.health, readiness: s.health } } : {}),
      ...(s.kind === "http" ? { scale: { min: 1, max: 3, cpu: 70 } } : {}),
      ...(uses.length ? { uses } : {}),
      ...(Object.keys(ci).length ? { ci } : {}),
    };
  }
  const spec: Record<string, unknown> = {
    name: d.name,
    services,
    ...(d.postgres ? { postgres: { db: { version: 16, backups: { retention_days: 7, pitr: true } } } } : {}),
    ...(d.redis ? { redis: { cache: { persistence: "none" } } } : {}),
    environments: {
      staging: { deploy: { on: "push", branch: "main" } },
      production: {
        deploy: { on: "release", approval: "required" },
        services: Object.fromEntries(
          d.services.filter((s) => s.kind === "http").map((s) => [s.name, { scale: { min: 2 } }]),
        ),
      },
    },
  };
  const envs = spec.environments as { production: { services: Record<string, unknown> } };
  if (Object.keys(envs.production.services).length === 0)
    delete (envs.production as Partial<typeof envs.production>).services;

  const doc = new Document(spec);
  doc.commentBefore = ` yaml-language-server: $schema=${schemaRef}\n Written by \`gantry init\`${d.services.length ? ` from what it found: ${d.services.map((s) => `${s.name} (${s.framework ?? s.stack} ${s.kind === "static" ? "frontend" : s.kind})`).join(", ")}` : ""}.\n Check it, then run \`gantry validate\`. Secrets are listed by name under a service's \`secrets\`, never with values.`;
  if (isMap(doc.contents)) {
    for (const item of doc.contents.items) {
      const pair = item;
      if (isPair(pair) && isScalar(pair.key)) {
        const c = COMMENTS[String(pair.key.value)];
        if (c) pair.key.commentBefore = c;
      }
    }
  }
  // Without a health route in the app's source, none is written: an instance is then ready once its
  // port answers HTTP, and the comment says how to add a real check.
  // A service found only by its Dockerfile has no command: `gantry up` cannot run it, and says so.
  const notes = new Map<string, string>();
  for (const s of d.services) {
    if (s.kind === "static") continue;
    if (!s.command)
      notes.set(
        s.name,
        " Found by its Dockerfile: the cloud targets build and run its image, but `gantry up` runs no\n containers. Set `command` (and `build_command`) to run it on this machine.",
      );
    else if (s.kind === "http" && !s.health)
      notes.set(
        s.name,
        " No health route was found in its source: an instance counts as ready once it answers HTTP on its port (any status below 500).\n Add a route such as GET /health that answers 200, then set `health: /health`.",
      );
  }
  const servicesNode = doc.get("services", true);
  if (isMap(servicesNode)) {
    for (const pair of servicesNode.items) {
      const note = isScalar(pair.key) ? notes.get(String(pair.key.value)) : undefined;
      if (note && isScalar(pair.key)) pair.key.commentBefore = note;
    }
  }
  if (d.services.length === 0) {
    doc.comment =
      " No services were detected. Add one, for example:\n services:\n   api: { build: ., command: npm start, port: 3000 }";
  }
  return doc.toString({ lineWidth: 0, indent: 2, indentSeq: true });
}
