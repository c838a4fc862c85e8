// `gantry restore --into NEW_ENV`: the environment's data, as of the target, in a new environment of
// its own (`.gantry/<NEW_ENV>/`) that runs the release serving now, while the live one is untouched:
// the cluster is restored and recovered there with archiving off (it never writes to the live
// environment's repository), the Redis snapshots of that moment are put in place, the secrets store
// and the release are copied (the restored cluster knows the live environment's passwords), and a
// supervisor of its own starts and rolls the release out. `status`, `logs`, `down` and `destroy` take
// `--env NEW_ENV` like any other environment.
import { copyFileSync, cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { requestRollout, type Progress } from "./client.js";
import { dataUser, privateDir } from "./infra.js";
import { startSupervisor } from "./launch.js";
import { envPaths, releaseDir, type EnvPaths } from "./paths.js";
import { resolveTarget, type Pgbackrest, type RestoreTarget } from "./pgbackrest.js";
import { placePostgresData } from "./postgres-location.js";
import { freePort } from "./ports.js";
import { PG_PASSWORD } from "./provision.js";
import { placeRedisSnapshot } from "./redis-snapshots.js";
import { describeTarget, recoverScratch, redisSnapshotsAt, stopScratch } from "./restore.js";
import type { SecretStore } from "./secrets.js";
import { readState } from "./state.js";

const ENV_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** What the command gives: the environment it runs in, and how it opens a secrets store (with its key). */
export interface IntoContext {
  env: NodeJS.ProcessEnv;
  openStore: (p: EnvPaths) => SecretStore;
}

export async function restoreIntoNewEnv(
  t: { paths: EnvPaths; model: AppModel },
  into: string,
  target: RestoreTarget,
  progress: Progress,
  b: Pgbackrest,
  ctx: IntoContext,
): Promise<string> {
  if (!ENV_NAME.test(into))
    throw new UserError(
      `--into ${JSON.stringify(into)} is not an environment name`,
      "lower-case letters, digits and dashes, such as restored",
    );
  if (into === t.paths.env)
    throw new UserError(`--into names ${into} itself`, "leave --into out to restore in place");
  const to = envPaths(t.paths.appDir, into);
  if (existsSync(to.dir))
    throw new UserError(
      `environment ${into} exists already (${to.dir})`,
      `pick another name, or remove it with \`gantry destroy --env ${into} --yes\``,
    );
  const release = readState(t.paths)?.release;
  if (!release || !existsSync(join(releaseDir(t.paths, release), "app")))
    throw new UserError(
      `${t.paths.env} has no serving release to run on the restored data`,
      "`gantry up` it first, or restore in place",
    );
  // Read before anything is made: a store the key cannot open leaves no half-made environment.
  const password = ctx.openStore(t.paths).get(PG_PASSWORD);
  if (!password) throw new UserError(`${t.paths.env} has no PostgreSQL password in its secrets store`);
  const resolved = await resolveTarget(b, target);
  mkdirSync(to.logs, { recursive: true });
  copyFileSync(t.paths.secrets, to.secrets);
  progress(
    `restoring ${t.paths.env}'s PostgreSQL from backup ${resolved.backup.id} (${describeTarget(target)}) into ${into}`,
  );
  const dataDir = placePostgresData(to, dataUser());
  const scratch = await recoverScratch(
    b,
    resolved,
    dataDir,
    await freePort(),
    password,
    join(to.logs, "postgres.log"),
  );
  // Recovered: the new environment's supervisor starts it again as its own.
  await stopScratch(scratch, 60_000);
  for (const { name, snap } of redisSnapshotsAt(t.paths, t.model, resolved.at)) {
    progress(`putting Redis ${name}'s snapshot of ${snap.at} in place`);
    const dir = join(to.redis, name);
    privateDir(dir, undefined);
    placeRedisSnapshot(t.paths, snap, dir);
  }
  cpSync(releaseDir(t.paths, release), releaseDir(to, release), { recursive: true });
  const model: AppModel = { ...t.model, environment: { ...t.model.environment, name: into } };
  await startSupervisor(to, model, ctx.env, { progress });
  progress(`rolling ${release} out in ${into}`);
  const r = await requestRollout(to, release, "deploy", progress);
  if (!r.ok)
    throw new UserError(
      `${release} did not start in ${into}: ${r.message}`,
      `see \`gantry logs --env ${into}\``,
    );
  const st = readState(to);
  return `restored ${t.paths.env} (${describeTarget(target)}) into ${into}, which serves ${release}${st?.proxyPort ? ` at http://127.0.0.1:${st.proxyPort}/` : ""}; ${t.paths.env} is untouched (\`gantry down --env ${into}\` stops it, \`gantry destroy --env ${into}\` deletes it)`;
}
