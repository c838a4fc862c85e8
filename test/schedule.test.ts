// What a job's schedule means on each platform (src/model/schedule.ts): the same days and times,
// written in each platform's dialect, or a positioned error where a platform cannot say it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventBridgeSchedule, kubernetesSchedule, parseCron } from "../src/model/schedule.js";
import { loadSpec } from "../src/model/load.js";
import { awsTarget } from "../src/targets/aws/index.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { exampleContext } from "./helpers.js";

describe("schedules on Kubernetes (robfig/cron)", () => {
  it("writes macros out and Sunday as 0, which robfig accepts, and leaves the rest as written", () => {
    assert.equal(kubernetesSchedule("@daily"), "0 0 * * *");
    assert.equal(kubernetesSchedule("@weekly"), "0 0 * * 0");
    assert.equal(kubernetesSchedule("0 3 * * 7"), "0 3 * * 0");
    assert.equal(kubernetesSchedule("0 3 * * 5-7"), "0 3 * * 0,5,6");
    assert.equal(kubernetesSchedule("0 3 * * 1-7"), "0 3 * * *");
    assert.equal(kubernetesSchedule("*/15 9-17 * jan-jun mon-fri"), "*/15 9-17 * jan-jun mon-fri");
  });
});

describe("schedules on EventBridge Scheduler", () => {
  it("uses ? for the day field that restricts nothing and numbers Sunday 1", () => {
    assert.equal(eventBridgeSchedule("@daily"), "cron(0 0 * * ? *)");
    assert.equal(eventBridgeSchedule("0 3 * * 7"), "cron(0 3 ? * 1 *)");
    assert.equal(eventBridgeSchedule("0 3 * * mon-fri"), "cron(0 3 ? * 2-6 *)");
    assert.equal(eventBridgeSchedule("30 2 1,15 * *"), "cron(30 2 1,15 * ? *)");
    assert.equal(eventBridgeSchedule("0 0 1 1 *"), "cron(0 0 1 1 ? *)");
  });
  it("cannot run on a day of the month and a day of the week at once", () => {
    assert.equal(eventBridgeSchedule("0 3 1 * 1"), undefined);
    assert.equal(eventBridgeSchedule("0 3 */2 * 1"), undefined);
  });
  it("means the same days as cron: each translation runs on the days the local scheduler runs", () => {
    for (const expr of ["@weekly", "0 3 * * 7", "0 3 * * 5-7", "0 0 * * */2", "0 0 * * sun,wed"]) {
      const days = [...parseCron(expr).daysOfWeek].sort();
      const written = /cron\(\S+ \S+ \S+ \S+ (\S+) \*\)/.exec(eventBridgeSchedule(expr)!)![1]!;
      const back = parseCron(`0 0 * * ${written}`).daysOfWeek; // EventBridge's 1-7, read as cron's 0-7
      assert.deepEqual([...back].map((d) => (d + 6) % 7).sort(), days, expr);
    }
  });
});

describe("schedules in the generated files", () => {
  const spec = (schedule: string) =>
    loadSpec(
      "gantry.yaml",
      `name: shop\nservices:\n  nightly: { image: ghcr.io/acme/nightly:1, schedule: "${schedule}" }\ntargets:\n  aws: { region: eu-west-1 }\n`,
    ).project;
  it("a CronJob gets robfig's form, EventBridge its own", () => {
    const chart = kubernetesTarget.render(spec("@daily"), exampleContext("hello"));
    assert.match(chart["rendered/production/nightly-cronjob.yaml"]!, /schedule: "0 0 \* \* \*"/);
    const tf = awsTarget.render(spec("0 3 * * 7"), exampleContext("hello"));
    assert.match(Object.values(tf).join("\n"), /cron\(0 3 \? \* 1 \*\)/);
  });
  it("AWS refuses a schedule it cannot say, at the spec path", () => {
    const problems = awsTarget.check(spec("0 3 1 * 1"), exampleContext("hello"));
    assert.ok(
      problems.some(
        (p) =>
          p.path === "services.nightly.schedule" &&
          p.message.startsWith(
            "EventBridge Scheduler cannot run on a day of the month and a day of the week",
          ),
      ),
      JSON.stringify(problems),
    );
  });
});
