// Unit conversions the Terraform targets rely on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cloudWatchRetention,
  eventBridgeCron,
  fargateSize,
  publicHealthPath,
} from "../src/targets/terraform/units.js";

describe("terraform units", () => {
  it("picks the smallest Fargate size that holds the limits", () => {
    assert.deepEqual(fargateSize("500m", "512Mi"), { cpu: 512, memory: 1024 });
    assert.deepEqual(fargateSize("1", "2Gi"), { cpu: 1024, memory: 2048 });
    assert.deepEqual(fargateSize("250m", "3Gi"), { cpu: 512, memory: 3072 });
    assert.deepEqual(fargateSize("2", "1Gi"), { cpu: 2048, memory: 4096 });
  });

  it("rounds log retention up to a period CloudWatch accepts", () => {
    assert.equal(cloudWatchRetention(30), 30);
    assert.equal(cloudWatchRetention(31), 60);
    assert.equal(cloudWatchRetention(10000), 3653);
  });

  it("writes cron for EventBridge Scheduler: six fields, ? and days of the week from 1", () => {
    assert.equal(eventBridgeCron("0 3 * * *"), "cron(0 3 * * ? *)");
    assert.equal(eventBridgeCron("30 6 * * 1-5"), "cron(30 6 ? * 2-6 *)");
    assert.equal(eventBridgeCron("0 0 1 * *"), "cron(0 0 1 * ? *)");
  });

  it("finds the public path of a health endpoint behind a route prefix", () => {
    assert.equal(publicHealthPath("/api", "/api/health"), "/api/health");
    assert.equal(publicHealthPath("/api", "/ready"), "/api/ready");
    assert.equal(publicHealthPath("/", "/health"), "/health");
  });
});
