// Where the local runtime keeps its state: `.gantry/` in the app directory (next to gantry.yaml),
// one folder per environment. Nothing outside it is written, so `gantry destroy` removes it all; the
// one exception, a PostgreSQL cluster the postgres user could not reach there, is recorded in it and
// deleted with it (postgres-location.ts).
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EnvPaths {
  appDir: string;
  env: string;
  /** `.gantry/` */
  root: string;
  /** `.gantry/<env>/` */
  dir: string;
  keyFile: string;
  secrets: string;
  state: string;
  lock: string;
  model: string;
  releases: string;
  logs: string;
  postgres: string;
  redis: string;
  /** One folder per bucket. */
  buckets: string;
  socket: string;
  supervisorLog: string;
}

export function envPaths(appDir: string, env: string): EnvPaths {
  const root = join(appDir, ".gantry");
  const dir = join(root, env);
  let socket = join(dir, "control.sock");
  // Unix socket paths are limited to about 107 bytes; deep app directories use a hashed name in tmp.
  if (Buffer.byteLength(socket) > 100) {
    socket = join(tmpdir(), `gantry-${createHash("sha256").update(dir).digest("hex").slice(0, 16)}.sock`);
  }
  return {
    appDir,
    env,
    root,
    dir,
    keyFile: join(root, "secrets.key"),
    secrets: join(dir, "secrets.json"),
    state: join(dir, "state.json"),
    lock: join(dir, "lock"),
    model: join(dir, "model.json"),
    releases: join(dir, "releases"),
    logs: join(dir, "logs"),
    postgres: join(dir, "postgres"),
    redis: join(dir, "redis"),
    buckets: join(dir, "buckets"),
    socket,
    supervisorLog: join(dir, "logs", "supervisor.log"),
  };
}

export function releaseDir(p: EnvPaths, id: string): string {
  return join(p.releases, id);
}
