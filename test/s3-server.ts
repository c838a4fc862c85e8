// A real S3-compatible server on loopback for the tests, over HTTPS with a certificate from a
// throwaway CA (made with openssl, as kube-control-plane.ts makes its own): s3rver, which keeps each
// object as a file. s3rver checks that a version-4 signature's access key exists and not the signature
// itself ("V4 signatures have incomplete support", its authentication middleware), so every request is
// verified here first, with the secret key, before s3rver answers it: a client that signs with another
// secret, or for another region, is refused as S3 refuses it.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { makeCa, signedByCa } from "./test-certificates.js";

const require = createRequire(import.meta.url);

interface S3rverApp {
  configureBuckets(): Promise<unknown>;
  getMiddleware(): (req: IncomingMessage, res: ServerResponse) => void;
}
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverApp;
const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account") as {
  DUMMY_ACCOUNT: { createKeyPair(key: string, secret: string): void };
};

export interface S3Server {
  /** https://localhost:PORT: the certificate names localhost (pgBackRest matches host names only). */
  endpoint: string;
  caFile: string;
  key: string;
  secret: string;
  /** Requests whose signature matched, and the reasons of those refused. */
  signed: { ok: number; refused: string[] };
  /** Every object of the bucket: its key and its bytes. */
  objects(): { key: string; data: Buffer }[];
  close(): Promise<void>;
}

/** A CA and a server certificate for localhost, signed by it, in `dir`. */
async function certificates(dir: string): Promise<void> {
  await makeCa(dir, "gantry-test-s3-ca");
  await signedByCa(dir, "s3", "/CN=localhost", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n");
}

const hmac = (key: Buffer | string, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Why a request's AWS Signature Version 4 (Authorization header) does not hold, or undefined when it
 * does: the canonical request from the method, the path and query as sent, the signed headers and the
 * payload hash the client declared (AWS's "Signature Version 4 signing process").
 */
function signatureProblem(
  req: IncomingMessage,
  key: string,
  secret: string,
  region: string,
): string | undefined {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      req.headers.authorization ?? "",
    );
  if (!auth) return `no version-4 signature: ${req.method} ${req.url}`;
  const [, keyId, day, scopeRegion, signedHeaders, signature] = auth as unknown as string[];
  if (keyId !== key) return "another access key";
  if (scopeRegion !== region) return `signed for region ${scopeRegion}`;
  const url = new URL(req.url ?? "/", "https://localhost");
  const query = (url.search.slice(1) ? url.search.slice(1).split("&") : [])
    .map((p) => (p.includes("=") ? p : `${p}=`))
    .sort()
    .join("&");
  const headers = signedHeaders!.split(";");
  const canonical = [
    req.method,
    url.pathname,
    query,
    ...headers.map((h) => `${h}:${String(req.headers[h] ?? "").trim()}`),
    "",
    signedHeaders,
    String(req.headers["x-amz-content-sha256"] ?? ""),
  ].join("\n");
  const toSign = [
    "AWS4-HMAC-SHA256",
    String(req.headers["x-amz-date"] ?? ""),
    `${day}/${region}/s3/aws4_request`,
    sha256(canonical),
  ].join("\n");
  const signingKey = ["s3", "aws4_request"].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${secret}`, day!), region),
  );
  return hmac(signingKey, toSign).toString("hex") === signature ? undefined : "signature does not match";
}

/** Starts the server with one bucket, on a free port of 127.0.0.1, its files and certificates in `dir`. */
export async function startS3(dir: string, bucket: string, region: string): Promise<S3Server> {
  await certificates(dir);
  const key = `GANTRYTEST${randomBytes(5).toString("hex").toUpperCase()}`;
  const secret = randomBytes(24).toString("base64url");
  DUMMY_ACCOUNT.createKeyPair(key, secret);
  const store = join(dir, "objects");
  const app = new S3rver({
    directory: store,
    silent: true,
    configureBuckets: [{ name: bucket }],
    vhostBuckets: false,
  });
  await app.configureBuckets();
  const handle = app.getMiddleware();
  const signed = { ok: 0, refused: [] as string[] };
  const server: Server = createServer(
    { key: readFileSync(join(dir, "s3.key")), cert: readFileSync(join(dir, "s3.crt")) },
    (req, res) => {
      const problem = signatureProblem(req, key, secret, region);
      if (problem) {
        signed.refused.push(problem);
        res.writeHead(403, { "content-type": "application/xml" });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>${problem}</Message></Error>`,
        );
        return;
      }
      signed.ok++;
      handle(req, res);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const bucketDir = join(store, bucket);
  const objects = () => {
    const found: { key: string; data: Buffer }[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith("._S3rver_object"))
          found.push({ key: relative(bucketDir, p).replace(/\._S3rver_object$/, ""), data: readFileSync(p) });
      }
    };
    walk(bucketDir);
    return found;
  };
  return {
    endpoint: `https://localhost:${port}`,
    caFile: join(dir, "ca.crt"),
    key,
    secret,
    signed,
    objects,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
