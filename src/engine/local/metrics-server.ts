// `/metrics` over TCP for Prometheus, which cannot scrape the control socket (a Unix socket; the same
// text is served there too, for `curl --unix-socket`). On 127.0.0.1 only, on the port of the last run
// when it is still free, so a scrape configuration written once keeps working.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CONTENT_TYPE } from "./metrics-text.js";
import { portOr } from "./ports.js";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function serveMetrics(
  text: () => string,
  previousPort: number | undefined,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("gantry: only /metrics is served here\n");
      return;
    }
    const body = text();
    res.writeHead(200, { "content-type": CONTENT_TYPE, "content-length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  let port: number;
  try {
    port = await listen(await portOr(previousPort));
  } catch {
    // Taken between the check and the listen: any free port.
    port = await listen(0);
  }
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
