// `gantry logs`: the last lines of a service's log (every service's, merged by time, without a name),
// then with -f the new ones as they come; `up --attach` follows them the same way.
import type { Command } from "commander";
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { AppModel } from "../model/types.js";
import { UserError } from "../errors.js";
import { readJson } from "../engine/local/fsutil.js";
import type { EnvPaths } from "../engine/local/paths.js";
import { appArguments, localAppLoose } from "./local-app.js";
import type { Io } from "./main.js";

function logFiles(paths: EnvPaths, service: string | undefined): string[] {
  const all = (existsSync(paths.logs) ? readdirSync(paths.logs) : [])
    .filter((f) => f.endsWith(".log"))
    .sort();
  if (!service) {
    // Services of the app (a job named redis-cleanup too) are merged; Gantry's own logs are not.
    const services = Object.keys(readJson<AppModel>(paths.model)?.services ?? {});
    return all
      .filter(
        (f) =>
          services.includes(basename(f, ".log")) ||
          (f !== "supervisor.log" && !f.startsWith("postgres") && !f.startsWith("redis-")),
      )
      .map((f) => join(paths.logs, f));
  }
  const f = all.find((x) => x === `${service}.log`);
  if (!f)
    throw new UserError(
      `no logs for ${service}`,
      `logs exist for: ${all.map((x) => x.replace(/\.log$/, "")).join(", ") || "nothing yet"}`,
    );
  return [join(paths.logs, f)];
}

/**
 * The last n lines of a log, read from its end: a log may be large (rotated at 10 MiB by default,
 * but what is read must not depend on it).
 */
function lastLines(file: string, n: number): string[] {
  if (n === 0) return []; // slice(-0) would be every line
  const fd = openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let newlines = 0;
    // One newline more than n lines need: the first piece read may begin mid-line.
    for (let pos = fstatSync(fd).size; pos > 0 && newlines <= n;) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      chunks.unshift(buf);
      for (const b of buf) if (b === 0x0a) newlines++;
    }
    return Buffer.concat(chunks)
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .slice(-n);
  } finally {
    closeSync(fd);
  }
}

/** The service column of merged logs; none for one service's log. */
function logPrefix(file: string, service: string | undefined): string {
  return service ? "" : `${basename(file, ".log").padEnd(10)} `;
}

export function followLogs(paths: EnvPaths, service: string | undefined, io: Io): { stop: () => void } {
  const offsets = new Map<string, number>();
  for (const f of logFiles(paths, service)) offsets.set(f, statSync(f).size);
  const timer = setInterval(() => {
    let files: string[] = [];
    try {
      files = logFiles(paths, service);
    } catch {
      return;
    }
    for (const f of files) {
      const size = statSync(f).size;
      // Smaller than what was read: the log was rotated, and this is a new file.
      const seen = offsets.get(f) ?? 0;
      const from = size < seen ? 0 : seen;
      if (size <= from) {
        offsets.set(f, size);
        continue;
      }
      const fd = openSync(f, "r");
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      closeSync(fd);
      const text = buf.toString("utf8");
      const end = text.lastIndexOf("\n") + 1;
      offsets.set(f, from + Buffer.byteLength(text.slice(0, end)));
      for (const l of text.slice(0, end).split("\n")) if (l) io.out(`${logPrefix(f, service)}${l}\n`);
    }
  }, 250);
  return { stop: () => clearInterval(timer) };
}

async function logs(
  service: string | undefined,
  path: string,
  opts: { env?: string; follow?: boolean; lines: string },
  io: Io,
): Promise<void> {
  if (
    service &&
    path === "." &&
    (service.includes("/") || existsSync(join(io.cwd, service, "gantry.yaml")) || service.endsWith(".yaml"))
  ) {
    path = service;
    service = undefined;
  }
  // `gantry logs PATH SERVICE`: the path came first.
  if (service && !existsSync(resolve(io.cwd, path)) && existsSync(resolve(io.cwd, service)))
    throw new UserError(
      `there is no ${path} here: \`gantry logs\` takes the service first, then the app's path`,
      `\`gantry logs ${path} ${service}\``,
    );
  const { paths } = localAppLoose(path, opts.env, io);
  // `-n 0` prints nothing before following, as tail's does; anything but a count is refused.
  if (!/^\d+$/.test(opts.lines.trim()))
    throw new UserError(
      `-n must be a number of lines, not ${JSON.stringify(opts.lines)}`,
      "`gantry logs api -n 50`; `-n 0 -f` prints only new lines",
    );
  const n = Number(opts.lines);
  const lines: { time: string; shown: string }[] = [];
  for (const f of logFiles(paths, service))
    for (const l of lastLines(f, n))
      lines.push({ time: l.slice(0, 24), shown: `${logPrefix(f, service)}${l}` });
  // Every line starts with its ISO time: merged logs are sorted by it only (not by what follows the
  // service column, which is wider for names over 10 characters), and the sort is stable, so the
  // lines of one read, which share a time, keep their order.
  if (!service) lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  for (const l of lines.slice(-n)) io.out(`${l.shown}\n`);
  if (!opts.follow) return;
  const f = followLogs(paths, service, io);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
    void io.outClosed?.then(resolve);
  });
  f.stop();
}

export function registerLogs(program: Command, io: Io): void {
  appArguments(
    program
      .command("logs")
      .description("Print a service's logs (all services without a name); -f follows them.")
      .argument("[service]", "service name (or postgres, redis-<name>, supervisor)"),
  )
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --lines <n>", "how many lines to print first", "100")
    .action(
      (service: string | undefined, path: string, opts: { env?: string; follow?: boolean; lines: string }) =>
        logs(service, path, opts, io),
    );
}
