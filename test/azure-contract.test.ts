// What an app receives on Azure App Service (src/targets/azure/supply.ts): each variable of its
// contract with the value App Service gives it, the app settings the parameter files set per
// environment, the Key Vault secrets the deployment writes or composes for them, what App Service
// cannot supply (named at the workload by check()), `gantry env --target azure`, the migrations on
// the pipeline's runner, and that no module of main.bicep waits on itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { envOnTarget } from "../src/cli/env.js";
import {
  isExpr,
  printValue,
  type BicepFile,
  type BicepObject,
  type BicepValue,
} from "../src/format/bicep.js";
import { workloadVariables } from "../src/model/bindings.js";
import type { AppModel, JobModel, ProjectModel, ServiceModel } from "../src/model/types.js";
import { loadSpec } from "../src/model/load.js";
import { azureTarget, buildAzure } from "../src/targets/azure/index.js";
import { appSettings } from "../src/targets/azure/supply.js";
import { outputOf } from "../src/targets/azure/sections/part.js";
import { githubTarget } from "../src/targets/registry.js";
import { checkAzureProject } from "../src/validate/bicep-types.js";
import { bicepSyntaxProblems } from "../src/validate/bicep-grammar.js";
import { EXAMPLES, exampleContext, loadExample, runCli } from "./helpers.js";

/** A spec whose env values refer to parts of what the services use, differently per environment. */
const TEMPLATES = `name: shop
services:
  api:
    build: ./api
    port: 8080
    command: node server.js --port $PORT
    migrations: ./migrate --url "$DATABASE_URL"
    health: /health
    uses: [db, cache, files, events]
    secrets: [API_KEY]
    env:
      SQLALCHEMY_URL: "postgresql+psycopg://\${db.user}:\${db.password}@\${db.host}:\${db.port}/\${db.database}"
      CELERY_BROKER: "\${cache.url}/0"
      CACHE_HOST: "\${cache.host}"
      DB_PORT: "\${db.port}"
      FILES: "\${files.url}/images"
      PLAIN: hello
  worker:
    build: ./api
    command: python worker.py && echo done
    subscribes: [events]
    uses: [db, analytics]
    env: { DSN: "host=\${analytics.host}" }
  nightly: { build: ./api, schedule: "0 3 * * *", uses: [db] }
postgres: { db: { version: 16 }, analytics: { version: 16 } }
redis: { cache: {} }
buckets: { files: {} }
topics: { events: {} }
environments:
  dev:
    services:
      api: { env: { FILES: "\${files.url}/dev-images" } }
  production: {}
`;

const templates = (): ProjectModel => loadSpec("shop/gantry.yaml", TEMPLATES).project;
const example = (name: string): ProjectModel => loadExample(name).project;
const envOf = (p: ProjectModel, name: string): AppModel =>
  p.environments.find((m) => m.environment.name === name)!;
const serviceOf = (m: AppModel, n: string) => m.services[n] as ServiceModel;

/** The object `<service>Config.<field>` of an environment's parameter file. */
function configField(p: ProjectModel, env: string, service: string, field: string): Record<string, string> {
  const file = buildAzure(p).params[`parameters/${env}.bicepparam`]!;
  const config = file.params.find((x) => x.name === `${service}Config`)!.value as BicepObject;
  return config[field] as Record<string, string>;
}

const moduleCall = (p: ProjectModel, symbol: string) =>
  buildAzure(p).bicep["main.bicep"]!.modules.find((m) => m.symbol === symbol);

describe("azure: what an app receives on App Service", () => {
  it("augeo's api gets its contract with App Service's values, and App Service's own settings", () => {
    const p = example("augeo");
    for (const env of ["dev", "staging", "production"]) {
      const settings = configField(p, env, "api", "settings");
      assert.deepEqual(
        {
          GANTRY_ENV: settings.GANTRY_ENV,
          GANTRY_SERVICE: settings.GANTRY_SERVICE,
          HOST: settings.HOST,
          PORT: settings.PORT,
          WEBSITES_PORT: settings.WEBSITES_PORT,
          PGPORT: settings.PGPORT,
          PGDATABASE: settings.PGDATABASE,
          PGUSER: settings.PGUSER,
          PGSSLMODE: settings.PGSSLMODE,
          BUCKET_NAME: settings.BUCKET_NAME,
          LOG_LEVEL: settings.LOG_LEVEL,
        },
        {
          GANTRY_ENV: env,
          GANTRY_SERVICE: "api",
          HOST: "0.0.0.0",
          PORT: "8000",
          WEBSITES_PORT: "8000",
          PGPORT: "5432",
          PGDATABASE: "augeo",
          PGUSER: "dbadmin",
          PGSSLMODE: "require",
          BUCKET_NAME: "uploads",
          LOG_LEVEL: "info",
        },
      );
      assert.deepEqual(configField(p, env, "api", "secretSettings"), {
        ACS_CONNECTION_STRING: "acs-connection-string",
        CACHE_REDIS_URL: "redis-url",
        DATABASE_URL: "database-url",
        DB_DATABASE_URL: "database-url",
        EMAIL_SENDER_DOMAIN: "email-sender-domain",
        JWT_SECRET: "jwt-secret",
        PGHOST: "database-host",
        PGPASSWORD: "database-password",
        REDIS_URL: "redis-url",
        STRIPE_API_KEY: "stripe-api-key",
        TWILIO_API_KEY: "twilio-api-key",
      });
      assert.deepEqual(configField(p, env, "api", "deployedSettings"), {
        APPLICATIONINSIGHTS_CONNECTION_STRING: "applicationInsights",
        BUCKET_URL: "uploads.url",
        UPLOADS_BUCKET_URL: "uploads.url",
      });
    }
    const api = moduleCall(p, "apiApp")!;
    assert.equal(
      printValue(api.params.deployedValues ?? null),
      [
        "{",
        "  applicationInsights: appInsights.outputs.connectionString",
        "  'uploads.url': 'https://staugeo${environmentCode}${suffix}.blob.${environment().suffixes.storage}/uploads'",
        "}",
      ].join("\n"),
    );
  });

  it("the data stores write every secret the settings refer to: TLS URLs, host names, passwords", () => {
    const tree = azureTarget.render(example("augeo"), exampleContext("augeo"));
    const postgres = tree["modules/postgres.bicep"]!;
    assert.match(
      postgres,
      /value: 'postgresql:\/\/\$\{administratorLogin\}:\$\{uriComponent\(administratorLoginPassword\)\}@\$\{server\.properties\.fullyQualifiedDomainName\}:5432\/\$\{empty\(databases\) \? 'postgres' : first\(databases\)\}\?sslmode=require'/,
    );
    assert.match(tree["modules/redis.bicep"]!, /value: 'rediss:\/\/:\$\{redis\.listKeys\(\)\.primaryKey\}@/);
    // Every Key Vault secret an app setting names is written by the deployment or set by operators.
    const p = example("augeo");
    const main = buildAzure(p).bicep["main.bicep"]!;
    const written = new Set(
      main.modules.flatMap((m) =>
        Object.entries(m.params)
          .filter(([k]) => /SecretName$/.test(k))
          .map(([, v]) => v as string),
      ),
    );
    const readme = tree["README.md"]!;
    for (const m of p.environments)
      for (const [name, secret] of Object.entries(
        configField(p, m.environment.name, "api", "secretSettings"),
      ))
        assert.ok(
          written.has(secret) || readme.includes(`--name ${secret} --value "$${name}"`),
          `${m.environment.name}: ${name} reads ${secret}, which nothing writes`,
        );
  });

  it("env templates: text where all is known, a deployment value, or a Key Vault secret the deployment composes", () => {
    const p = templates();
    assert.deepEqual(checkAzureProject(p), []);
    const dev = configField(p, "dev", "api", "settings");
    assert.equal(dev.DB_PORT, "5432");
    assert.equal(dev.PLAIN, "hello");
    assert.deepEqual(configField(p, "dev", "api", "deployedSettings").FILES, "${files.url}/dev-images");
    assert.deepEqual(configField(p, "production", "api", "deployedSettings").FILES, "${files.url}/images");
    const secrets = configField(p, "production", "api", "secretSettings");
    assert.equal(secrets.SQLALCHEMY_URL, "env-api-sqlalchemy-url");
    assert.equal(secrets.CELERY_BROKER, "env-api-celery-broker");
    // A single part is the secret its store writes.
    assert.equal(secrets.CACHE_HOST, "redis-host");
    assert.equal(configField(p, "dev", "worker", "secretSettings").DSN, "env-worker-dsn");
    // One module writes the composed secrets, each environment's from its parameter.
    const writer = moduleCall(p, "keyVaultEnvSecrets")!;
    assert.deepEqual(writer.dependsOn, ["cacheRedis"]);
    const values = writer.params.values as BicepObject;
    assert.equal(
      printValue(
        values["postgresql+psycopg://${db.user}:${db.password}@${db.host}:${db.port}/${db.database}"]!,
      ),
      "'postgresql+psycopg://dbadmin:${dbAdministratorPassword}@${dbPostgres.outputs.fqdn}:5432/db'",
    );
    assert.equal(
      printValue(values["${cache.url}/0"]!),
      "'rediss://:${cacheRedisKeys.listKeys().primaryKey}@${cacheRedis.outputs.hostName}:6380/0'",
    );
    const composed = buildAzure(p).params["parameters/dev.bicepparam"]!.params.find(
      (x) => x.name === "composedSecrets",
    )!.value;
    assert.deepEqual(composed, {
      "env-api-celery-broker": "${cache.url}/0",
      "env-api-sqlalchemy-url":
        "postgresql+psycopg://${db.user}:${db.password}@${db.host}:${db.port}/${db.database}",
      "env-worker-dsn": "host=${analytics.host}",
    });
    // The key module is declared secure; the cache's key is read in main.bicep, never an output.
    const tree = azureTarget.render(p, exampleContext("augeo"));
    assert.match(
      tree["modules/key-vault-secrets.bicep"]!,
      /@secure\(\)\n@description\('The composed values by key\.'\)\nparam values object/,
    );
    assert.match(
      tree["main.bicep"]!,
      /resource cacheRedisKeys 'Microsoft\.Cache\/redis@2024-03-01' existing = \{\n {2}scope: resourceGroup\(resourceGroupName\)\n {2}name: 'redis-shop-cache-\$\{environmentCode\}-\$\{suffix\}'\n\}/,
    );
  });

  it("env templates print as valid Bicep", async () => {
    const tree = azureTarget.render(templates(), exampleContext("augeo"));
    for (const [f, text] of Object.entries(tree))
      if (f.endsWith(".bicep")) assert.deepEqual(await bicepSyntaxProblems(text), [], f);
  });

  it("a job is not deployed on App Service: nothing supplies its variables", () => {
    const m = envOf(example("augeo"), "production");
    const job = m.services.cleanup as JobModel;
    const settings = appSettings(m, job);
    assert.deepEqual(
      settings.map((s) => s.name),
      workloadVariables(m, job).map((v) => v.name),
    );
    assert.ok(settings.every((s) => s.supply.kind === "missing" && !s.platform));
  });
});

describe("azure: what App Service cannot supply is a warning at the workload", () => {
  const problems = (p: ProjectModel) =>
    azureTarget.check(p, exampleContext("augeo")).map((x) => `${x.severity} ${x.path}: ${x.message}`);

  it("names the Dapr variables of each service that uses topics", () => {
    const hello = problems(example("hello"));
    assert.ok(
      hello.includes(
        "warning services.api.uses: App Service runs no Dapr sidecar, so api gets no DAPR_HTTP_PORT or PUBSUB_NAME for topic note-events",
      ),
      hello.join("\n"),
    );
    assert.ok(
      hello.includes(
        "warning services.worker.subscribes: App Service runs no Dapr sidecar, so worker gets no DAPR_HTTP_PORT or PUBSUB_NAME for topic note-events",
      ),
    );
    const m = envOf(example("hello"), "dev");
    const env = envOnTarget(m, serviceOf(m, "api"), "azure").variables;
    assert.deepEqual(
      env.filter((v) => v.missing).map((v) => v.name),
      ["DAPR_HTTP_PORT", "PUBSUB_NAME"],
    );
  });

  it("names a job's variables, and says App Service keeps an image's ENTRYPOINT under `command`", () => {
    const augeo = problems(example("augeo"));
    assert.ok(
      augeo.includes(
        "warning services.cleanup.schedule: scheduled job cleanup has no App Service equivalent and is not generated, so nothing supplies its variables (CACHE_REDIS_URL, DATABASE_URL, DB_DATABASE_URL, GANTRY_ENV, GANTRY_SERVICE, JWT_SECRET, PGDATABASE, PGHOST, PGPASSWORD, PGPORT, PGSSLMODE, PGUSER, REDIS_URL)",
      ),
      augeo.join("\n"),
    );
    assert.ok(
      augeo.includes(
        "warning services.api.command: App Service runs api's command in place of the image's CMD and keeps its ENTRYPOINT: with an ENTRYPOINT in the image, the command becomes its arguments",
      ),
    );
    // On AKS the chart replaces the entrypoint: nothing to say.
    assert.ok(!problems(example("todo")).some((x) => x.includes("ENTRYPOINT")));
  });

  it("rejects a secret stored where the deployment writes one", () => {
    const spec = TEMPLATES.replace("secrets: [API_KEY]", "secrets: [API_KEY, REDIS_PASSWORD]");
    assert.ok(
      problems(loadSpec("shop/gantry.yaml", spec).project).includes(
        "error services.api.secrets[1]: secret REDIS_PASSWORD would be Key Vault secret redis-password, which the deployment writes (password of Redis cache)",
      ),
    );
    assert.ok(!problems(templates()).some((x) => x.startsWith("error")));
  });

  it("rejects a variable named like a setting App Service adds", () => {
    const spec = TEMPLATES.replace("PLAIN: hello", "WEBSITES_PORT: '9000'");
    assert.ok(
      problems(loadSpec("shop/gantry.yaml", spec).project).includes(
        "error services.api.env.WEBSITES_PORT: App Service sets WEBSITES_PORT itself; api cannot have a variable of that name",
      ),
    );
  });
});

describe("azure: gantry env", () => {
  it("says where each value comes from on App Service, and marks App Service's own", async () => {
    const r = await runCli([
      "env",
      "api",
      "examples/augeo",
      "--target",
      "azure",
      "--env",
      "production",
      "--json",
    ]);
    assert.equal(r.code, 0, r.err);
    const vars = (JSON.parse(r.out) as { variables: { name: string; source: string; platform: boolean }[] })
      .variables;
    const by = Object.fromEntries(vars.map((v) => [v.name, v]));
    assert.equal(by.WEBSITES_PORT?.platform, true);
    assert.equal(by.DATABASE_URL?.platform, false);
    const text = await runCli(["env", "api", "examples/augeo", "--target", "azure", "--env", "production"]);
    assert.match(
      text.out,
      /DATABASE_URL +postgres db: url +Key Vault secret database-url \(the deployment writes it\) +secret/,
    );
    assert.match(
      text.out,
      /JWT_SECRET +secret JWT_SECRET +Key Vault secret jwt-secret \(you set it\) +secret/,
    );
    assert.match(text.out, /HOST +the address to listen on +app setting "0\.0\.0\.0"/);
    assert.match(text.out, /BUCKET_URL +bucket uploads: url +blob container uploads of the storage account/);
  });
});

describe("azure: migrations on the runner get the app's variables", () => {
  interface Step {
    name: string;
    run?: string;
    if?: string;
    env?: Record<string, string>;
  }
  const steps = (ex: string, file: string): Step[] => {
    const wf = parse(githubTarget.render(example(ex), exampleContext(ex, "azure"))[file]!) as {
      jobs: Record<string, { steps: Step[] }>;
    };
    return Object.values(wf.jobs).flatMap((j) => j.steps);
  };

  it("reads every app setting of the service, Key Vault references from the vault, and runs the command's words", () => {
    const all = steps("augeo", "deploy-production.yml");
    const migrate = all.find((s) => s.name === "Migrate api")!;
    const m = envOf(example("augeo"), "production");
    const names = appSettings(m, serviceOf(m, "api"))
      .filter((s) => s.supply.kind !== "missing")
      .map((s) => s.name);
    assert.ok(migrate.run!.includes(`for name in ${names.join(" ")}; do`), migrate.run);
    assert.ok(names.includes("DATABASE_URL") && names.includes("PGPASSWORD") && names.includes("JWT_SECRET"));
    assert.match(migrate.run!, /az keyvault secret show --vault-name "\$KEY_VAULT"/);
    assert.match(
      migrate.run!,
      /docker run --rm "\$\{args\[@\]\}" --entrypoint alembic "\$\{IMAGE,,\}" upgrade head\n$/,
    );
    // No GitHub secret stands in for a value of the app.
    assert.ok(!Object.values(migrate.env ?? {}).some((v) => v.includes("secrets.")));
    // The vault admits every network (RBAC only, as Microsoft's Key Vault references guide leads to
    // without a virtual network): no firewall rule for the runner's address to add and remove.
    assert.ok(!all.some((s) => s.run?.includes("network-rule")), "no Key Vault network rule");
  });

  it("a rollback neither migrates nor opens the vault", () => {
    const names = steps("augeo", "rollback.yml").map((s) => s.name);
    assert.ok(!names.some((n) => n.startsWith("Migrate") || n.includes("Key Vault")));
  });
});

// ---- dependencies of main.bicep ------------------------------------------------------------------

/** The symbols a value refers to: `x`, `x.outputs.y`, `x.listKeys()`. */
function refsOf(v: BicepValue | undefined, out = new Set<string>()): Set<string> {
  if (v === null || v === undefined || typeof v !== "object") return out;
  if (Array.isArray(v)) {
    for (const x of v) refsOf(x, out);
    return out;
  }
  if (!isExpr(v)) {
    for (const x of Object.values(v)) refsOf(x, out);
    return out;
  }
  if (v.kind === "ref") out.add(v.name);
  if (v.kind === "call" && v.fn.includes(".")) out.add(v.fn.split(".")[0]!);
  for (const x of Object.values(v)) if (typeof x === "object") refsOf(x, out);
  return out;
}

/** A cycle among the resources and modules of a file, through their references and dependsOn. */
function dependencyCycle(f: BicepFile): string[] | undefined {
  const vars = new Map(f.vars.map((v) => [v.name, v.value]));
  const nodes = new Map<string, Set<string>>();
  for (const d of [...f.resources, ...f.modules]) {
    const { symbol, dependsOn = [], ...rest } = d;
    nodes.set(symbol, new Set([...refsOf(rest), ...dependsOn]));
  }
  // A variable stands for what it refers to.
  const expand = (names: Set<string>, seen = new Set<string>()): string[] =>
    [...names].flatMap((n) => {
      if (nodes.has(n)) return [n];
      if (!vars.has(n) || seen.has(n)) return [];
      seen.add(n);
      return expand(refsOf(vars.get(n)), seen);
    });
  const edges = new Map([...nodes].map(([n, refs]) => [n, expand(refs).filter((x) => x !== n)]));
  const state = new Map<string, "open" | "done">();
  const visit = (n: string, path: string[]): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "open") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "open");
    for (const m of edges.get(n) ?? []) {
      const cycle = visit(m, [...path, n]);
      if (cycle) return cycle;
    }
    state.set(n, "done");
    return undefined;
  };
  for (const n of nodes.keys()) {
    const cycle = visit(n, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("azure: main.bicep", () => {
  it("has no module that waits on itself (Bicep rejects dependency cycles)", () => {
    for (const p of [...EXAMPLES.map(example), templates()])
      assert.equal(dependencyCycle(buildAzure(p).bicep["main.bicep"]!), undefined, p.name);
    // The check finds one: an app setting from the module that grants the app its vault role.
    const main = buildAzure(example("augeo")).bicep["main.bicep"]!;
    const looped = {
      ...main,
      modules: main.modules.map((m) =>
        m.symbol === "apiApp"
          ? { ...m, params: { ...m.params, extra: outputOf("keyVaultAccess", "name") } }
          : m,
      ),
    };
    assert.deepEqual(dependencyCycle(looped), ["apiApp", "keyVaultAccess", "apiApp"]);
  });
});
