import type { Command } from "commander";
import { publishedSchemaText } from "../spec/publish.js";
import type { Io } from "./main.js";

export function registerSchema(program: Command, io: Io): void {
  program
    .command("schema")
    .description("Print the JSON Schema of gantry.yaml (for editors: yaml-language-server, VS Code).")
    .action(() => io.out(publishedSchemaText()));
}
