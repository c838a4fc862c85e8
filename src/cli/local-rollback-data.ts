// `gantry rollback --data` and the SCHEMA column of `releases`: the restore point a deploy records just
// before its migrations (rollout-steps.ts) is the data the release before it served with. Rolling back
// to a release returns the database to the restore point of the oldest release after it that ran
// migrations, so the code and the schema go back together.
import { UserError } from "../errors.js";
import { requestTask } from "../engine/local/client.js";
import type { EnvPaths } from "../engine/local/paths.js";
import { readRelease, releaseIds, type ReleaseRecord } from "../engine/local/release.js";
import { confirmDataChange } from "./confirm.js";
import type { Io } from "./main.js";

const num = (id: string) => Number(id.slice(1));

/** The SCHEMA cell of a release in `releases`. */
export function schemaCell(r: ReleaseRecord): string {
  return r.restorePoint ? `changed (restore point ${r.restorePoint})` : "";
}

/** The restore point that returns the database to what `target` served with, rolling back from `serving`. */
function restorePointFor(paths: EnvPaths, target: string, serving: string | undefined): string {
  const after = releaseIds(paths)
    .filter((id) => num(id) > num(target) && num(id) <= num(serving ?? "v0"))
    .sort((a, b) => num(a) - num(b))
    .map((id) => readRelease(paths, id))
    .find((r) => r?.restorePoint);
  if (!after?.restorePoint)
    throw new UserError(
      `no release after ${target} up to ${serving ?? "the serving one"} ran migrations: the database already has the schema ${target} served with`,
      "roll back without --data",
    );
  return after.restorePoint;
}

/** Asks (unless --yes), then restores the restore point in place through the supervisor. */
export async function rollBackData(
  paths: EnvPaths,
  target: string,
  serving: string | undefined,
  yes: boolean,
  io: Io,
  progress: (line: string) => void,
): Promise<void> {
  const point = restorePointFor(paths, target, serving);
  await confirmDataChange(
    {
      yes,
      change: `--data returns the database of ${paths.env} to backup ${point}`,
      question: `return the database to backup ${point}, taken before the migrations after ${target}?`,
      doing: "roll back the data",
      nothing: "rolled back",
    },
    io,
  );
  progress(`returning the database to backup ${point} (before the migrations after ${target})`);
  const done = await requestTask(paths, { task: "restore", target: { kind: "backup", id: point } }, progress);
  progress(done.message);
}
