// The supervisor's answers to `gantry backup`, `restore` and `drill` (protocol.ts TaskRequest): each
// runs in the supervisor, which owns PostgreSQL, Redis and the proxy, and streams its steps to the
// command that asked. A drill is also what the schedule in `recovery.drill` runs (see drill.ts).
import { UserError } from "../../errors.js";
import { backupsOf } from "./backups.js";
import { runDrill } from "./drill.js";
import type { Refusal, Stream, TaskEvent, TaskRequest, WireTarget } from "./protocol.js";
import type { RestoreTarget } from "./pgbackrest.js";
import { restoreInPlace } from "./restore.js";
import type { Runtime } from "./runtime.js";

function fromWire(t: WireTarget): RestoreTarget {
  return t.kind === "time" ? { kind: "time", at: new Date(t.at) } : t;
}

export function recoveryTask(rt: Runtime, req: TaskRequest): Stream<TaskEvent> | Refusal {
  const svc = backupsOf(rt);
  if (!svc?.b && req.task !== "backup")
    return {
      status: 409,
      error: "this environment's PostgreSQL is not backed up",
      hint: "set `postgres.<name>.backups.enabled: true` in gantry.yaml and `gantry deploy`",
    };
  if (!svc) return { status: 409, error: "this environment has nothing to back up" };
  return async (out) => {
    const say = (message: string) => out.send({ type: "step", message });
    try {
      if (req.task === "backup") {
        say("taking a full backup of PostgreSQL and snapshots of Redis");
        const result = await svc.backup("full", "manual");
        out.send({
          type: "done",
          message: `backup ${result.id ?? "(Redis only)"} taken${result.offsiteId ? `, offsite ${result.offsiteId}` : ""}`,
          result,
        });
      } else if (req.task === "restore") {
        const message = await restoreInPlace(rt, fromWire(req.target), say);
        out.send({ type: "done", message });
      } else {
        const report = await runDrill(rt, say);
        out.send({ type: "done", message: "drill done", result: report });
      }
    } catch (e) {
      out.send({
        type: "failed",
        message: (e as Error).message,
        ...(e instanceof UserError && e.hint ? { hint: e.hint } : {}),
      });
    }
  };
}
