// Topics: every topic a Dapr Subscription names (dead-letter topics included) is created by the
// DigitalOcean stack's Kafka topics and by the README's commands for the same environment, under one name.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { loadSpec } from "../src/model/load.js";
import { examplePath, exampleContext, loadExample } from "./helpers.js";

describe("kubernetes: topics at the broker", () => {
  it("todo: the Subscriptions' topics and dead-letter topics are in each environment's tfvars and README commands", () => {
    const { project } = loadExample("todo");
    const k8s = kubernetesTarget.render(project, exampleContext("todo"));
    const doTree = digitaloceanTarget.render(project, exampleContext("todo"));
    const readme = k8s["README.md"]!;
    for (const app of project.environments) {
      const env = app.environment.name;
      const named = new Set<string>();
      for (const [file, text] of Object.entries(k8s))
        if (file.startsWith(`rendered/${env}/`) && file.endsWith("-subscriptions.yaml"))
          for (const d of parseAllDocuments(text)) {
            const spec = (d.toJS() as { spec: { topic: string; deadLetterTopic?: string } }).spec;
            named.add(spec.topic);
            if (spec.deadLetterTopic) named.add(spec.deadLetterTopic);
          }
      assert.ok(
        [...named].some((t) => t.endsWith("-dead-letter")),
        "todo dead-letters its topics",
      );
      const tfvars = doTree[`environments/${env}.tfvars`]!;
      const commands = readme.split(`# ${env}\n`)[1]!.split(/\n# |\n```/)[0]!;
      for (const topic of named) {
        assert.match(tfvars, new RegExp(`^ {4}"?${topic}"? = \\{`, "m"), `${env} tfvars creates ${topic}`);
        assert.match(commands, new RegExp(`--topic ${topic} `), `${env} README creates ${topic}`);
      }
    }
  });
});

describe("digitalocean: an external broker", () => {
  it("an environment with targets.digitalocean.kafka: external gets no Kafka cluster; the others keep theirs", () => {
    const text = readFileSync(examplePath("todo"), "utf8").replace(
      "  staging:\n    deploy: { on: push, branch: main }\n",
      "  staging:\n    deploy: { on: push, branch: main }\n    targets:\n      digitalocean: { kafka: external }\n",
    );
    const { project } = loadSpec("examples/todo/gantry.yaml", text);
    const tree = digitaloceanTarget.render(project, exampleContext("todo"));
    assert.match(tree["environments/staging.tfvars"]!, /^kafka += null$/m);
    assert.match(tree["environments/production.tfvars"]!, /^kafka = \{$/m);
    const k8s = kubernetesTarget.render(project, exampleContext("todo"));
    assert.match(k8s["README.md"]!, /# staging\nkafka-topics\.sh .*--topic notifications /);
  });
});
