// The checks after a deploy and the alert drill: the names the Kubernetes checks wait for are the
// ones the chart creates, and the generated shell steps themselves run here with stand-ins for
// curl, kubectl, npx and sleep (the HPA check, the redirect check) or against a local HTTP server
// (the drill's webhook post).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { renderWorkflows } from "../src/targets/github/index.js";
import type { Step, Workflow } from "../src/targets/github/workflow.js";
import { PLATFORMS } from "../src/targets/registry.js";
import { REPO_ROOT, exampleContext, loadExample, tempDir } from "./helpers.js";

const workflows = (ex: string, target: string): Record<string, Workflow> =>
  renderWorkflows(loadExample(ex).project, exampleContext(ex, target), PLATFORMS);

const stepNamed = (wf: Workflow, job: string, name: RegExp): Step => {
  const s = wf.jobs[job]!.steps.find((x) => name.test(x.name));
  assert.ok(s, `no step ${String(name)} in ${job}`);
  return s;
};

/** Kinds and names of the objects the chart renders for one environment. */
function rendered(ex: string, env: string): { kind: string; name: string; tls: string[] }[] {
  const dir = join(REPO_ROOT, "examples", ex, "deploy", "kubernetes", "rendered", env);
  return readdirSync(dir).flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => {
      const o = d.toJS() as {
        kind: string;
        metadata: { name: string };
        spec?: { tls?: { secretName: string }[] };
      };
      return { kind: o.kind, name: o.metadata.name, tls: (o.spec?.tls ?? []).map((t) => t.secretName) };
    }),
  );
}

/** Runs a generated bash step as GitHub does (bash -e -o pipefail) with stand-in commands first on PATH. */
async function runStep(
  step: Step,
  fakes: Record<string, string>,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const { dir, cleanup } = tempDir(
    Object.fromEntries(Object.entries(fakes).map(([n, body]) => [`bin/${n}`, `#!/bin/bash\n${body}\n`])),
  );
  try {
    for (const n of Object.keys(fakes)) chmodSync(join(dir, "bin", n), 0o755);
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
      env: {
        ...process.env,
        ...step.env,
        ...env,
        PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
        STATE: dir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    return { code, out };
  } finally {
    cleanup();
  }
}

describe("checks after a deploy on Kubernetes", () => {
  it("wait for the Certificates cert-manager creates from the chart's Ingresses, and poll its HPAs", () => {
    for (const [ex, env] of [
      ["todo", "staging"],
      ["augeo", "staging"],
      ["augeo", "production"],
    ] as const) {
      const objects = rendered(ex, env);
      const deploy = workflows(ex, "kubernetes")[`deploy-${env}.yml`]!;
      const wait = stepNamed(deploy, "deploy", /Wait for the certificates/);
      assert.deepEqual(
        wait.env!.CERTIFICATES!.split(" ").map((c) => c.replace("certificates.cert-manager.io/", "")),
        objects.flatMap((o) => (o.kind === "Ingress" ? o.tls : [])).sort(),
        `${ex} ${env}`,
      );
    }
    const load = workflows("augeo", "kubernetes")["deploy-staging.yml"]!;
    const hpas = stepNamed(load, "load-test", /Load test and autoscaling/).env!.HPAS!.split(" ");
    assert.deepEqual(
      hpas.map((h) => h.split(":")[0]),
      rendered("augeo", "staging")
        .filter((o) => o.kind === "HorizontalPodAutoscaler")
        .map((o) => o.name),
    );
  });

  it("the HPA check passes when the autoscaler scales out and back, fails when it never scales out or stays up", async () => {
    const step = stepNamed(
      workflows("augeo", "kubernetes")["deploy-staging.yml"]!,
      "load-test",
      /Load test and autoscaling/,
    );
    // kubectl answers the replica counts listed in $STATE/replicas, one per call, then the last one.
    const kubectl = [
      'n=$(head -n 1 "$STATE/replicas"); rest=$(tail -n +2 "$STATE/replicas")',
      'if [ -n "$rest" ]; then printf "%s\\n" "$rest" > "$STATE/replicas"; fi',
      'printf "%s" "$n"',
    ].join("\n");
    const fakes = (replicas: number[]) => ({
      kubectl,
      npx: `printf "%s\\n" ${replicas.join(" ")} > "$STATE/replicas"; /usr/bin/sleep 0.3`,
      sleep: "/usr/bin/sleep 0.05",
    });
    // The load runs while kubectl is first asked, so the fake npx seeds the answers before that.
    const ok = await runStep(step, fakes([1, 3, 3, 2, 1]), { HPAS: "api:1:5" });
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /api scaled out to 3 replicas; it must be back at 1 within 5 s/);

    const flat = await runStep(step, fakes([1]), { HPAS: "api:1:5" });
    assert.equal(flat.code, 1, flat.out);
    assert.match(
      flat.out,
      /::error::HorizontalPodAutoscaler api stayed at 1 replicas under the load \(minimum 1\)/,
    );

    const stuck = await runStep(step, { ...fakes([3]), sleep: "/usr/bin/sleep 0.5" }, { HPAS: "api:1:1" });
    assert.equal(stuck.code, 1, stuck.out);
    assert.match(stuck.out, /::error::HorizontalPodAutoscaler api still runs 3 replicas 1 s after the load/);

    const loadFails = await runStep(
      step,
      { ...fakes([1, 2, 1]), npx: 'printf "2\\n1\\n" > "$STATE/replicas"; exit 1' },
      {
        HPAS: "api:1:5",
      },
    );
    assert.equal(loadFails.code, 1, "a failed load fails the step even when the HPA behaves");
  });
});

describe("checks after a deploy, per platform", () => {
  const hosts = (ex: string, target: string, env: string, step: RegExp) =>
    workflows(ex, target)[`deploy-${env}.yml`]!.jobs["deploy"]!.steps.find((s) => step.test(s.name))?.env
      ?.HOSTS;

  it("check every public host's certificate, on every platform", () => {
    for (const t of PLATFORMS.map((x) => x.name))
      assert.equal(
        hosts("augeo", t, "staging", /^Check the certificates$/),
        "admin.staging.augeo.app api.staging.augeo.app",
        t,
      );
  });

  it("check the redirect only where the platform makes one: not on Static Web Apps hosts", () => {
    const redirects = /^Check the HTTP to HTTPS redirects$/;
    assert.equal(hosts("augeo", "azure", "staging", redirects), "api.staging.augeo.app");
    assert.equal(
      hosts("storefront", "aws", "staging", redirects),
      "api.staging.shop.example.com staging.shop.example.com",
    );
    for (const t of ["kubernetes", "digitalocean"])
      assert.equal(hosts("augeo", t, "staging", redirects), "admin.staging.augeo.app api.staging.augeo.app");
  });

  it("trust the certificates only where the issuer's CA is in the trust store", () => {
    const { project } = loadSpec(
      "gantry.yaml",
      [
        "name: shop",
        "services:",
        "  api: { build: ./api, port: 8080, health: /ready, domain: api.shop.test }",
        "targets:",
        "  kubernetes: { tls_issuer: letsencrypt-staging }",
        "environments:",
        "  staging: {}",
        "",
      ].join("\n"),
    );
    const ctx = { ...exampleContext("shop", "kubernetes"), specPath: "gantry.yaml", specDir: "." };
    const step = renderWorkflows(project, ctx, PLATFORMS)["deploy-staging.yml"]!.jobs["deploy"]!.steps.find(
      (s) => s.name === "Check the certificates",
    )!;
    assert.doesNotMatch(step.run!, /curl/);
    assert.match(step.run!, /openssl x509 -noout -checkhost/);
  });
});

describe("the certificate check", () => {
  const step = stepNamed(
    workflows("todo", "aws")["deploy-staging.yml"]!,
    "deploy",
    /^Check the certificates$/,
  );
  const { dir, cleanup } = tempDir();
  after(cleanup);

  /** A self-signed certificate for a host, valid for some days, as a PEM file. */
  const certificate = (host: string, days: number): string => {
    const file = join(dir, `${host}-${days}.pem`);
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        file,
        "-days",
        String(days),
        "-subj",
        `/CN=${host}`,
        "-addext",
        `subjectAltName=DNS:${host}`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    return file;
  };
  /** openssl whose s_client serves the given certificate (the rest is the real openssl); curl exits as told. */
  const fakes = (pem: string, curl = 0) => ({
    openssl: `if [ "$1" = s_client ]; then cat "${pem}"; else exec /usr/bin/openssl "$@"; fi`,
    curl: `exit ${curl}`,
  });

  it("passes a certificate for the host with more than 14 days left", async () => {
    const r = await runStep(step, fakes(certificate("staging.todo.example.com", 60)));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /staging\.todo\.example\.com: certificate valid until .* \((59|60) days left\)/);
  });

  it("fails a certificate about to expire, one for another name, and one curl does not trust", async () => {
    const soon = await runStep(step, fakes(certificate("staging.todo.example.com", 10)));
    assert.equal(soon.code, 1, soon.out);
    assert.match(soon.out, /::error::staging\.todo\.example\.com: the certificate expires in (9|10) days/);
    const other = await runStep(step, fakes(certificate("other.example.com", 60)));
    assert.equal(other.code, 1, other.out);
    assert.match(
      other.out,
      /::error::staging\.todo\.example\.com: the certificate is not valid for this name/,
    );
    const untrusted = await runStep(step, fakes(certificate("staging.todo.example.com", 60), 60));
    assert.equal(untrusted.code, 1, untrusted.out);
    assert.match(untrusted.out, /no certificate the system trust store accepts/);
  });
});

describe("the redirect check", () => {
  const step = stepNamed(
    workflows("todo", "kubernetes")["deploy-staging.yml"]!,
    "deploy",
    /Check the HTTP to HTTPS redirects/,
  );
  const answer = (code: string, location: string) => ({ curl: `printf '%s' '${code} ${location}'` });

  it("accepts 301 and 308 to https on the same host, with or without :443", async () => {
    for (const [code, loc] of [
      ["308", "https://staging.todo.example.com/"],
      ["301", "https://staging.todo.example.com:443/"],
    ] as const) {
      const r = await runStep(step, answer(code, loc));
      assert.equal(r.code, 0, r.out);
    }
  });

  it("refuses a temporary redirect, another host, plain http and no redirect", async () => {
    for (const [code, loc] of [
      ["302", "https://staging.todo.example.com/"],
      ["301", "https://staging.todo.example.com.evil.test/"],
      ["308", "http://staging.todo.example.com/"],
      ["200", ""],
    ] as const) {
      const r = await runStep(step, answer(code, loc));
      assert.equal(r.code, 1, `${code} ${loc}: ${r.out}`);
      assert.match(r.out, /::error::http:\/\/staging\.todo\.example\.com\/ answers/);
    }
  });
});

describe("alert drill", () => {
  const project = loadSpec(
    "gantry.yaml",
    [
      "name: shop",
      "services:",
      "  api: { build: ./api, port: 8080, health: /ready, domain: api.shop.test }",
      "monitoring:",
      "  channels:",
      "    chat: { type: slack, webhook_secret: SLACK_URL }",
      "    team: { type: teams, webhook_secret: TEAMS_URL }",
      "    hook: { type: webhook, webhook_secret: HOOK_URL }",
      "    ops: { type: email, to: [ops@shop.test, oncall@shop.test] }",
      "  smtp: { smarthost: 'smtp.shop.test:465', from: alerts@shop.test, username: relay }",
      "environments:",
      "  production: {}",
      "",
    ].join("\n"),
  ).project;
  const ctx = exampleContext("shop", "aws");
  const drill = renderWorkflows(project, { ...ctx, specPath: "gantry.yaml", specDir: "." }, PLATFORMS)[
    "alert-drill.yml"
  ]!;

  it("is dispatched by hand, reads no repository content, and tries every channel", () => {
    assert.deepEqual(Object.keys(drill.on), ["workflow_dispatch"]);
    const job = drill.jobs["drill"]!;
    assert.deepEqual(job.permissions, {});
    assert.deepEqual(
      job.steps.map((s) => s.name),
      [
        "Check that every channel's secret is set",
        "Notify Slack (chat)",
        "Notify the webhook (hook)",
        "E-mail ops@shop.test, oncall@shop.test (ops)",
        "Notify Microsoft Teams (team)",
      ],
    );
    assert.ok(job.steps.slice(1).every((s) => s.if === "!cancelled()"));
    const mail = job.steps[3]!;
    assert.deepEqual(
      [mail.env?.SMARTHOST, mail.env?.RECIPIENTS],
      ["smtp.shop.test:465", "ops@shop.test oncall@shop.test"],
    );
    // The relay's password reaches curl through a netrc file, never its arguments.
    assert.match(mail.run!, /--netrc-file "\$RUNNER_TEMP\/netrc"/);
    assert.doesNotMatch(mail.run!, /--user/);
    assert.deepEqual(Object.keys(job.env!).sort(), [
      "ALERT_SMTP_PASSWORD",
      "HOOK_URL",
      "SLACK_URL",
      "TEAMS_URL",
    ]);
  });

  it("fails when a channel's secret is not set", async () => {
    const check = drill.jobs["drill"]!.steps[0]!;
    const r = await runStep(
      check,
      {},
      { ALERT_SMTP_PASSWORD: "x", HOOK_URL: "x", SLACK_URL: "", TEAMS_URL: "x" },
    );
    assert.equal(r.code, 1);
    assert.match(r.out, /::error::the secret SLACK_URL is not set/);
    assert.equal(
      (await runStep(check, {}, { ALERT_SMTP_PASSWORD: "x", HOOK_URL: "x", SLACK_URL: "x", TEAMS_URL: "x" }))
        .code,
      0,
    );
  });

  it("posts the test message as JSON to the webhook's URL", async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        bodies.push(body);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const step = drill.jobs["drill"]!.steps.find((s) => s.name === "Notify the webhook (hook)")!;
      // The step's TEXT holds ${{ }} expressions that GitHub fills in; here they stay as written.
      const r = await runStep(step, {}, { HOOK_URL: url });
      assert.equal(r.code, 0, r.out);
    } finally {
      server.close();
    }
    assert.equal(bodies.length, 1);
    const sent = JSON.parse(bodies[0]!) as Record<string, string>;
    assert.equal(sent.app, "shop");
    assert.equal(sent.channel, "hook");
    assert.match(sent.text!, /^Alert drill of shop: a test notification through the webhook channel hook/);
  });
});
