// The Azure target: golden trees, determinism, the type-data check of every resource, the Bicep
// grammar, what the files say for each environment, the target's checks, and `synth --check`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { azureTarget, buildAzure } from "../src/targets/azure/index.js";
import { ROLES } from "../src/targets/azure/api.js";
import { SHARED_SCHEMAS } from "../src/validate/tools.js";
import { migrationRun, shellWord, startupCommand } from "../src/targets/azure/command.js";
import {
  checkAzureProject,
  checkBicepFiles,
  BicepTypes,
  checkParamFile,
  untaggedResources,
} from "../src/validate/bicep-types.js";
import { bicepParamSyntaxProblems, bicepSyntaxProblems } from "../src/validate/bicep-grammar.js";
import {
  call,
  member,
  printBicep,
  printBicepParams,
  printValue,
  ref,
  str,
  type BicepResource,
  type BicepValue,
} from "../src/format/bicep.js";
import { loadSpec } from "../src/model/load.js";
import {
  EXAMPLES,
  exampleContext,
  expectGoldenTree,
  loadExample,
  runCli,
  tempDir,
  REPO_ROOT,
} from "./helpers.js";
import type { ProjectModel } from "../src/model/types.js";
import { moduleNames } from "./azure-names.js";

const TENANT = "00000000-0000-0000-0000-000000000000";
const project = (name: string): ProjectModel => loadExample(name).project;
const render = (name: string) => azureTarget.render(project(name), exampleContext(name));

for (const ex of EXAMPLES) {
  test(`azure: ${ex} matches its golden tree`, () => {
    expectGoldenTree(azureTarget, ex, render(ex));
  });

  test(`azure: ${ex} renders the same bytes twice`, () => {
    assert.deepEqual(render(ex), render(ex));
  });

  test(`azure: every resource of ${ex} is valid against the Azure type data`, () => {
    const build = buildAzure(project(ex));
    assert.ok(Object.keys(build.bicep).length > 5);
    assert.deepEqual(checkBicepFiles(build.bicep), []);
    // Tags on everything: every deployed resource whose type takes tags sets them.
    assert.deepEqual(untaggedResources(build.bicep), []);
  });

  test(`azure: every Bicep and parameter file of ${ex} parses with the Bicep grammar`, async () => {
    const tree = render(ex);
    const files = Object.keys(tree).filter((f) => f.endsWith(".bicep") || f.endsWith(".bicepparam"));
    assert.ok(files.includes("main.bicep"));
    for (const f of files) {
      const text = tree[f]!;
      const problems = f.endsWith(".bicepparam")
        ? await bicepParamSyntaxProblems(text)
        : await bicepSyntaxProblems(text);
      assert.deepEqual(problems, [], `${f} has syntax errors`);
    }
  });

  test(`azure: ${ex} has a parameter file per environment and a runbook`, () => {
    const tree = render(ex);
    for (const m of project(ex).environments) {
      const p = tree[`parameters/${m.environment.name}.bicepparam`];
      assert.ok(p, `parameters/${m.environment.name}.bicepparam`);
      assert.match(p, /^using '\.\.\/main\.bicep'$/m);
      assert.match(p, new RegExp(`^param environmentName = '${m.environment.name}'$`, "m"));
      assert.match(p, new RegExp(`^param resourceGroupName = '${m.environment.resource_group}'$`, "m"));
      assert.match(
        tree["README.md"]!,
        new RegExp(
          `az deployment sub create --name ${ex}-${m.environment.name} .*--parameters parameters/${m.environment.name}\\.bicepparam`,
        ),
      );
      assert.match(
        tree["README.md"]!,
        new RegExp(`az deployment sub what-if --name ${ex}-${m.environment.name} `),
      );
    }
    assert.match(tree["main.bicep"]!, /^targetScope = 'subscription'$/m);
    assert.match(tree["main.bicep"]!, /^output resourceGroupName string = rg\.name$/m);
  });
}

test("azure: the check step passes every example", () => {
  const types = new BicepTypes();
  for (const ex of EXAMPLES) assert.deepEqual(checkAzureProject(project(ex), types), [], ex);
});

test("azure: the type check finds unknown, missing, read-only and disallowed properties", () => {
  const types = new BicepTypes();
  const vault = (body: BicepResource["body"], apiVersion = "2023-07-01"): string[] =>
    types.checkResource({ symbol: "v", type: "Microsoft.KeyVault/vaults", apiVersion, body });
  const good = {
    name: "kv-test",
    location: "eastus",
    properties: { tenantId: TENANT, sku: { family: "A", name: "standard" } },
  };
  assert.deepEqual(vault(good), []);
  assert.deepEqual(vault(good, "1999-01-01"), [
    "Microsoft.KeyVault/vaults@1999-01-01: unknown resource type or API version",
  ]);
  assert.deepEqual(vault({ ...good, properties: { ...good.properties, enableSoftDeletes: true } }), [
    "Microsoft.KeyVault/vaults@2023-07-01: properties.enableSoftDeletes: unknown property",
  ]);
  assert.deepEqual(vault({ name: "kv-test", location: "eastus", properties: { tenantId: TENANT } }), [
    "Microsoft.KeyVault/vaults@2023-07-01: properties.sku: required property missing",
  ]);
  assert.deepEqual(
    vault({ ...good, properties: { ...good.properties, sku: { family: "A", name: "gold" } } }),
    [`Microsoft.KeyVault/vaults@2023-07-01: properties.sku.name: "gold" is not one of 'standard', 'premium'`],
  );
  assert.deepEqual(
    vault({ ...good, properties: { ...good.properties, vaultUri: "https://x" } }).length,
    0,
    "vaultUri is settable",
  );
  assert.deepEqual(vault({ ...good, id: "x" }), [
    "Microsoft.KeyVault/vaults@2023-07-01: id: read-only property",
  ]);
  // Expressions count as present and are not checked further.
  assert.deepEqual(
    vault({
      name: ref("n"),
      location: call("resourceGroup"),
      properties: { tenantId: member(call("tenant"), "tenantId"), sku: ref("s") },
    }),
    [],
  );
  // The body of a [for ...] value is checked as one item of the array.
  const site = types.checkResource({
    symbol: "s",
    type: "Microsoft.Web/sites",
    apiVersion: "2024-04-01",
    body: {
      name: "s",
      location: "eastus",
      properties: { siteConfig: { appSettings: [{ name: "A", valeu: "b" }] } },
    },
  });
  assert.deepEqual(site, [
    "Microsoft.Web/sites@2024-04-01: properties.siteConfig.appSettings[0].valeu: unknown property",
  ]);
});

test("azure: the type check knows where a type can be deployed", () => {
  const types = new BicepTypes();
  const rg: BicepResource = {
    symbol: "rg",
    type: "Microsoft.Resources/resourceGroups",
    apiVersion: "2024-11-01",
    body: { name: "rg-x", location: "eastus" },
  };
  assert.deepEqual(types.checkResource(rg, "subscription"), []);
  assert.deepEqual(types.checkResource(rg, "resourceGroup"), [
    "Microsoft.Resources/resourceGroups@2024-11-01: cannot be deployed at resourceGroup scope",
  ]);
  const lock: BicepResource = {
    symbol: "lock",
    type: "Microsoft.Authorization/locks",
    apiVersion: "2020-05-01",
    body: { name: "l", properties: { level: "CanNotDelete" } },
  };
  assert.deepEqual(types.checkResource(lock, "resourceGroup"), []);
  assert.deepEqual(types.checkResource({ ...lock, scope: ref("vault") }, "resourceGroup"), []);
});

test("azure: module calls are checked against the module's parameters", () => {
  const build = buildAzure(project("augeo"));
  const main = build.bicep["main.bicep"]!;
  const broken = {
    ...build.bicep,
    "main.bicep": {
      ...main,
      modules: main.modules.map((m) =>
        m.symbol === "keyVault" ? { ...m, params: { ...m.params, name: undefined, colour: "blue" } } : m,
      ),
    },
  };
  const problems = checkBicepFiles(broken);
  assert.ok(
    problems.includes("main.bicep: module keyVault (modules/key-vault.bicep): unknown parameter colour"),
    problems.join("\n"),
  );
  assert.ok(
    problems.includes("main.bicep: module keyVault (modules/key-vault.bicep): missing parameter name"),
    problems.join("\n"),
  );
});

test("azure: the grammar check reports broken Bicep with its position", async () => {
  const problems = await bicepSyntaxProblems(
    "param a string\nresource x 'A/b@2020-01-01' = {\n  name: 'x'\n",
  );
  assert.ok(problems.length > 0);
  assert.equal((await bicepParamSyntaxProblems("using './main.bicep'\n\nparam a = 'x'\n")).length, 0);
  assert.ok((await bicepParamSyntaxProblems("using './main.bicep'\n\nparam a = \n")).length > 0);
});

test("azure: the printer escapes strings and interpolations", () => {
  const text = printBicep({
    header: [],
    params: [],
    vars: [{ name: "v", value: { s: "it's ${not} a\\path", t: str`a-${ref("x")}-'b'`, "odd-key": 1 } }],
    resources: [],
    modules: [],
    outputs: [],
  });
  assert.equal(
    text,
    "var v = {\n  s: 'it\\'s \\${not} a\\\\path'\n  t: 'a-${x}-\\'b\\''\n  'odd-key': 1\n}\n",
  );
  assert.equal(
    printBicepParams({ header: [], using: "../main.bicep", params: [{ name: "a", value: [1, true] }] }),
    "using '../main.bicep'\n\nparam a = [\n  1\n  true\n]\n",
  );
});

/** The value of `param name = ...` in a parameter file, up to the blank line that ends it. */
function param(file: string, name: string): string {
  const start = file.indexOf(`\nparam ${name} = `);
  assert.ok(start >= 0, `param ${name} is missing`);
  const end = file.indexOf("\n\n", start + 1);
  return file.slice(start + 1, end < 0 ? undefined : end).trimEnd();
}
/** Whether the object parameter `name` has `field: value` (top-level field, two-space indent). */
function field(file: string, name: string, f: string, value: string): boolean {
  return param(file, name).split("\n").includes(`  ${f}: ${value}`);
}

test("azure: augeo gets per-environment values from the spec", () => {
  const tree = render("augeo");
  const dev = tree["parameters/dev.bicepparam"]!;
  const staging = tree["parameters/staging.bicepparam"]!;
  const prod = tree["parameters/production.bicepparam"]!;
  // Backups: 7 days outside production, 30 and geo-redundant with zone-redundant HA in production.
  assert.ok(field(dev, "dbPostgresConfig", "backupRetentionDays", "7"));
  assert.ok(field(prod, "dbPostgresConfig", "backupRetentionDays", "30"));
  assert.ok(field(prod, "dbPostgresConfig", "geoRedundantBackup", "true"));
  assert.ok(field(prod, "dbPostgresConfig", "highAvailability", "true"));
  assert.ok(field(dev, "dbPostgresConfig", "highAvailability", "false"));
  assert.ok(field(prod, "dbPostgresConfig", "storageGB", "128"));
  assert.ok(field(prod, "dbPostgresConfig", "skuTier", "'GeneralPurpose'"));
  assert.ok(field(dev, "dbPostgresConfig", "skuTier", "'Burstable'"));
  // Purge protection and the delete lock in production only.
  assert.equal(param(prod, "keyVaultPurgeProtection"), "param keyVaultPurgeProtection = true");
  assert.equal(param(dev, "keyVaultPurgeProtection"), "param keyVaultPurgeProtection = false");
  assert.equal(param(prod, "enableLocks"), "param enableLocks = true");
  assert.equal(param(staging, "enableLocks"), "param enableLocks = false");
  // Slots where the environment asks for them; always-on outside dev.
  assert.ok(field(staging, "apiConfig", "enableSlot", "true"));
  assert.ok(field(dev, "apiConfig", "enableSlot", "false"));
  assert.ok(field(dev, "apiConfig", "alwaysOn", "false"));
  assert.ok(field(prod, "apiConfig", "alwaysOn", "true"));
  // Scale from the spec: 1 in dev, 2-6 in production; out above 70 %, in below 30 %.
  assert.ok(field(dev, "apiConfig", "maxInstances", "1"));
  assert.ok(field(prod, "apiConfig", "minInstances", "2"));
  assert.ok(field(prod, "apiConfig", "maxInstances", "6"));
  assert.ok(field(prod, "apiConfig", "scaleOutCpu", "70"));
  assert.ok(field(prod, "apiConfig", "scaleInCpu", "30"));
  // Redis: AOF asked in production of a size m (Standard C2): Premium P1, the tier that persists.
  assert.ok(field(prod, "cacheRedisConfig", "skuName", "'Premium'"));
  assert.ok(field(prod, "cacheRedisConfig", "capacity", "1"));
  assert.ok(field(prod, "cacheRedisConfig", "persistence", "'aof'"));
  // Sampling and daily cap per environment.
  assert.equal(param(prod, "samplingPercentage"), "param samplingPercentage = 10");
  assert.equal(param(dev, "samplingPercentage"), "param samplingPercentage = 100");
  assert.equal(param(prod, "logDailyCapGb"), "param logDailyCapGb = 5");
  // Every environment puts its zone in place in the shared group before writing its records; the
  // custom email domain belongs to production.
  assert.equal(param(prod, "dnsZoneName"), "param dnsZoneName = 'augeo.app'");
  assert.equal(param(dev, "dnsZoneName"), "param dnsZoneName = 'augeo.app'");
  assert.equal(param(prod, "emailCustomDomain"), "param emailCustomDomain = 'augeo.app'");
  assert.equal(param(dev, "emailCustomDomain"), "param emailCustomDomain = ''");
  assert.ok(field(dev, "apiConfig", "dnsRecord", "'api.dev'"));
  assert.ok(field(prod, "adminConfig", "domain", "'admin.augeo.app'"));
  // Budget per environment with 80 and 100 % notifications.
  assert.equal(param(prod, "budgetAmount"), "param budgetAmount = 300");
  assert.equal(param(staging, "budgetAmount"), "param budgetAmount = 100");
  assert.equal(param(prod, "budgetThresholds"), "param budgetThresholds = [\n  80\n  100\n]");
  // The object parameters are typed in main.bicep.
  assert.match(tree["main.bicep"]!, /^param apiConfig appServiceConfig$/m);
  assert.match(tree["main.bicep"]!, /^type postgresConfig = \{$/m);
});

test("azure: secrets are named, never valued", () => {
  const tree = render("augeo");
  const main = tree["main.bicep"]!;
  // App Service resolves each secret setting as a Key Vault reference with the site's identity.
  assert.ok(
    tree["modules/app-service.bicep"]!.includes(
      "value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${item.value})'",
    ),
  );
  for (const e of ["dev", "staging", "production"]) {
    const p = tree[`parameters/${e}.bicepparam`]!;
    for (const [name, secret] of [
      ["JWT_SECRET", "jwt-secret"],
      ["STRIPE_API_KEY", "stripe-api-key"],
      ["DATABASE_URL", "database-url"],
      ["PGPASSWORD", "database-password"],
      ["REDIS_URL", "redis-url"],
    ])
      assert.ok(field(p, "apiConfig", `  ${name}`, `'${secret}'`), `${e}: ${name}`);
    assert.match(
      p,
      /^param dbAdministratorPassword = readEnvironmentVariable\('POSTGRES_ADMIN_PASSWORD'\)$/m,
    );
    assert.match(p, /^param teamsWebhookUrl = readEnvironmentVariable\('TEAMS_WEBHOOK_URL'\)$/m);
  }
  assert.match(
    main,
    /@secure\(\)\n@description\('Administrator password of db, read at deployment\.'\)\nparam dbAdministratorPassword string/,
  );
  assert.match(tree["modules/postgres.bicep"]!, /@secure\(\)\n@description\('Administrator password/);
  assert.match(
    tree["README.md"]!,
    /az keyvault secret set --vault-name \$VAULT --name jwt-secret --value "\$JWT_SECRET"/,
  );
});

test("azure: App Services are hardened and their outputs named for the pipelines", () => {
  const tree = render("augeo");
  const site = tree["modules/app-service.bicep"]!;
  for (const line of [
    "httpsOnly: true",
    "minTlsVersion: '1.2'",
    "ftpsState: 'Disabled'",
    "type: 'SystemAssigned'",
    "keyVaultReferenceIdentity: 'SystemAssigned'",
    // checkov's CKV_AZURE_213 is skipped for the alert relay (docs/targets/azure.md): held here instead.
    "healthCheckPath: empty(healthCheckPath) ? null : healthCheckPath",
  ]) {
    assert.ok(site.includes(line), line);
  }
  assert.match(tree["main.bicep"]!, /^output apiAppName string = apiApp\.outputs\.name$/m);
  assert.match(tree["main.bicep"]!, /^output adminStaticWebAppName string = adminSite\.outputs\.name$/m);
  assert.match(tree["modules/key-vault-access.bicep"]!, /4633458b-17de-408a-b874-0445c86b69e6/);
  const redis = tree["modules/redis.bicep"]!;
  assert.ok(redis.includes("enableNonSslPort: false") && redis.includes("minimumTlsVersion: '1.2'"));
  const kv = tree["modules/key-vault.bicep"]!;
  assert.ok(
    kv.includes("enableRbacAuthorization: true") &&
      kv.includes("enableSoftDelete: true") &&
      kv.includes("categoryGroup: 'audit'"),
  );
  assert.ok(tree["modules/resource-lock.bicep"]!.includes("level: 'CanNotDelete'"));
  assert.ok(tree["modules/storage.bicep"]!.includes("allowBlobPublicAccess: false"));
  // The apps and their slots pull images from the environment's registry with their identities.
  const registry = buildAzure(project("augeo")).bicep["main.bicep"]!.modules.find(
    (m) => m.symbol === "registry",
  );
  assert.equal(
    printValue(registry?.params.principalIds ?? null),
    "[\n  apiApp.outputs.principalId\n  apiConfig.enableSlot ? apiSlot.outputs.principalId : ''\n]",
  );
  assert.match(
    tree["main.bicep"]!,
    /module apiSlot 'modules\/app-service-slot\.bicep' = if \(apiConfig\.enableSlot\) \{/,
  );
});

test("azure: todo runs on AKS, pulls from the registry its spec names (no ACR), and has no App Service", () => {
  const tree = render("todo");
  assert.ok(tree["modules/aks.bicep"]);
  // ghcr.io/hackathon/todo with the chart's image pull secret: an ACR nothing pushes to would be waste.
  assert.equal(tree["modules/container-registry.bicep"], undefined);
  assert.equal(tree["modules/app-service.bicep"], undefined);
  assert.match(tree["main.bicep"]!, /^output aksClusterName string = aks\.outputs\.name$/m);
  // PostgreSQL runs in the cluster in staging and as a Flexible Server in production.
  assert.equal(param(tree["parameters/staging.bicepparam"]!, "dbEnabled"), "param dbEnabled = false");
  assert.equal(param(tree["parameters/production.bicepparam"]!, "dbEnabled"), "param dbEnabled = true");
  assert.match(
    tree["parameters/staging.bicepparam"]!,
    /^param dbAdministratorPassword = readEnvironmentVariable\('POSTGRES_ADMIN_PASSWORD', ''\)$/m,
  );
});

test("azure: check() names what Azure cannot do, at the spec path", () => {
  const todo = azureTarget.check(project("todo"), exampleContext("todo"));
  assert.ok(
    todo.some((p) => p.path === "topics" && p.severity === "warning" && /Event Hubs/.test(p.message)),
  );
  const augeo = azureTarget.check(project("augeo"), exampleContext("augeo"));
  assert.ok(augeo.some((p) => p.path === "services.cleanup.schedule" && p.severity === "warning"));
  assert.ok(
    augeo.some(
      (p) => p.path === "redis.cache.persistence" && p.env === "production" && /Premium/.test(p.message),
    ),
  );
  assert.ok(augeo.every((p) => p.severity === "warning"));
  assert.match(
    render("augeo")["README.md"]!,
    /`cache` in production is a Premium P1 cache because it asks for aof persistence/,
  );
});

test("azure: `gantry synth azure --check` passes on the committed tree and names drift", async () => {
  const ok = await runCli(["synth", "azure", "examples/augeo", "--check"]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /up to date/);
  const { dir, cleanup } = tempDir();
  try {
    cpSync(join(REPO_ROOT, "examples", "augeo", "gantry.yaml"), join(dir, "gantry.yaml"));
    const wrote = await runCli(["synth", "azure", dir]);
    assert.equal(wrote.code, 0, wrote.err);
    assert.equal((await runCli(["synth", "azure", dir, "--check"])).code, 0);
    writeFileSync(join(dir, "infrastructure", "azure", "main.bicep"), "// edited\n");
    const drift = await runCli(["synth", "azure", dir, "--check"]);
    assert.equal(drift.code, 1);
    assert.match(drift.err, /changed: main\.bicep/);
  } finally {
    cleanup();
  }
});

// ---- names -------------------------------------------------------------------------------------

/** Naming rules of each module's name parameters (Azure's documented rules, stricter where they differ). */
const NAME_RULES: Record<string, Record<string, RegExp>> = {
  "modules/log-analytics.bicep": { name: /^[a-z0-9][a-z0-9-]{2,61}[a-z0-9]$/ },
  "modules/app-insights.bicep": { name: /^[a-z0-9][a-z0-9-]{0,253}$/ },
  "modules/app-service-plan.bicep": { name: /^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/ },
  "modules/app-service.bicep": { name: /^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/ },
  "modules/static-web-app.bicep": { name: /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/ },
  "modules/key-vault.bicep": { name: /^[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]$/ },
  "modules/postgres.bicep": { name: /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/ },
  "modules/redis.bicep": {
    name: /^[a-z0-9](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$/,
    persistenceStorageName: /^[a-z0-9]{3,24}$/,
  },
  "modules/storage.bicep": { name: /^[a-z0-9]{3,24}$/ },
  "modules/container-registry.bicep": { name: /^[a-z0-9]{5,50}$/ },
  "modules/aks.bicep": { name: /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/ },
  "modules/communication.bicep": {
    emailServiceName: /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/,
    communicationServiceName: /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/,
  },
  // Each group is <namePrefix>-<channel> (a spec name: 63 characters at most), 260 in all.
  "modules/action-group.bicep": { namePrefix: /^[a-z0-9][a-z0-9-]{0,190}$/ },
  "modules/budget.bicep": { name: /^[a-z0-9][a-z0-9-]{0,62}$/ },
  // A Function App is a site (2-60 characters); its storage account, 3-24 lower-case letters and digits.
  "modules/alert-relay.bicep": {
    name: /^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/,
    storageName: /^[a-z0-9]{3,24}$/,
  },
};

function checkNames(p: ProjectModel): string[] {
  const params = Object.fromEntries(
    Object.entries(NAME_RULES).map(([path, rules]) => [path, Object.keys(rules)]),
  );
  const paths = new Map(buildAzure(p).bicep["main.bicep"]!.modules.map((m) => [m.symbol, m.path]));
  return moduleNames(p, params)
    .filter(([, symbol, param, value]) => !NAME_RULES[paths.get(symbol)!]![param]!.test(value))
    .map(([env, symbol, param, value]) => `${env}: ${symbol}.${param} = ${value}`);
}

test("azure: resource names follow each resource's naming rules in every environment", () => {
  for (const ex of EXAMPLES) assert.deepEqual(checkNames(project(ex)), [], ex);
  // Long names are cut to fit, never produce an invalid name.
  const spec = [
    "name: a-very-long-application-name-for-tests",
    "services:",
    "  an-extremely-long-service-name-to-limit:",
    "    build: ./x",
    "    port: 8080",
    "    uses: [the-primary-database, the-session-cache, uploaded-files, email]",
    "  a-static-frontend-with-a-long-name-too:",
    "    static: ./web",
    "    output: dist",
    "postgres:",
    "  the-primary-database: { version: 16 }",
    "redis:",
    "  the-session-cache: { persistence: rdb, size: l }",
    "buckets:",
    "  uploaded-files: {}",
    "email: { domain: example.com, senders: [noreply] }",
    "budget: { monthly_usd: 10 }",
    "monitoring:",
    "  channels:",
    "    the-team-chat-of-the-on-call-engineers: { type: teams, webhook_secret: TEAMS_WEBHOOK_URL }",
    "targets: { azure: { location: westeurope } }",
    "environments:",
    "  development-environment-one: {}",
    "  production-environment: { tier: production }",
    "",
  ].join("\n");
  const loaded = loadSpec("long/gantry.yaml", spec);
  assert.ok(buildAzure(loaded.project).bicep["modules/alert-relay.bicep"], "the relay is named too");
  assert.deepEqual(checkNames(loaded.project), []);
  assert.deepEqual(checkAzureProject(loaded.project), []);
});

test("azure: `gantry synth azure` prints the target's warnings at their place in the spec", async () => {
  const r = await runCli(["synth", "azure", "examples/todo", "--check"]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /^examples\/todo\/gantry\.yaml:\d+:\d+ topics: warning: topics are not provisioned on Azure: Event Hubs is not in the Azure type data Gantry validates against \(azure target\)$/m,
  );
  assert.match(
    r.err,
    /gantry\.yaml:\d+:\d+ monitoring\.alerts\.crash-loop: warning: alert crash-loop \(crash_loop\) has no Azure metric/,
  );
});

test("azure: spec names that look like Gantry's own symbols do not clash in main.bicep", () => {
  const spec = [
    "name: tricky",
    "services:",
    "  storage: { build: ./a, port: 8080, scale: { min: 2, max: 3 }, uses: [cache, location] }",
    "  key-vault: { static: ./w, output: dist }",
    "  dns-zone: { build: ./b, port: 8081, scale: { min: 2, max: 3 } }",
    "  rg: { build: ./c, port: 8082, scale: { min: 2, max: 3 } }",
    "postgres:",
    "  cache: { version: 16 }",
    "redis:",
    "  suffix: {}",
    "buckets:",
    "  location: {}",
    "dns: { zone: example.com }",
    "environments:",
    "  dev: {}",
    "  production: {}",
    "",
  ].join("\n");
  const { project: p } = loadSpec("tricky/gantry.yaml", spec);
  assert.deepEqual(checkAzureProject(p), []);
  assert.deepEqual(checkNames(p), []);
});

test("azure: parameter files are checked against main.bicep's parameters and types", () => {
  const build = buildAzure(project("augeo"));
  const main = build.bicep["main.bicep"]!;
  const prod = build.params["parameters/production.bicepparam"]!;
  assert.deepEqual(checkParamFile(prod, main), []);
  const edit = (name: string, value: BicepValue | undefined) => ({
    ...prod,
    params: prod.params.flatMap((p) =>
      p.name !== name ? [p] : value === undefined ? [] : [{ ...p, value }],
    ),
  });
  assert.deepEqual(checkParamFile(edit("enableLocks", undefined), main), ["missing parameter enableLocks"]);
  assert.deepEqual(checkParamFile(edit("enableLocks", "yes"), main), [
    "enableLocks: expected bool, got string",
  ]);
  assert.deepEqual(checkParamFile(edit("environmentName", "qa"), main), [
    'environmentName: "qa" is not one of "dev", "staging", "production"',
  ]);
  assert.deepEqual(checkParamFile(edit("dbPostgresConfig", { version: "16" }), main), [
    "dbPostgresConfig.skuName: missing",
    "dbPostgresConfig.skuTier: missing",
    "dbPostgresConfig.storageGB: missing",
    "dbPostgresConfig.backupRetentionDays: missing",
    "dbPostgresConfig.geoRedundantBackup: missing",
    "dbPostgresConfig.highAvailability: missing",
  ]);
  assert.deepEqual(
    checkParamFile({ ...prod, params: [...prod.params, { name: "colour", value: "blue" }] }, main),
    ["unknown parameter colour"],
  );
});

test("azure: a command means on App Service what command-line.ts says: words, through /bin/sh only to read variables", () => {
  assert.equal(startupCommand(undefined), "");
  assert.equal(startupCommand("node api/dist/server.js"), "node api/dist/server.js");
  // Quotes group words; App Service splits the line as a shell does, so a word keeps its spaces.
  assert.equal(startupCommand(`node "my server.js" "it's"`), `node 'my server.js' 'it'"'"'s'`);
  // Variables are the container's: /bin/sh reads them, each value stays one word, exec keeps PID 1.
  assert.equal(
    startupCommand("uvicorn app:app --port $PORT"),
    `/bin/sh -c 'exec uvicorn app:app --port "\${PORT}"'`,
  );
  assert.equal(
    startupCommand("run --url=${DATABASE_URL}x"),
    `/bin/sh -c 'exec run --url="\${DATABASE_URL}"x'`,
  );
  // A line with shell syntax runs as /bin/sh -c <line>, unchanged.
  assert.equal(startupCommand("a && b | c"), `/bin/sh -c 'a && b | c'`);
  // GitHub Actions never sees an expression in a quoted word.
  assert.equal(shellWord("${{ secrets.X }}"), `'$''{{ secrets.X }}'`);
  assert.equal(migrationRun("alembic upgrade head", "IMG", "LINE"), "--entrypoint alembic IMG upgrade head");
  assert.equal(
    migrationRun("./migrate --url $DATABASE_URL", "IMG", "LINE"),
    `--entrypoint ./migrate IMG --url "\${vars[DATABASE_URL]}"`,
  );
  assert.equal(migrationRun("a; b", "IMG", "LINE"), `--entrypoint /bin/sh IMG -c "$LINE"`);
  const tree = render("augeo");
  assert.match(
    tree["parameters/production.bicepparam"]!,
    /^ {2}startupCommand: '\/bin\/sh -c \\'exec uvicorn app\.main:app --host 0\.0\.0\.0 --port "\\\$\{PORT\}"\\''$/m,
  );
  assert.match(tree["main.bicep"]!, /commandLine: apiConfig\.startupCommand/);
  assert.match(tree["modules/app-service.bicep"]!, /appCommandLine: commandLine/);
});

// ---- role ids ------------------------------------------------------------------

const BUILTIN_ROLES = (
  JSON.parse(readFileSync(join(SHARED_SCHEMAS, "..", "data", "azure-builtin-roles.json"), "utf8")) as {
    roles: Record<string, string>;
  }
).roles;

test("azure: every role id the target writes is the built-in role of that name", () => {
  for (const [name, id] of Object.entries(ROLES)) assert.equal(id, BUILTIN_ROLES[name], name);
  const known = new Set(Object.values(BUILTIN_ROLES));
  let seen = 0;
  for (const ex of EXAMPLES) {
    const build = buildAzure(project(ex));
    // Each module that grants a role says which one in its roleDefinitionId default.
    for (const [path, f] of Object.entries(build.bicep))
      for (const p of f.params.filter((x) => x.name === "roleDefinitionId")) {
        assert.ok(known.has(p.default as string), `${ex} ${path}: ${printValue(p.default ?? null)}`);
        seen++;
      }
    // And no other id is written anywhere.
    for (const [path, text] of Object.entries(render(ex)))
      for (const m of text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi))
        assert.ok(known.has(m[0]), `${ex} ${path}: ${m[0]} is not a built-in role`);
  }
  assert.ok(seen >= 9, `only ${seen} role parameters found`);
});

test("azure: an availability interval in hours or seconds runs the tests at the nearest frequency App Insights offers", () => {
  const spec = (interval: string) =>
    loadSpec(
      "gantry.yaml",
      `name: shop\nservices:\n  api: { image: api, port: 80, health: /health, domain: api.shop.example }\nmonitoring:\n  availability: { interval: ${interval} }\ntargets:\n  azure: { location: westeurope }\n`,
    ).project;
  const frequency = (interval: string) =>
    param(
      azureTarget.render(spec(interval), exampleContext("augeo"))["parameters/production.bicepparam"]!,
      "availabilityFrequency",
    );
  // 300, 600 or 900 seconds: the interval rounded up, and never more than 900.
  assert.deepEqual(
    ["1m", "5m", "600s", "7m", "1h"].map(frequency),
    [300, 300, 600, 600, 900].map((n) => `param availabilityFrequency = ${n}`),
  );
});

test("azure: the apex of the app's own zone is called the apex, with the records an apex needs", () => {
  const project = loadSpec(
    "gantry.yaml",
    `name: shop\nservices:\n  api: { image: api, port: 80, health: /health, domain: shop.example }\ndns: { zone: shop.example }\ntargets:\n  azure: { location: westeurope }\n`,
  ).project;
  const problems = azureTarget.check(project, exampleContext("augeo")).map((p) => `${p.path}: ${p.message}`);
  assert.ok(
    problems.includes(
      "services.api.domain: shop.example is the apex of the DNS zone shop.example; an apex cannot be a CNAME, so its records and binding are left to you",
    ),
    problems.join("\n"),
  );
  assert.ok(!problems.some((p) => p.includes("not a sub-domain")), problems.join("\n"));
});
