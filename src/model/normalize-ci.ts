// CI: the pull-request checks of each service (what the spec says, else the usual commands of the stack
// its commands reveal) and the app's `ci` settings for the generated pipelines.
import { CiSchema } from "../spec/schema-targets.js";
import { filled, withDefaults } from "./defaults.js";
import type { CiInput, ServiceInput } from "./input.js";
import type { AppModel, CiModel } from "./types.js";

type Stack = CiModel["stack"];
type Command = "install" | "lint" | "typecheck" | "test" | "version";
const COMMANDS: readonly Command[] = ["install", "lint", "typecheck", "test", "version"];

const STACK_DEFAULTS: Record<Stack, Partial<Record<Command, string>>> = {
  node: {
    install: "npm ci",
    lint: "npm run lint --if-present",
    typecheck: "npm run typecheck --if-present",
    test: "npm test --if-present",
    version: "20",
  },
  python: {
    install: "pip install -r requirements.txt",
    lint: "ruff check .",
    typecheck: "mypy .",
    test: "pytest",
    version: "3.12",
  },
  go: { install: "go mod download", lint: "go vet ./...", test: "go test ./...", version: "1.23" },
  java: { install: "mvn -B -q dependency:go-offline", test: "mvn -B test", version: "21" },
  dotnet: { install: "dotnet restore", test: "dotnet test", version: "8.0" },
  ruby: { install: "bundle install", test: "bundle exec rake test", version: "3.3" },
  other: {},
};

/** Words in a service's commands that give its stack away, in the order they are tried. */
const STACK_WORDS: [Exclude<Stack, "other">, RegExp][] = [
  ["python", /\b(python|uvicorn|gunicorn|pip|poetry|celery|django|flask|alembic)\b/],
  ["node", /\b(node|npm|npx|yarn|pnpm|next|vite|tsx)\b/],
  ["go", /\bgo run\b|\.\/bin\//],
  ["java", /\b(java|mvn|gradle)\b/],
  ["dotnet", /\bdotnet\b/],
  ["ruby", /\b(ruby|bundle|rails|puma)\b/],
];

function detectStack(commands: string, isStatic: boolean): Stack {
  for (const [stack, words] of STACK_WORDS) {
    // A static frontend is built with node unless its commands say python.
    if (words.test(commands) || (stack === "node" && isStatic)) return stack;
  }
  return "other";
}

/**
 * The CI commands of one service. `dir` is where they run unless the spec says otherwise (the static
 * source or the build context); `commands` is the text of the service's own commands.
 */
export function serviceCi(ci: ServiceInput["ci"], dir: string, commands: string, isStatic: boolean): CiModel {
  const spec = ci ?? {};
  const stack = spec.stack ?? detectStack(commands, isStatic);
  const out: CiModel = { stack, working_directory: spec.working_directory ?? dir };
  const defaults = STACK_DEFAULTS[stack];
  for (const k of COMMANDS) {
    const v = spec[k] ?? defaults[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The app's `ci` settings, with the schema's defaults. */
export function ciSettings(input: CiInput | undefined): AppModel["ci"] {
  const ci = filled(
    withDefaults(CiSchema, input ?? {}),
    ["default_branch", "image_scan", "deploy_timeout"],
    "ci",
  );
  return { ...ci, image_scan: filled(ci.image_scan, ["severity", "ignore_unfixed"], "ci.image_scan") };
}
