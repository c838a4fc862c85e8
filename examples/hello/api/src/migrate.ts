// Schema migration for the hello demo: idempotent, safe to run on every deploy and concurrently.
// Run as `node dist/migrate.js`; exits 0 on success, 1 with a message on failure.
import pg from "pg";

// An arbitrary constant: concurrent migrators serialize on this advisory lock.
const MIGRATION_LOCK_ID = 4_242_001;

const statements = [
  `CREATE TABLE IF NOT EXISTS notes (
     id serial PRIMARY KEY,
     text text NOT NULL,
     created_at timestamptz DEFAULT now()
   )`,
  // Event ids the worker has handled: an idempotent consumer processes a redelivered event once.
  `CREATE TABLE IF NOT EXISTS processed_events (
     id text PRIMARY KEY,
     processed_at timestamptz DEFAULT now()
   )`,
];

function logInfo(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(
    JSON.stringify({ time: new Date().toISOString(), level: "info", service: "migrate", msg, ...fields }) + "\n",
  );
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined || databaseUrl.trim() === "") {
    throw new Error("environment variable DATABASE_URL is required but not set");
  }
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    for (const sql of statements) await client.query(sql);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
  logInfo("migrations applied", { tables: ["notes", "processed_events"] });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const first = err instanceof AggregateError && err.message === "" ? (err.errors[0] as unknown) : err;
    const message = first instanceof Error ? first.message || String(first) : String(first);
    process.stderr.write(`hello-migrate: migration failed: ${message}\n`);
    process.exit(1);
  },
);
