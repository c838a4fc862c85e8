// Regenerates the committed files that are derived from the source: the published JSON Schema and
// docs/spec.md. Tests fail when these drift; run `npm run gen` after changing the schema.
import { writeFileSync } from "node:fs";
import { publishedSchemaText } from "../src/spec/publish.js";
import { specDocs } from "../src/docs/spec-reference.js";
import { checksDocs } from "../src/docs/checks.js";

writeFileSync(new URL("../schema/gantry.schema.json", import.meta.url), publishedSchemaText());
writeFileSync(new URL("../docs/spec.md", import.meta.url), specDocs());
writeFileSync(new URL("../docs/checks.md", import.meta.url), checksDocs());
console.log("wrote schema/gantry.schema.json, docs/spec.md and docs/checks.md");
