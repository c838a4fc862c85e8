// Malformed specs, each with the exact problems Gantry must report (file:line:col path: message).
// The base is a small valid spec; each case is a whole file so positions are easy to read.

export const VALID = `name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
    scale: { min: 2, max: 4 }
    uses: [db, cache, events]
    secrets: [JWT_SECRET]
    domain: api.shop.dev
  worker:
    build: ./api
    command: python -m worker
    subscribes: [events]
  web:
    static: ./web
    build: npm run build
    domain: shop.dev
postgres:
  db: {}
redis:
  cache: {}
topics:
  events: {}
environments:
  staging: {}
  production: {}
`;

export interface Case {
  name: string;
  spec: string;
  /** Expected problem lines, in order (first line of each problem: no hint). */
  expect: string[];
}

export const CASES: Case[] = [
  { name: "empty file", spec: "", expect: ["gantry.yaml:1:1: the file is empty"] },
  {
    name: "only comments",
    spec: "# nothing here\n# at all\n",
    expect: ["gantry.yaml:1:1: the file is empty"],
  },
  {
    name: "top level is a list",
    spec: "- a\n- b\n",
    expect: ["gantry.yaml:1:1: the top level must be a map of settings, but it is a list"],
  },
  {
    name: "top level is a string",
    spec: "just text\n",
    expect: ["gantry.yaml:1:1: the top level must be a map of settings, but it is a string"],
  },
  {
    name: "tab indentation",
    spec: "name: shop\nservices:\n\tapi:\n\t\tport: 80\n",
    expect: [
      "gantry.yaml:3:1: YAML syntax error: a tab character is used for indentation",
      "gantry.yaml:4:1: YAML syntax error: a tab character is used for indentation",
    ],
  },
  {
    name: "duplicate key",
    spec: "name: shop\nname: other\n",
    expect: ["gantry.yaml:2:1 name: duplicate key: `name` appears twice at the top level (first on line 1)"],
  },
  {
    name: "unclosed flow map",
    spec: "name: shop\nservices: { api: { port: 80 }\n",
    expect: [
      "gantry.yaml:3:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }",
    ],
  },
  {
    name: "bad indentation",
    spec: "name: shop\nservices:\n  api:\n    port: 80\n   build: .\n",
    expect: ["gantry.yaml:5:1: YAML syntax error: All mapping items must start at the same column"],
  },
  {
    name: "two documents",
    spec: "name: a\n---\nname: b\n",
    expect: ["gantry.yaml:2:1: more than one YAML document in the file"],
  },
  {
    name: "undefined alias",
    spec: "name: shop\nservices: *nothing\n",
    expect: ["gantry.yaml:2:11 services: the alias *nothing refers to no anchor"],
  },
  {
    name: "binary junk",
    spec: "name: shop\n\u0000\u0001\u0002binary",
    expect: ["gantry.yaml:2:1: the file is not text: it contains binary data (a NUL byte or invalid UTF-8)"],
  },
  {
    name: "missing name",
    spec: "services: {}\n",
    expect: [
      "gantry.yaml:1:1: `name` is required: a lower-case name (a-z, 0-9 and '-', starting with a letter, not ending with '-'), at most 40 characters",
    ],
  },
  {
    name: "bad name",
    spec: "name: My_Shop\n",
    expect: [
      "gantry.yaml:1:7 name: expected a lower-case name, got \"My_Shop\": capital letters and '_' are not allowed (only a-z, 0-9 and '-')",
    ],
  },
  {
    name: "unknown top-level key",
    spec: "name: shop\nservice: {}\n",
    expect: ["gantry.yaml:2:1 service: unknown key `service`"],
  },
  {
    name: "unknown top-level key far from any",
    spec: "name: shop\nfrobnicate: 1\n",
    expect: ["gantry.yaml:2:1 frobnicate: unknown key `frobnicate`"],
  },
  {
    name: "services is a list",
    spec: "name: shop\nservices:\n  - api\n",
    expect: ["gantry.yaml:3:3 services: expected a map, got a list"],
  },
  {
    name: "bad service name",
    spec: "name: shop\nservices:\n  Api_1: { image: nginx }\n",
    expect: [
      "gantry.yaml:3:3 services.Api_1: `Api_1` is not a valid name: capital letters and '_' are not allowed (only a-z, 0-9 and '-')",
    ],
  },
  {
    name: "typo in service key",
    spec: "name: shop\nservices:\n  api: { image: nginx, prot: 80 }\n",
    expect: ["gantry.yaml:3:24 services.api.prot: unknown key `prot`"],
  },
  {
    name: "port as quoted string",
    spec: 'name: shop\nservices:\n  api: { image: nginx, port: "80" }\n',
    expect: ['gantry.yaml:3:30 services.api.port: expected a port from 1 to 65535, got "80"'],
  },
  {
    name: "port out of range",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 70000 }\n",
    expect: ["gantry.yaml:3:30 services.api.port: expected a port from 1 to 65535, got 70000"],
  },
  {
    name: "min greater than max",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, scale: { min: 5, max: 2 } }\n",
    expect: ["gantry.yaml:3:43 services.api.scale.min: min (5) is greater than max (2)"],
  },
  {
    name: "cpu target out of range",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, scale: { max: 3, cpu: 150 } }\n",
    expect: ["gantry.yaml:3:56 services.api.scale.cpu: expected a percentage from 1 to 100, got 150"],
  },
  {
    name: "scale is text",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, scale: lots }\n",
    expect: [
      'gantry.yaml:3:41 services.api.scale: expected an integer from 0 to 1000, or a map with min, max, cpu, memory, ..., got "lots"',
    ],
  },
  {
    name: "unknown database in uses",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, uses: [dbb] }\npostgres:\n  db: {}\n",
    expect: ["gantry.yaml:3:41 services.api.uses[0]: unknown database, cache, topic or bucket `dbb`"],
  },
  {
    name: "uses with nothing declared",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, uses: [db] }\n",
    expect: ["gantry.yaml:3:41 services.api.uses[0]: unknown database, cache, topic or bucket `db`"],
  },
  {
    name: "uses email without email",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, uses: [email] }\n",
    expect: ["gantry.yaml:3:41 services.api.uses[0]: `email` is used but the spec has no `email` section"],
  },
  {
    name: "unknown topic in subscribes",
    spec: "name: shop\nservices:\n  w: { image: nginx, subscribes: [evnets] }\ntopics:\n  events: {}\n",
    expect: ["gantry.yaml:3:35 services.w.subscribes[0]: unknown topic `evnets`"],
  },
  {
    name: "duplicate domain",
    spec: "name: shop\nservices:\n  a: { image: nginx, domain: x.shop.dev }\n  b: { image: nginx, domain: x.shop.dev }\n",
    expect: ["gantry.yaml:4:30 services.b.domain: x.shop.dev is also routed to services.a"],
  },
  {
    name: "invalid cron",
    spec: 'name: shop\nservices:\n  nightly: { image: busybox, command: run, schedule: "0 25 * * *" }\n',
    expect: [
      "gantry.yaml:3:54 services.nightly.schedule: invalid cron expression: the hour 25 is out of range (0-23)",
    ],
  },
  {
    name: "cron with 4 fields",
    spec: 'name: shop\nservices:\n  nightly: { image: busybox, command: run, schedule: "0 3 * *" }\n',
    expect: [
      "gantry.yaml:3:54 services.nightly.schedule: invalid cron expression: a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has 4",
    ],
  },
  {
    name: "unknown time zone",
    spec: 'name: shop\nservices:\n  nightly: { image: busybox, command: run, schedule: "0 3 * * *", timezone: Europe/Pariss }\n',
    expect: [
      'gantry.yaml:3:77 services.nightly.timezone: unknown time zone "Europe/Pariss" (use an IANA name such as Europe/Paris, or UTC)',
    ],
  },
  {
    name: "metrics port clash with dapr sidecar",
    spec: "name: shop\nservices:\n  a: { image: nginx, port: 80, subscribes: [events], metrics: { port: 9090 } }\ntopics:\n  events: {}\n",
    expect: ["gantry.yaml:3:71 services.a.metrics.port: port 9090 clashes with Dapr metrics in the same pod"],
  },
  {
    name: "port clash with dapr sidecar",
    spec: "name: shop\nservices:\n  a: { image: nginx, port: 3500, uses: [events] }\ntopics:\n  events: {}\n",
    expect: ["gantry.yaml:3:28 services.a.port: port 3500 clashes with the Dapr HTTP API in the same pod"],
  },
  {
    name: "override of unknown environment service",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80 }\nenvironments:\n  prod:\n    services:\n      apl: { port: 81 }\n",
    expect: ["gantry.yaml:7:7 environments.prod.services.apl: overrides unknown service `apl`"],
  },
  {
    name: "override with a typo inside",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80 }\nenvironments:\n  staging:\n    services:\n      api: { scale: { mx: 3 } }\n",
    expect: ["gantry.yaml:7:23 services.api.scale.mx: unknown key `mx`"],
  },
  {
    name: "unknown key in environment",
    spec: "name: shop\nenvironments:\n  staging:\n    deplyo: { on: push }\n",
    expect: ["gantry.yaml:4:5 environments.staging.deplyo: unknown key `deplyo`"],
  },
  {
    name: "bad deploy trigger",
    spec: "name: shop\nenvironments:\n  staging:\n    deploy: { on: commit }\n",
    expect: [
      'gantry.yaml:4:19 environments.staging.deploy.on: expected one of push, release, manual, got "commit"',
    ],
  },
  {
    name: "secret in env",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, env: { DB_PASSWORD: hunter2 } }\n",
    expect: [
      "gantry.yaml:3:54 services.api.env.DB_PASSWORD: this value looks like a secret (the value of a setting named like a secret); secret values are never accepted in the spec",
    ],
  },
  {
    name: "aws key anywhere",
    // AWS's documented example key id, assembled here so no key-shaped literal sits in the repository.
    spec: `name: shop\ndescription: ${["AKIA", "IOSFODNN7EXAMPLE"].join("")}\n`,
    expect: [
      "gantry.yaml:2:14 description: this value looks like a secret (an AWS access key id); secret values are never accepted in the spec",
    ],
  },
  {
    name: "url with password",
    spec: 'name: shop\nservices:\n  api: { image: nginx, port: 80, env: { DATABASE: "postgres://app:s3cret@db:5432/app" } }\n',
    expect: [
      "gantry.yaml:3:51 services.api.env.DATABASE: this value looks like a secret (a URL with a password in it); secret values are never accepted in the spec",
    ],
  },
  {
    name: "worker with domain",
    spec: "name: shop\nservices:\n  w: { type: worker, image: nginx, domain: w.shop.dev }\n",
    expect: ["gantry.yaml:3:36 services.w.domain: `domain` is not allowed on a worker"],
  },
  {
    name: "static with command",
    spec: "name: shop\nservices:\n  web: { static: ./web, command: serve }\n",
    expect: ["gantry.yaml:3:25 services.web.command: `command` is not allowed on a static frontend"],
  },
  {
    name: "no build and no image",
    spec: "name: shop\nservices:\n  api: { port: 80 }\n",
    expect: ["gantry.yaml:3:3 services.api: neither `build` nor `image` is set"],
  },
  {
    name: "both build and image",
    spec: "name: shop\nservices:\n  api: { port: 80, build: ., image: nginx }\n",
    expect: ["gantry.yaml:3:30 services.api.image: both `build` and `image` are set"],
  },
  {
    name: "bad enum with suggestion",
    spec: "name: shop\nredis:\n  cache: { persistence: aff }\n",
    expect: ['gantry.yaml:3:25 redis.cache.persistence: expected one of none, rdb, aof, got "aff"'],
  },
  {
    name: "postgres version too new",
    spec: "name: shop\npostgres:\n  db: { version: 99 }\n",
    expect: [
      "gantry.yaml:3:18 postgres.db.version: expected a PostgreSQL major version from 13 to 17, got 99",
    ],
  },
  {
    name: "bad duration",
    spec: "name: shop\ntopics:\n  events: { retention: 7 days }\n",
    expect: [
      'gantry.yaml:3:24 topics.events.retention: expected a duration such as 30s, 5m, 1h or 7d, got "7 days"',
    ],
  },
  {
    name: "bad domain",
    spec: 'name: shop\nservices:\n  api: { image: nginx, port: 80, domain: "https://api.shop.dev" }\n',
    expect: [
      'gantry.yaml:3:42 services.api.domain: expected a host name, got "https://api.shop.dev": a host name is written without https:// and without a path',
    ],
  },
  {
    name: "unknown alert channel",
    spec: "name: shop\nmonitoring:\n  channels:\n    ops: { type: email, to: [ops@shop.dev] }\n  alerts:\n    cpu: { metric: cpu, above: 80, channels: [opz] }\n",
    expect: ["gantry.yaml:6:47 monitoring.alerts.cpu.channels[0]: unknown channel `opz`"],
  },
  {
    name: "teams webhook url literal",
    spec: 'name: shop\nmonitoring:\n  channels:\n    teams: { type: teams, webhook_secret: "https://x.webhook.office.com/abc" }\n',
    expect: [
      "gantry.yaml:4:43 monitoring.channels.teams.webhook_secret: this value looks like a secret (a Teams webhook URL); secret values are never accepted in the spec",
    ],
  },
  {
    name: "unknown idempotency store",
    spec: "name: shop\ntopics:\n  events: { idempotency: { store: cache } }\n",
    expect: ["gantry.yaml:3:35 topics.events.idempotency.store: unknown PostgreSQL or Redis `cache`"],
  },
  {
    name: "grace shorter than drain",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, shutdown: { drain: 30s, grace: 10s } }\n",
    expect: ["gantry.yaml:3:58 services.api.shutdown.grace: grace (10s) must be longer than drain (30s)"],
  },
  {
    name: "variables Gantry sets itself",
    spec: "name: shop\npostgres:\n  db: {}\nredis:\n  cache: {}\nservices:\n  api: { image: nginx, port: 80, uses: [db, cache], env: { PORT: '8080', DATABASE_URL: x }, secrets: [REDIS_URL] }\n  etl: { image: etl, schedule: '@daily', secrets: [DATABASE_URL] }\n",
    expect: [
      "gantry.yaml:7:60 services.api.env.PORT: `PORT` is set by Gantry for each instance; a value here would override it",
      "gantry.yaml:7:74 services.api.env.DATABASE_URL: `DATABASE_URL` is set by Gantry for each instance; a value here would override it",
      "gantry.yaml:7:103 services.api.secrets[0]: `REDIS_URL` is set by Gantry for each instance",
    ],
  },

  {
    name: "duplicate list items",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, secrets: [A_KEY, A_KEY] }\n",
    expect: ['gantry.yaml:3:51 services.api.secrets[1]: "A_KEY" is listed twice (also at [0])'],
  },
  {
    name: "name shared by service and database",
    spec: "name: shop\nservices:\n  db: { image: nginx, port: 80 }\npostgres:\n  db: {}\n",
    expect: ["gantry.yaml:5:3 postgres.db: the name `db` is also used by services.db"],
  },
  {
    name: "several problems at once",
    spec: "name: shop\nservices:\n  api: { image: nginx, port: 0, replicas: 2 }\nredis:\n  cache: { tls: yes please }\n",
    expect: [
      "gantry.yaml:3:30 services.api.port: expected a port from 1 to 65535, got 0",
      "gantry.yaml:3:33 services.api.replicas: unknown key `replicas`",
      'gantry.yaml:5:17 redis.cache.tls: expected true or false, got "yes please"',
    ],
  },
];
CASES.push({
  name: "percent sign",
  spec: "name: shop\nservices:\n  api: { image: nginx, port: 80, scale: { max: 3, cpu: 70% } }\n",
  expect: ['gantry.yaml:3:56 services.api.scale.cpu: expected a percentage from 1 to 100, got "70%"'],
});
