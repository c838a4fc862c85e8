// What the end-to-end recovery tests share: whether PostgreSQL, Redis and pgBackRest are here, the CLI
// run as a user would, the environment's status, waiting for a condition, and a superuser client of the
// environment's PostgreSQL for the test's own readings.
import assert from "node:assert/strict";
import pg from "pg";
import { findOnPath } from "../src/engine/local/infra.js";
import { envPaths } from "../src/engine/local/paths.js";
import { findPgbackrest } from "../src/engine/local/pgbackrest.js";
import { PG_PASSWORD } from "../src/engine/local/provision.js";
import { openStore } from "../src/engine/local/secrets.js";
import type { SupervisorState } from "../src/engine/local/state.js";
import { runCli } from "./helpers.js";

/** PostgreSQL, Redis and pgBackRest are installed; a test that needs them FAILS when CI is set without them. */
export function recoveryToolsReady(): boolean {
  const ready = Boolean(
    findOnPath("redis-server", process.env.PATH) &&
    findOnPath("initdb", process.env.PATH) &&
    findPgbackrest(process.env.PATH),
  );
  if (!ready && process.env.CI)
    throw new Error("PostgreSQL, Redis and pgBackRest must be installed for this test in CI");
  return ready;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs gantry; fails the test with what it said unless it exits 0. */
export async function cli(args: string[]): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, 0, `gantry ${args.join(" ")}: ${r.err}`);
  return r.out;
}

export async function statusJson(dir: string, env = "production"): Promise<SupervisorState> {
  return JSON.parse(await cli(["status", dir, "--env", env, "--json"])) as SupervisorState;
}

export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms / 1000}s waiting until ${what}`);
    await sleep(200);
  }
}

/** A superuser client of the environment's PostgreSQL, for the test's own readings. */
export async function admin(dir: string, env: string, database: string): Promise<pg.Client> {
  const p = envPaths(dir, env);
  const c = new pg.Client({
    host: "127.0.0.1",
    port: (await statusJson(dir, env)).postgres!.port,
    user: "gantry",
    password: openStore(p, undefined).get(PG_PASSWORD)!,
    database,
  });
  // A restore or the cleanup ends its connection: that is no failure of the test.
  c.on("error", () => undefined);
  await c.connect();
  return c;
}
