// The proxy's maintenance switch: while a restore puts the data back, every new connection is answered
// 503 with Retry-After and closed, and the connections open when it begins are closed (their next
// request would reach an app whose database is being replaced). Kept apart from the proxy's request
// paths, which never see a request while it is on.
import type net from "node:net";
import { refuseConnection } from "./unavailable.js";

export class Maintenance {
  private retryAfter?: number;

  constructor(
    /** The proxy's client connections now. */
    private readonly open: () => Iterable<net.Socket>,
  ) {}

  get active(): boolean {
    return this.retryAfter !== undefined;
  }

  begin(retryAfterSeconds: number): void {
    this.retryAfter = retryAfterSeconds;
    for (const s of this.open()) s.destroy();
  }

  end(): void {
    this.retryAfter = undefined;
  }

  /** Answers `socket` 503 and closes it, when on; false (and nothing done) when off. */
  refuse(socket: net.Socket): boolean {
    if (this.retryAfter === undefined) return false;
    refuseConnection(
      socket,
      "gantry: the app's data is being restored; try again shortly\n",
      this.retryAfter,
    );
    return true;
  }
}
