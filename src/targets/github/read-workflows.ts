// Reads the printed workflows back (yaml's parseDocument) for the system checks: each job with its
// line, needs, environment, permissions, matrix and steps, and each `vars.X` / `secrets.X` an
// expression reads, with its line. Reading the printed files (not the typed model) lets a check catch
// a tree that was edited or damaged after it was rendered.
import { isMap, isScalar, LineCounter, parseDocument, visit, type Node } from "yaml";
import type { FileTree } from "../target.js";

export interface ReadStep {
  id?: string;
  uses?: string;
  run?: string;
  with: Record<string, string>;
  env: Record<string, string>;
  line: number;
}

export interface ReadJob {
  id: string;
  line: number;
  needs: string[];
  environment?: string;
  permissions: Record<string, string>;
  /** `strategy.matrix.include[].service`. */
  services: string[];
  steps: ReadStep[];
}

export interface ReadWorkflow {
  file: string;
  /** The event names under `on`, and `on.workflow_run.workflows`. */
  events: string[];
  after: string[];
  jobs: ReadJob[];
  /** Every `vars.NAME` and `secrets.NAME` an expression reads, where. */
  reads: { kind: "vars" | "secrets"; name: string; line: number }[];
}

type Plain = Record<string, unknown>;
/** A parsed value as an object (`{}` when it is not one). */
export const obj = (v: unknown): Plain =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Plain) : {};
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, String(x)]));
const str = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : []);

export function readWorkflow(file: string, text: string): ReadWorkflow {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const lineOf = (n: Node | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : 1);
  const js = obj(doc.toJS());
  const jobsNode = doc.getIn(["jobs"], true);
  const jobs: ReadJob[] = [];
  if (isMap(jobsNode))
    for (const pair of jobsNode.items) {
      const id = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const job = obj(obj(js.jobs)[id]);
      const stepsNode = doc.getIn(["jobs", id, "steps"], true) as { items?: Node[] } | undefined;
      const env = job.environment;
      jobs.push({
        id,
        line: lineOf(pair.key as Node),
        needs: list(job.needs),
        ...(env !== undefined ? { environment: typeof env === "string" ? env : String(obj(env).name) } : {}),
        permissions: strings(job.permissions),
        services: (Array.isArray(obj(obj(job.strategy).matrix).include)
          ? (obj(obj(job.strategy).matrix).include as unknown[])
          : []
        ).map((x) => String(obj(x).service)),
        steps: (Array.isArray(job.steps) ? job.steps : []).map((s, i) => {
          const step = obj(s);
          return {
            ...(step.id !== undefined ? { id: str(step.id) } : {}),
            ...(step.uses !== undefined ? { uses: str(step.uses) } : {}),
            ...(step.run !== undefined ? { run: str(step.run) } : {}),
            with: strings(step.with),
            env: strings(step.env),
            line: lineOf(stepsNode?.items?.[i]),
          };
        }),
      });
    }
  const reads: ReadWorkflow["reads"] = [];
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== "string") return;
      for (const m of node.value.matchAll(/\$\{\{([^}]*)\}\}/g))
        for (const r of (m[1] ?? "").matchAll(/\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)/g))
          reads.push({ kind: r[1] as "vars" | "secrets", name: r[2]!, line: lineOf(node) });
    },
  });
  const on = js.on;
  return {
    file,
    events: typeof on === "string" ? [on] : Array.isArray(on) ? list(on) : Object.keys(obj(on)),
    after: list(obj(obj(on).workflow_run).workflows),
    jobs,
    reads,
  };
}

/** Every workflow of a tree (its .yml files). */
export function readWorkflows(tree: FileTree): ReadWorkflow[] {
  return Object.entries(tree)
    .filter(([f]) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .map(([f, text]) => readWorkflow(f, text));
}

/** A job and every job it needs, directly or not. */
export function upstream(wf: ReadWorkflow, job: ReadJob): Set<string> {
  const seen = new Set<string>();
  const walk = (id: string) => {
    for (const n of wf.jobs.find((j) => j.id === id)?.needs ?? [])
      if (!seen.has(n)) {
        seen.add(n);
        walk(n);
      }
  };
  walk(job.id);
  return seen;
}
