// How the Azure files fit together across environments: one registry the pipelines push to and every
// environment pulls from, and the zones each environment's deployment puts in place before its records.
import assert from "node:assert/strict";
import { test } from "node:test";
import { azureTarget } from "../src/targets/azure/index.js";
import { githubTarget } from "../src/targets/registry.js";
import { parse } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { exampleContext, loadExample } from "./helpers.js";

const spec = (extra: string) =>
  loadSpec(
    "gantry.yaml",
    [
      "name: shop",
      "services:",
      "  api: { build: ./api, port: 80, health: /health, domain: api.shop.example }",
      "dns: { zone: shop.example }",
      "targets:",
      "  azure: { location: westeurope }",
      extra,
    ].join("\n"),
  ).project;

const ctx = exampleContext("augeo", "azure");
const param = (file: string, name: string) => file.split("\n").find((l) => l.startsWith(`param ${name} =`));

test("azure: an environment's own DNS zone reaches its parameter file, records relative to it", () => {
  const tree = azureTarget.render(
    spec(
      [
        "environments:",
        "  dev:",
        "    dns: { zone: dev.shop.example }",
        "    services: { api: { domain: api.dev.shop.example } }",
        "  production: {}",
      ].join("\n"),
    ),
    ctx,
  );
  assert.equal(
    param(tree["parameters/dev.bicepparam"]!, "dnsZoneName"),
    "param dnsZoneName = 'dev.shop.example'",
  );
  assert.equal(
    param(tree["parameters/production.bicepparam"]!, "dnsZoneName"),
    "param dnsZoneName = 'shop.example'",
  );
  assert.match(tree["parameters/dev.bicepparam"]!, /^ {2}dnsRecord: 'api'$/m);
  // Each deployment creates its zone in the shared group before writing into it.
  assert.match(
    tree["main.bicep"]!,
    /module dnsZone 'modules\/dns-zone\.bicep' = if \(!empty\(dnsZoneName\)\) \{\n[^\n]*\n {2}scope: sharedRg/,
  );
  assert.match(tree["README.md"]!, /- `dev\.shop\.example`: dev\n- `shop\.example`: production/);
});

test("azure: the registry the spec names is the one the Bicep creates and the pipelines push to", () => {
  const p = spec(
    "  kubernetes: { registry: shopacr.azurecr.io/shop }\nenvironments: { dev: {}, production: {} }",
  );
  const tree = azureTarget.render(p, ctx);
  assert.match(
    tree["main.bicep"]!,
    /module registry 'modules\/container-registry\.bicep' = \{\n[^\n]*\n {2}scope: sharedRg\n {2}params: \{\n {4}name: 'shopacr'\n/,
  );
  assert.match(
    githubTarget.render(p, ctx)["build.yml"]!,
    /images: shopacr\.azurecr\.io\/shop\/\$\{\{ matrix\.service \}\}/,
  );
});

test("azure: without a registry in the spec, Gantry's own is shared and the pipelines read its login server", () => {
  const p = spec("environments: { dev: {}, production: {} }");
  const tree = azureTarget.render(p, ctx);
  assert.match(tree["main.bicep"]!, /^ {4}name: 'crshop\$\{sharedSuffix\}'$/m);
  assert.match(
    tree["main.bicep"]!,
    /^var sharedSuffix = take\(uniqueString\(subscription\(\)\.id, 'rg-shop-shared'\), 6\)$/m,
  );
  assert.match(githubTarget.render(p, ctx)["build.yml"]!, /images: \$\{\{ vars\.ACR_LOGIN_SERVER \}\}\//);
  // The same SKU in every environment's deployment: the registry is one resource.
  assert.match(tree["main.bicep"]!, /^ {4}skuName: 'Standard'$/m);
});

test("azure: an environment's own email domain is its custom domain, with its records in its zone", () => {
  const tree = azureTarget.render(
    spec(
      [
        "email: { domain: shop.example, senders: [noreply], dmarc: { policy: reject, report_to: d@shop.example } }",
        "environments:",
        "  dev:",
        "    email: { domain: mail.dev.shop.example, senders: [dev] }",
        "  staging: {}",
        "  production: {}",
      ].join("\n"),
    ),
    ctx,
  );
  const dev = tree["parameters/dev.bicepparam"]!;
  const staging = tree["parameters/staging.bicepparam"]!;
  const prod = tree["parameters/production.bicepparam"]!;
  assert.equal(param(dev, "emailCustomDomain"), "param emailCustomDomain = 'mail.dev.shop.example'");
  assert.equal(param(dev, "emailDnsRecord"), "param emailDnsRecord = 'mail.dev'");
  assert.equal(param(dev, "emailDnsSuffix"), "param emailDnsSuffix = '.mail.dev'");
  assert.match(dev, /^param emailSenders = \[\n {2}'dev'\n\]$/m);
  // Staging shares production's domain, which production owns: an Azure-managed domain there.
  assert.equal(param(staging, "emailCustomDomain"), "param emailCustomDomain = ''");
  assert.equal(param(prod, "emailCustomDomain"), "param emailCustomDomain = 'shop.example'");
  assert.equal(param(prod, "emailDnsRecord"), "param emailDnsRecord = '@'");
  assert.equal(
    param(prod, "emailDmarc"),
    "param emailDmarc = 'v=DMARC1; p=reject; rua=mailto:d@shop.example'",
  );
});

test("azure: two services on one host: one CNAME and one binding, the other service warned about", () => {
  const p = loadSpec(
    "gantry.yaml",
    [
      "name: shop",
      "services:",
      "  api: { build: ./api, port: 80, health: /api/ready, domain: www.shop.example, path: /api }",
      "  web: { static: ./web, output: dist, domain: www.shop.example }",
      "dns: { zone: shop.example }",
      "targets:",
      "  azure: { location: westeurope }",
    ].join("\n"),
  ).project;
  const tree = azureTarget.render(p, ctx);
  const prod = tree["parameters/production.bicepparam"]!;
  assert.match(prod, /^param webConfig = \{\n(?: {2}.*\n)* {2}domain: 'www\.shop\.example'$/m);
  assert.match(prod, /^param apiConfig = \{\n(?: {2}.*\n)* {2}domain: ''$/m);
  const problems = azureTarget.check(p, ctx);
  assert.deepEqual(
    problems.filter((x) => /shares/.test(x.message)).map((x) => [x.path, x.severity]),
    [["services.api.path", "warning"]],
  );
  // The web test of the site probes the custom domain; the api's, its default host name.
  assert.match(
    tree["main.bicep"]!,
    /url: 'https:\/\/\$\{empty\(webConfig\.domain\) \? webSite\.outputs\.defaultHostname : webConfig\.domain\}\/'/,
  );
});

test("azure on AKS: health URLs are the paths the ingress routes to the service itself", () => {
  const tree = azureTarget.render(loadExample("todo").project, exampleContext("todo"));
  const prod = tree["parameters/production.bicepparam"]!;
  // backend answers /api/ready under its prefix /api: not /api/api/ready.
  assert.equal(
    param(prod, "backendHealthUrl"),
    "param backendHealthUrl = 'https://todo.example.com/api/ready'",
  );
  // frontend's /api/health and sse-gateway's /health reach other services: no test, and a warning.
  assert.equal(param(prod, "frontendHealthUrl"), "param frontendHealthUrl = ''");
  assert.equal(param(prod, "sseGatewayHealthUrl"), "param sseGatewayHealthUrl = ''");
  const warned = azureTarget
    .check(loadExample("todo").project, exampleContext("todo"))
    .filter((x) => /no availability test/.test(x.message));
  assert.deepEqual(
    [...new Set(warned.map((x) => x.path))],
    ["services.frontend.health", "services.sse-gateway.health"],
  );
});

test("azure: a single-page static site gets staticwebapp.config.json, copied into the site before the upload", () => {
  const p = loadExample("augeo").project;
  const tree = azureTarget.render(p, exampleContext("augeo"));
  const config = JSON.parse(tree["static/admin/staticwebapp.config.json"]!) as {
    navigationFallback: { rewrite: string; exclude: string[] };
  };
  assert.equal(config.navigationFallback.rewrite, "/index.html");
  const steps = (
    parse(githubTarget.render(p, exampleContext("augeo", "azure"))["deploy-dev.yml"]!) as {
      jobs: Record<
        string,
        {
          steps: {
            name?: string;
            run?: string;
            env?: Record<string, string>;
            with?: Record<string, string>;
          }[];
        }
      >;
    }
  ).jobs.deploy!.steps;
  const copy = steps.findIndex((s) => s.run?.includes("staticwebapp.config.json"));
  const upload = steps.findIndex((s) => s.name === "Deploy admin to Static Web Apps");
  assert.ok(copy >= 0 && copy < upload, `copy at ${copy}, upload at ${upload}`);
  assert.equal(
    steps[copy]!.env!.CONFIG,
    "examples/augeo/infrastructure/azure/static/admin/staticwebapp.config.json",
  );
  assert.equal(steps[copy]!.env!.SITE, steps[upload]!.with!.app_location);
});

test("azure: the Key Vault does not rely on the apps' outbound addresses (Key Vault references guide)", () => {
  const main = azureTarget.render(loadExample("augeo").project, exampleContext("augeo"))["main.bicep"]!;
  assert.doesNotMatch(main, /outboundIpAddresses/);
  assert.match(main, /module keyVault 'modules\/key-vault\.bicep' = \{[^]*?networkDefaultAction: 'Allow'/);
});

test("azure: a registry name Azure Container Registry refuses is an error at targets.kubernetes.registry", () => {
  const p = spec("  kubernetes: { registry: my-acr.azurecr.io/shop }\nenvironments: { production: {} }");
  assert.deepEqual(
    azureTarget
      .check(p, ctx)
      .filter((x) => x.severity === "error")
      .map((x) => x.path),
    ["targets.kubernetes.registry"],
  );
});
