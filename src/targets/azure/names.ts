// Name pieces of the Azure target. Resource names are assembled in main.bicep from these literal
// pieces, the environment code and a uniqueString() suffix, so that each stays within its
// resource's length and character rules for any spec Gantry accepts.
import type { AppModel } from "../../model/types.js";

/** Lower-case letters, digits and single hyphens, no hyphen at either end, at most `max` characters. */
export function slug(s: string, max = 63): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/g, "");
  return out || "x";
}

/** Lower-case letters and digits only (storage accounts, registries). */
export function alnum(s: string, max: number): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(0, max) || "x"
  );
}

/** camelCase identifier of a spec name: `sse-gateway` → `sseGateway`. */
export function camel(s: string): string {
  const parts = s.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const id = parts
    .map((p, i) =>
      i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1),
    )
    .join("");
  return /^[A-Za-z_]/.test(id) ? id : `x${id}`;
}

/** Key Vault secret name of an environment variable name: `JWT_SECRET` → `jwt-secret`. */
export function secretName(envVar: string): string {
  return slug(envVar, 127);
}

const WELL_KNOWN: Record<string, string> = { production: "prod", staging: "stg", development: "dev" };

/** Short codes of the environments (at most 6 letters and digits), unique within the project. */
export function environmentCodes(envs: readonly AppModel[]): Map<string, string> {
  const codes = new Map<string, string>();
  const used = new Set<string>();
  for (const m of envs) {
    const name = m.environment.name;
    let code = WELL_KNOWN[name] ?? alnum(name, 6);
    for (let i = 2; used.has(code); i++) code = `${alnum(name, 5)}${i}`;
    used.add(code);
    codes.set(name, code);
  }
  return codes;
}
