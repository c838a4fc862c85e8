// Type-aware lint. The layering rules keep the pure core (spec, model, targets) free of
// child processes, the file system and the CLI, so renderers stay pure and testable.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const impure = ["node:child_process", "child_process", "node:fs", "fs", "node:fs/promises", "fs/promises"];

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
);
