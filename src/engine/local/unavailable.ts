// The proxy's answer to a connection it takes no request on (a restore in progress, or more
// connections than its share of open files): 503 with Retry-After, so that clients and load balancers
// try again later rather than give up, then the connection closed.
import type net from "node:net";

/**
 * Answers `socket` 503 with `text` and closes it once the client has read that and closed its side (or
 * after a second): closing with the client's request unread would reset the connection, and the
 * client could lose the answer.
 */
export function refuseConnection(socket: net.Socket, text: string, retryAfterSeconds: number): void {
  socket.on("error", () => undefined);
  socket.once("end", () => socket.destroy());
  socket.resume();
  socket.end(
    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(text)}\r\nretry-after: ${retryAfterSeconds}\r\n` +
      `cache-control: no-store\r\nconnection: close\r\n\r\n${text}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
