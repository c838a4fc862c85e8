// Type-aware lint. The layering rules keep the pure core (spec, model, targets) free of
// child processes, the file system and the CLI, so renderers stay pure and testable.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const impure = ["node:child_process", "child_process", "node:fs", "fs", "node:fs/promises", "fs/promises"];
const impurePaths = impure.map((name) => ({ name, message: "Renderers and the model are pure: no file system or child processes here." }));
const childProcess = ["node:child_process", "child_process"].map((name) => ({ name, message: "Run child processes through src/util/exec.ts." }));
const ABOVE_MODEL = ["targets", "validate", "output", "engine", "init", "docs", "check", "cli"];
/** What each folder may not import. */
const LAYERS = {
  util: ["format", "spec", "model", ...ABOVE_MODEL],
  format: ["spec", "model", ...ABOVE_MODEL],
  spec: ["model", ...ABOVE_MODEL],
  model: ABOVE_MODEL,
  targets: ["validate", "output", "engine", "init", "docs", "check", "cli"],
  validate: ["output", "engine", "init", "docs", "check", "cli"],
  output: ["validate", "engine", "init", "docs", "check", "cli"],
  engine: ["targets", "validate", "output", "init", "docs", "check", "cli"],
  init: ["targets", "validate", "output", "engine", "docs", "check", "cli"],
  // The docs list the checks' rules.
  docs: ["validate", "output", "engine", "init", "cli"],
  // Checks render the targets, write scratch trees and run the validators.
  check: ["engine", "init", "docs", "cli"],
  cli: [],
};
/** Pure folders: no file system, no child processes, no environment. */
const PURE = ["format", "spec", "model", "targets", "docs"];

// Only a target's own folder and the registry may branch on its name: everything else goes
// through the Platform and the registry (src/targets/platform.ts).
const TARGET_NAMES = ["kubernetes", "azure", "aws", "digitalocean"];
const nameBranches = (names) => ["error", ...names.flatMap((name) => [
  { selector: `BinaryExpression[operator=/^[!=]==?$/] > Literal[value='${name}']`, message: `Only src/targets/${name}/ and the registry compare with "${name}": use the Platform.` },
  { selector: `SwitchCase > Literal.test[value='${name}']`, message: `Only src/targets/${name}/ and the registry switch on "${name}": use the Platform.` },
])];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".tools/**", "examples/**", "**/*.js", "**/*.mjs", "test/golden/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unnecessary-condition": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-floating-promises": ["error", { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }] }],
      "@typescript-eslint/no-confusing-void-expression": "off",
    },
  },
  // Folders are layers: each imports only the ones below it, so there is no import cycle between
  // folders. util and format at the bottom; spec (the schema, the parser, the errors); model; then
  // targets, validate, output, engine, init and docs side by side; cli on top.
  ...Object.entries(LAYERS).map(([folder, forbidden]) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": ["error", {
        paths: PURE.includes(folder) ? impurePaths : childProcess,
        patterns: forbidden.length
          ? [{ group: forbidden.map((f) => `**/${f}/**`), message: `src/${folder} is below ${forbidden.join(", ")}: it may not import them (see docs/architecture.md).` }]
          : [],
      }],
      ...(PURE.includes(folder) ? { "no-restricted-globals": ["error", { name: "process", message: "Read the environment in src/cli only." }] } : {}),
    },
  })),
  {
    // The errors every layer reports with: it imports nothing of Gantry's.
    files: ["src/errors.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["./*"], message: "src/errors.ts is below every folder." }] }] },
  },
  {
    // The one place that runs child processes.
    files: ["src/util/exec.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: LAYERS.util.map((f) => `**/${f}/**`), message: "src/util is the bottom layer." }] }] },
  },
  {
    // Small enough to read: a file in one sitting, a function on a screen or two.
    files: ["src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 600 }],
      "max-lines-per-function": ["error", { max: 120 }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/targets/registry.ts", ...TARGET_NAMES.map((n) => `src/targets/${n}/**`)],
    rules: { "no-restricted-syntax": nameBranches(TARGET_NAMES) },
  },
  ...TARGET_NAMES.map((own) => ({
    files: [`src/targets/${own}/**/*.ts`],
    rules: { "no-restricted-syntax": nameBranches(TARGET_NAMES.filter((n) => n !== own)) },
  })),
);
