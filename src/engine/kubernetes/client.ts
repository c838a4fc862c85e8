// kubectl and helm against the user's cluster: their kubeconfig (KUBECONFIG or ~/.kube/config), the
// context they chose, through the one place that runs child processes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, type ExecResult } from "../../util/exec.js";
import { UserError } from "../../errors.js";

export interface KubeTools {
  kubectl: string;
  helm: string;
  /** The kubeconfig context (`--context`); the current context when absent. */
  context?: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface Kube {
  tools: KubeTools;
  kubectl(args: readonly string[], input?: string): Promise<ExecResult>;
  helm(args: readonly string[]): Promise<ExecResult>;
  /** A bash script the tree holds (the cluster bootstrap), with the same kubeconfig and context. */
  script(path: string): Promise<ExecResult>;
  /** kubectl that must succeed: its error becomes the message of a UserError. */
  must(args: readonly string[], input?: string): Promise<string>;
}

/** The first lines of a tool's error output, without Helm's and kubectl's "Error: " prefix. */
export function firstLines(r: ExecResult, n = 6): string {
  const text = (r.stderr.trim() || r.stdout.trim()).replace(/^Error: /gm, "");
  return text.split("\n").slice(0, n).join("\n");
}

export function kube(tools: KubeTools): Kube {
  const opts = (input?: string) => ({
    env: tools.env,
    ...(tools.signal ? { signal: tools.signal } : {}),
    ...(input !== undefined ? { input } : {}),
  });
  const kubectl = (args: readonly string[], input?: string) =>
    exec(tools.kubectl, [...(tools.context ? ["--context", tools.context] : []), ...args], opts(input));
  return {
    tools,
    kubectl,
    helm: (args) =>
      exec(tools.helm, [...args, ...(tools.context ? ["--kube-context", tools.context] : [])], opts()),
    // install.sh calls kubectl and helm without a context: with --context it gets a kubeconfig of that
    // context alone (`kubectl config view --minify --flatten`), in a private file removed afterwards.
    script: async (path) => {
      if (!tools.context) return exec("bash", [path], opts());
      const view = await kubectl(["config", "view", "--minify", "--flatten"]);
      if (view.code !== 0) return view;
      const dir = mkdtempSync(join(tmpdir(), "gantry-kubeconfig-"));
      try {
        writeFileSync(join(dir, "config"), view.stdout, { mode: 0o600 });
        return await exec("bash", [path], {
          ...opts(),
          env: { ...tools.env, KUBECONFIG: join(dir, "config") },
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    must: async (args, input) => {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new UserError(`kubectl ${args[0] ?? ""} failed: ${firstLines(r)}`);
      return r.stdout;
    },
  };
}
