// Regenerates the committed files that are derived from the source: the published JSON Schema and
// docs/spec.md. Tests fail when these drift; run `npm run gen` after changing the schema.
import { readFileSync, writeFileSync } from "node:fs";
import { publishedSchemaText } from "../src/spec/publish.js";
import { specDocs } from "../src/docs/spec-reference.js";
import { checksDocs } from "../src/docs/checks.js";
import { costDocs } from "../src/docs/cost.js";
import { calibrationOf } from "../src/cost/calibration.js";
import { loadSpec } from "../src/model/load.js";

writeFileSync(new URL("../schema/gantry.schema.json", import.meta.url), publishedSchemaText());
writeFileSync(new URL("../docs/spec.md", import.meta.url), specDocs());
writeFileSync(new URL("../docs/checks.md", import.meta.url), checksDocs());
const example = (name: string) => {
  const path = `examples/${name}/gantry.yaml`;
  return loadSpec(path, readFileSync(new URL(`../${path}`, import.meta.url), "utf8")).project;
};
writeFileSync(
  new URL("../docs/cost.md", import.meta.url),
  costDocs(calibrationOf(example("augeo"), example("todo"))),
);
console.log("wrote schema/gantry.schema.json, docs/spec.md, docs/checks.md and docs/cost.md");
