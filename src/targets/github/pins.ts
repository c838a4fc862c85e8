// The one table of GitHub Actions Gantry's workflows use: each pinned to the full commit SHA of a
// release tag (taken from ../shared/data/github-action-pins.json; test/github.test.ts checks every
// row against it). Workflows print `uses: owner/action@<sha> # <tag>` so a reader and Dependabot
// both see the version. trivy-action: its tags were force-pushed once (CVE-2026-33634), so only its
// SHA is trusted, never a tag. `oidc`: the action logs in with the workflow's OIDC token, so its job
// needs `id-token: write`.

interface Pin {
  sha: string;
  tag: string;
  oidc?: true;
}

export const PINS = {
  "actions/checkout": { sha: "3d3c42e5aac5ba805825da76410c181273ba90b1", tag: "v7.0.1" },
  "actions/setup-node": { sha: "820762786026740c76f36085b0efc47a31fe5020", tag: "v7.0.0" },
  "actions/setup-python": { sha: "5fda3b95a4ea91299a34e894583c3862153e4b97", tag: "v7.0.0" },
  "actions/setup-go": { sha: "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", tag: "v7.0.0" },
  "actions/upload-artifact": { sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", tag: "v7.0.0" },
  "actions/github-script": { sha: "ed597411d8f924073f98dfc5c65a23a2325f34cd", tag: "v8.0.0" },
  "actions/download-artifact": { sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", tag: "v8.0.1" },
  "docker/setup-buildx-action": { sha: "37fe631027851001ddb9b187196cc803df7f5f0e", tag: "v4.3.0" },
  "docker/login-action": { sha: "4907a6ddec9925e35a0a9e82d7399ccc52663121", tag: "v4.1.0" },
  "docker/metadata-action": { sha: "dc802804100637a589fabce1cb79ff13a1411302", tag: "v6.2.0" },
  "docker/build-push-action": { sha: "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", tag: "v7.3.0" },
  "azure/login": { sha: "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", tag: "v3.0.1", oidc: true },
  "azure/webapps-deploy": { sha: "02a81bead70021f5284939794bcec79c271ab383", tag: "v3.0.8" },
  "Azure/static-web-apps-deploy": { sha: "1a947af9992250f3bc2e68ad0754c0b0c11566c9", tag: "v1" },
  "azure/setup-helm": { sha: "9bc31f4ebc9c6b171d7bfbaa5d006ae7abdb4310", tag: "v5.0.1" },
  "azure/setup-kubectl": { sha: "829323503d1be3d00ca8346e5391ca0b07a9ab0d", tag: "v5.1.0" },
  "azure/k8s-set-context": { sha: "8698eba2499e9012f0d5085f8798077cce4bc526", tag: "v5.0.1" },
  "aws-actions/configure-aws-credentials": {
    sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    tag: "v6.2.3",
    oidc: true,
  },
  "aws-actions/amazon-ecr-login": { sha: "03f1aad4c6c7ffd436567f42f9384779290529bd", tag: "v2.1.7" },
  "opentofu/setup-opentofu": { sha: "a1320f892987e89d278cc92dc5adc984fb93aca4", tag: "v2.0.2" },
  "digitalocean/action-doctl": { sha: "135ac0aa0eed4437d547c6f12c364d3006b42824", tag: "v2.5.1" },
  "gitleaks/gitleaks-action": { sha: "e0c47f4f8be36e29cdc102c57e68cb5cbf0e8d1e", tag: "v3.0.0" },
  "aquasecurity/trivy-action": { sha: "ed142fd0673e97e23eac54620cfb913e5ce36c25", tag: "v0.36.0" },
  "slackapi/slack-github-action": { sha: "dcb1066f776dd043e64d0e8ba94ca15cc7e1875d", tag: "v4.0.0" },
  // Its root action is a stub: workflows use a sub-action (github/codeql-action/upload-sarif).
  "github/codeql-action": { sha: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e", tag: "v4.36.2" },
} as const satisfies Record<string, Pin>;

export type ActionName = keyof typeof PINS;
/** An action, or a sub-action of one (`github/codeql-action/upload-sarif`), which shares its repository's pin. */
export type ActionRef = ActionName | `${ActionName}/${string}`;

/** The pin of an action or of a sub-action (owner/repo/path): the repository's. */
const pinOf = (ref: string): Pin | undefined =>
  (PINS as Record<string, Pin>)[ref.split("/").slice(0, 2).join("/")];

/** `owner/action[/path]@<sha>`; the printer appends `# <tag>`. */
export function pinned(action: ActionRef): string {
  return `${action}@${pinOf(action)!.sha}`;
}

/** Whether a `uses:` value is an action that logs in with the workflow's OIDC token. */
export function usesOidc(uses: string): boolean {
  return pinOf(uses.split("@")[0] ?? "")?.oidc === true;
}

/** The tag of a pinned `uses:` value, for the printer's comment. */
export function tagOf(uses: string): string | undefined {
  const at = uses.lastIndexOf("@");
  if (at < 0) return undefined;
  const pin = pinOf(uses.slice(0, at));
  return pin && pin.sha === uses.slice(at + 1) ? pin.tag : undefined;
}
