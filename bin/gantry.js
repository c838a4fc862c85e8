#!/usr/bin/env node
// The published entry point runs the compiled CLI (built by `npm install` through the prepare script).
import("../dist/cli/main.js").then((m) => m.main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
