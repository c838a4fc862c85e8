// The TCP ports of the local runtime, all on 127.0.0.1: a free one for each new instance, the one of
// the last run kept when still free (PostgreSQL, Redis), and the proxy's.
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The port of the last run when it is still free, else any free port. */
export async function portOr(previous: number | undefined): Promise<number> {
  if (previous) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(false));
      s.listen(previous, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return previous;
  }
  return freePort();
}

/**
 * Starts the proxy on its port. One asked for with `up --port` must be free: the user's links name it,
 * and serving elsewhere would be a surprise. The port of the previous run is only a preference, kept
 * when still free; else any free port.
 */
export async function listenProxy(
  listen: (port: number) => Promise<number>,
  requested: number | undefined,
  remembered: number | undefined,
): Promise<number> {
  if (requested) {
    try {
      return await listen(requested);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === "EADDRINUSE"
          ? `port ${requested} (--port) is already in use by another program`
          : `the proxy cannot listen on port ${requested} (--port): ${(e as Error).message}`,
      );
    }
  }
  if (remembered) {
    try {
      return await listen(remembered);
    } catch {
      // Taken by another program since the last run: any free port will do.
    }
  }
  return listen(0);
}
