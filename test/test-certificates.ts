// Throwaway certificates for servers the tests run on loopback (the S3 server of the offsite backups,
// the Kubernetes control plane): a CA, and certificates it signs, made with openssl in a directory.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../src/util/exec.js";

/** Each key an EC P-256 key, unencrypted (the servers read it without a passphrase). */
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const DAYS = "3";

export async function openssl(dir: string, args: readonly string[]): Promise<void> {
  const r = await exec("openssl", args, { cwd: dir, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.code}):\n${r.stderr}${r.stdout}`);
}

/** `ca.crt` and `ca.key` in `dir`. */
export async function makeCa(dir: string, commonName: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    DAYS,
    "-subj",
    `/CN=${commonName}`,
  ]);
}

/** `<name>.crt` and `<name>.key` in `dir`, signed by its CA, with `subject` and the extensions `ext` (openssl's extfile lines). */
export async function signedByCa(dir: string, name: string, subject: string, ext: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), ext);
  await openssl(dir, ["req", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    DAYS,
    "-extfile",
    `${name}.ext`,
  ]);
}
