// The floor for any proxy written for Node, measured by bench/local-deploy.ts next to Gantry's: each
// client connection is piped to a connection of its own to one instance (round-robin), bytes as they
// come, no HTTP parsing, so no routing by host or path, no pooling, no X-Forwarded-* and no drains.
//   node --import tsx bench/bare-relay.ts PORT INSTANCE_PORT...
import net from "node:net";

const [port, ...instances] = process.argv.slice(2).map(Number);
let next = 0;
net
  .createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({
      port: instances[next++ % instances.length]!,
      host: "127.0.0.1",
      noDelay: true,
    });
    client.on("data", (d: Buffer) => upstream.write(d));
    upstream.on("data", (d: Buffer) => client.write(d));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  })
  .listen(port, "127.0.0.1", () => process.stdout.write("listening\n"));
