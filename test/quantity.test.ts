// Kubernetes quantities (src/util/quantity.ts): the spec's cpu and memory, and a cluster's quota.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mebibytes, millicores, quantity } from "../src/util/quantity.js";

describe("Kubernetes quantities", () => {
  it("reads the API's suffixes and exponents", () => {
    const cases: [string, number][] = [
      ["500m", 0.5],
      ["1.5", 1.5],
      [".5", 0.5],
      ["2Gi", 2 * 2 ** 30],
      ["512Mi", 512 * 2 ** 20],
      ["1k", 1000],
      ["1G", 1e9],
      ["3e3", 3000],
      ["10", 10],
    ];
    for (const [q, n] of cases) assert.equal(quantity(q), n, q);
  });

  it("refuses what is not a quantity", () => {
    for (const q of ["", "Gi", "1 Gi", "1GB", "abc", "1.2.3"]) assert.equal(quantity(q), undefined, q);
  });

  it("gives millicores and MiB, rounded as the quota needs", () => {
    assert.equal(millicores("150m"), 150);
    assert.equal(millicores("1.5"), 1500);
    assert.equal(millicores(2), 2000);
    assert.equal(mebibytes("1Gi"), 1024);
    assert.equal(mebibytes("1G"), 954);
    assert.equal(mebibytes("100Ki"), 1);
  });
});
