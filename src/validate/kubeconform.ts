// Adapter for kubeconform with the offline schemas of ../shared/schemas/kubernetes: the strict core
// schemas and the CRD schemas, nothing fetched, no kind skipped (a kind without a schema is an error).
import { join } from "node:path";
import { exec } from "../util/exec.js";
import { SHARED_SCHEMAS, findTool } from "./tools.js";

export interface KubeconformSummary {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
  /** One line per invalid or failed resource: `kind name: message`. */
  problems: string[];
}

/** The command line of ../shared/schemas/README.md, reading the manifests from `files` (or stdin when empty). */
export function kubeconformArgs(
  files: readonly string[] = [],
  schemas = join(SHARED_SCHEMAS, "kubernetes"),
): string[] {
  return [
    "-strict",
    "-summary",
    "-output",
    "json",
    "-schema-location",
    join(schemas, "v1.35-standalone-strict", "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
    "-schema-location",
    join(schemas, "crds", "{{ .Group }}", "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"),
    ...(files.length ? files : ["-"]),
  ];
}

interface Output {
  resources?: { filename?: string; kind?: string; name?: string; status?: string; msg?: string }[];
  summary?: { valid?: number; invalid?: number; errors?: number; skipped?: number };
}

/** Validates manifests given as text (stdin) or as files. */
export async function kubeconform(
  input: { text: string } | { files: readonly string[] },
): Promise<KubeconformSummary> {
  const bin = findTool("kubeconform");
  if (!bin) throw new Error("kubeconform not found: run `bash scripts/install-tools.sh`");
  const files = "files" in input ? input.files : [];
  const r = await exec(bin, kubeconformArgs(files), {
    input: "text" in input ? input.text : "",
    timeoutMs: 300_000,
  });
  let out: Output;
  try {
    out = JSON.parse(r.stdout) as Output;
  } catch {
    throw new Error(
      `kubeconform printed no JSON (exit ${r.code}): ${r.stderr.trim() || r.stdout.slice(0, 500)}`,
    );
  }
  const s = out.summary ?? {};
  return {
    valid: s.valid ?? 0,
    invalid: s.invalid ?? 0,
    errors: s.errors ?? 0,
    skipped: s.skipped ?? 0,
    problems: (out.resources ?? [])
      .filter((x) => x.status !== "statusValid")
      .map((x) =>
        `${x.kind ?? "?"} ${x.name ?? "?"}${x.filename && x.filename !== "stdin" ? ` (${x.filename})` : ""}: ${x.status ?? ""} ${x.msg ?? ""}`.trim(),
      ),
  };
}
