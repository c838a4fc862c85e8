import type { Command } from "commander";
import type { Io } from "./main.js";

export function registerInit(_program: Command, _io: Io): void {}
