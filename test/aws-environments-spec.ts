// A spec whose environments differ, for the AWS tests and the Terraform validators: staging runs an
// admin service, an analytics database, an uploads bucket and a topic that production lacks,
// production a static site that staging lacks, and the api has its own command, port, health path,
// env values, uses and secrets in each environment.
import type { SynthContext } from "../src/targets/target.js";

export const CTX: SynthContext = {
  specPath: "gantry.yaml",
  specDir: ".",
  outputs: {
    kubernetes: "deploy/kubernetes",
    azure: "infrastructure/azure",
    aws: "infrastructure/aws",
    digitalocean: "infrastructure/digitalocean",
    github: ".github/workflows",
  },
};

export const DIFFERING = `name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
    domain: api.shop.example.com
    scale: { min: 2, max: 4 }
    command: ./server --port $PORT --log $LOG_LEVEL
    migrations: ./migrate up
    env: { LOG_LEVEL: info, DB_ADDR: "\${db.host}" }
    uses: [db]
  admin:
    build: ./admin
    port: 9000
    migrations: ./admin migrate
    uses: [db, analytics, uploads]
  web:
    static: ./web
    output: dist
    domain: shop.example.com
  nightly:
    build: ./api
    schedule: "0 3 * * *"
    command: ./report --full
    uses: [db]
postgres:
  db: {}
  analytics: {}
buckets:
  uploads: {}
topics:
  events: {}
ci: { repository: acme/shop }
targets:
  aws: { region: eu-west-1 }
environments:
  staging:
    services:
      api:
        command: ./server --port $PORT --log debug --reload
        env: { LOG_LEVEL: debug, DB_ADDR: "\${analytics.host}" }
        uses: [db, analytics, events]
      nightly: { schedule: "0 5 * * *" }
      web: null
  production:
    postgres: { analytics: null }
    buckets: { uploads: null }
    topics: { events: null }
    services:
      admin: null
      api: { health: /ready, port: 8080, secrets: [SENTRY_DSN] }
`;
