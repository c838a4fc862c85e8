// Runs the Gantry CLI from source in its own process, as `bin/gantry.js` runs the compiled one; the
// end-to-end tests start it with `node --import tsx test/e2e/cli.ts ...`.
import { main } from "../../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
