// Offline structural checks of GitHub Actions workflows, two ways: GitHub's own parser
// (@actions/workflow-parser, the one the Actions service and the VS Code extension use) and the
// SchemaStore JSON Schema in ../shared/schemas/github (Ajv draft-07). The parser imports its schema
// as JSON without an import attribute, which plain Node 20 refuses; then only the JSON Schema runs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { SHARED_SCHEMAS } from "./tools.js";

export interface WorkflowCheck {
  /** Errors from @actions/workflow-parser, or undefined when it could not be loaded here. */
  parser?: string[];
  /** Errors from the JSON Schema. */
  schema: string[];
}

let schemaValidator: ValidateFunction | undefined;

function jsonSchema(): ValidateFunction {
  if (!schemaValidator) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
    addFormats(ajv);
    const schema = JSON.parse(
      readFileSync(join(SHARED_SCHEMAS, "github", "github-workflow.json"), "utf8"),
    ) as object;
    schemaValidator = ajv.compile(schema);
  }
  return schemaValidator;
}

type ParserModule = typeof import("@actions/workflow-parser");
let parserModule: Promise<ParserModule | undefined> | undefined;

async function loadParser(): Promise<ParserModule | undefined> {
  parserModule ??= import("@actions/workflow-parser").catch(() => undefined);
  return parserModule;
}

/** Validates one workflow file's text. */
export async function checkWorkflow(name: string, content: string): Promise<WorkflowCheck> {
  const validate = jsonSchema();
  const schema = validate(parse(content))
    ? []
    : (validate.errors ?? []).map((e) => `${name}: ${e.instancePath || "/"} ${e.message ?? ""}`.trim());
  const parser = await loadParser();
  if (!parser) return { schema };
  const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  return { parser: result.context.errors.getErrors().map((e) => e.message), schema };
}
