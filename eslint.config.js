// Type-aware lint. The layering rules keep the pure core (spec, model, targets) free of
// child processes, the file system and the CLI, so renderers stay pure and testable.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const impure = ["node:child_process", "child_process", "node:fs", "fs", "node:fs/promises", "fs/promises"];

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
  {
    files: ["src/**/*.ts"],
    ignores: ["src/util/exec.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: [
        { name: "node:child_process", message: "Run child processes through src/util/exec.ts." },
        { name: "child_process", message: "Run child processes through src/util/exec.ts." },
      ] }],
    },
  },
  {
    files: ["src/spec/**/*.ts", "src/model/**/*.ts", "src/targets/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: impure.map((name) => ({ name, message: "Renderers and the model are pure: no file system or child processes here." })),
        patterns: [{ group: ["**/cli/**", "**/engine/**", "**/output/**"], message: "The core never imports the CLI, the engine or the writer." }],
      }],
      "no-restricted-globals": ["error", { name: "process", message: "Read the environment in src/cli only." }],
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
