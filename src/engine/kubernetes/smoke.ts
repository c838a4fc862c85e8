// The smoke checks after a rollout: the same public health URLs the generated pipelines check (GET,
// redirects followed, a status below 400), a few attempts each while the ingress and DNS catch up
// (how many: the plan's smoke step).
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";

const TIMEOUT_MS = 10_000;

function status(url: string, trusted: boolean, redirects = 5): Promise<number> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith("https:") ? httpsGet : httpGet;
    // An environment whose certificates come from an issuer no trust store holds (Let's Encrypt
    // staging) is checked without verifying the chain, as its pipelines do.
    const req = get(
      url,
      { timeout: TIMEOUT_MS, ...(trusted ? {} : { rejectUnauthorized: false }) },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        if (code >= 300 && code < 400 && res.headers.location && redirects > 0)
          resolve(status(new URL(res.headers.location, url).toString(), trusted, redirects - 1));
        else resolve(code);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000}s`)));
    req.on("error", reject);
  });
}

/** Why a URL failed, or undefined when each answered below 400. */
export async function smokeCheck(
  urls: readonly string[],
  trusted: boolean,
  progress: (line: string) => void,
  attempts: number,
  pauseMs: number,
): Promise<string | undefined> {
  for (const url of urls) {
    let why = "";
    for (let i = 1; i <= attempts; i++) {
      try {
        const code = await status(url, trusted);
        if (code < 400) {
          why = "";
          break;
        }
        why = `${url} answered ${code}`;
      } catch (e) {
        why = `${url}: ${(e as Error).message}`;
      }
      if (i < attempts) await new Promise((r) => setTimeout(r, pauseMs));
    }
    if (why) return why;
    progress(`smoke: GET ${url} ok`);
  }
  return undefined;
}
