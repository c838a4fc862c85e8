// Specs whose environments differ in what they have: the tests of every target render them.

/** dev drops a worker, a static site, a cache, a topic and a bucket; prd drops a job and a database. */
export const PARTIAL = `name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
    uses: [db, events, files]
    domain: api.shop.example.com
  web:
    static: ./web
    build: npm run build
    domain: shop.example.com
  indexer:
    build: ./indexer
    command: python -m indexer
    uses: [cache, events]
    subscribes: [events]
  nightly:
    build: ./api
    schedule: "0 3 * * *"
    command: ./report --all
    uses: [reports]
postgres:
  db: {}
  reports: { hosting: cluster }
redis:
  cache: {}
topics:
  events: {}
buckets:
  files: {}
targets:
  kubernetes: { registry: ghcr.io/acme }
environments:
  dev:
    services:
      indexer: null
      web: null
      api: { uses: [db] }
    redis: { cache: null }
    topics: { events: null }
    buckets: { files: null }
  prd:
    services:
      nightly: null
    postgres: { reports: null }
`;
