// A generated spec of N services x 3 environments, shared by the benchmarks.
import { printYaml } from "../src/format/yaml.js";

export function bigSpec(services = 200): string {
  const svc: Record<string, unknown> = {};
  const overrides: Record<string, unknown> = {};
  for (let i = 0; i < services; i++) {
    const name = `svc-${String(i).padStart(3, "0")}`;
    const kind = i % 10;
    if (kind === 9) {
      svc[name] = {
        static: `./web/${name}`,
        build: "npm run build",
        output: "dist",
        domain: `${name}.example.com`,
      };
      continue;
    }
    if (kind === 8) {
      svc[name] = {
        build: `./svc/${name}`,
        command: "node worker.js",
        subscribes: ["events"],
        uses: ["db", "cache"],
        secrets: ["API_TOKEN"],
      };
      continue;
    }
    svc[name] = {
      build: `./svc/${name}`,
      command: "node server.js",
      port: 10000 + i,
      health: { liveness: "/health", readiness: "/ready" },
      env: { LOG_LEVEL: "info", FEATURE: `f${i}` },
      secrets: ["JWT_SECRET", "API_TOKEN"],
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      scale: { min: 2, max: 6, cpu: 70 },
      domain: `${name}.example.com`,
      metrics: "/metrics",
      uses: ["db", "cache", "events"],
    };
    overrides[name] = { scale: { min: 1, max: 2 }, domain: `${name}.staging.example.com` };
  }
  return printYaml({
    name: "bench",
    services: svc,
    postgres: { db: { version: 16 } },
    redis: { cache: { persistence: "aof" } },
    topics: { events: { partitions: 6 } },
    monitoring: { channels: { ops: { type: "email", to: ["ops@example.com"] } } },
    budget: { monthly_usd: 5000 },
    ci: { repository: "example/bench" },
    targets: {
      kubernetes: { provider: "generic", registry: "ghcr.io/example", tls_email: "ops@example.com" },
      azure: { location: "eastus" },
      aws: { region: "us-east-1", account_id: "123456789012" },
      digitalocean: { region: "nyc1" },
    },
    environments: {
      dev: {},
      staging: { services: overrides },
      production: { deploy: { on: "release", approval: "required" } },
    },
  });
}
