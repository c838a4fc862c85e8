// The local runtime's commands: up, deploy, rollback, releases, status, logs, run, down, destroy, secrets.
// Thin: they read the spec and the environment, one file per group of commands, and leave the work to
// src/engine/local.
import type { Command } from "commander";
import { registerBackup } from "./local-backup.js";
import { registerDeploy } from "./local-deploy.js";
import { registerDown } from "./local-down.js";
import { registerLogs } from "./local-logs.js";
import { registerRun } from "./local-run.js";
import { registerSecrets } from "./local-secrets.js";
import { registerStatus } from "./local-status.js";
import { registerUp } from "./local-up.js";
import type { Io } from "./main.js";

export function registerLocal(program: Command, io: Io): void {
  registerUp(program, io);
  registerDeploy(program, io);
  registerStatus(program, io);
  registerLogs(program, io);
  registerRun(program, io);
  registerDown(program, io);
  registerSecrets(program, io);
  registerBackup(program, io);
}
