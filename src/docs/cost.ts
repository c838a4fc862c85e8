// docs/cost.md, generated from the price tables (src/cost/prices), the spec's cost assumptions and the
// examples' estimates, so the page lists exactly the prices `gantry cost` uses, each with its source,
// and its calibration figures are the estimator's own.
import { AWS_PRICES } from "../cost/prices/aws.js";
import { AZURE_PRICES } from "../cost/prices/azure.js";
import { DO_PRICES } from "../cost/prices/digitalocean.js";
import type { PriceTable } from "../cost/prices/types.js";
import { monthlyOf, type Estimate } from "../cost/types.js";
import { CostSchema } from "../spec/schema-cost.js";

const cell = (s: string) => s.replace(/\|/g, "\\|");

function table(t: PriceTable): string[] {
  const rows = Object.entries(t.prices).map(
    ([key, p]) =>
      `| \`${key}\` | $${p.usd} / ${p.unit}${p.free ? ` (${p.free} free)` : ""} | [page](${p.source}) | ${p.confirmed ? `[confirmed](${p.confirmed})` : "**not confirmed**"} | ${cell(p.note ?? "")} |`,
  );
  const unconfirmed = Object.values(t.prices).filter((p) => !p.confirmed).length;
  return [
    `### ${t.cloud} (${t.regions.join(", ")}; read ${t.read})`,
    "",
    `${t.fallback} ${unconfirmed} of ${Object.keys(t.prices).length} prices could not be confirmed when the table was read.`,
    "",
    "| key | price | source | read from | note |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ];
}

function assumptions(): string[] {
  const props = CostSchema.properties.assumptions.properties;
  return [
    "| assumption | default | what |",
    "| --- | --- | --- |",
    ...Object.entries(props).map(
      ([k, s]) => `| \`${k}\` | ${String(s.default)} | ${cell(s.description ?? "")} |`,
    ),
  ];
}

const METHOD = `# \`gantry cost\`

\`gantry cost [PATH] [--env NAME] [--target azure|aws|digitalocean|kubernetes] [--format text|json|markdown] [--fail-over-budget]\`
estimates what each environment will cost a month on each cloud target before anything is deployed, item by
item, and compares it with the environment's \`budget.monthly_usd\`. Without \`--target\` it prices the targets the
spec configures (\`targets.<name>\`; all four when it configures none). Over budget is a warning on stderr (exit 0);
with \`--fail-over-budget\` an estimate over budget at minimum scale exits 1. \`gantry check\` holds the same estimate to
the budget: \`cost/over-budget\` (error) and \`cost/over-budget-at-max\` (warning), see [checks.md](checks.md).

JSON is one object per environment and target (an array when there are several):
\`{"environment", "target", "total_monthly_usd", "max_scale_monthly_usd", "budget_monthly_usd", "items": [{"resource",
"sku", "quantity", "unit_usd", "unit", "monthly_usd"}]}\`. \`quantity\` is what is billed at minimum scale: instance-hours
for an hourly price, instance-months for a monthly one, GB or millions of requests for usage.

## The cost difference of a pull request

\`gantry cost --compare FILE\` prints the difference from earlier estimates, where \`FILE\` is the output of
\`gantry cost --format json\` (an empty file is no estimates): per environment and target the total before and after, the
change at minimum and at maximum scale, the budget, and each line that changed (a resource added, removed, resized or
repriced), in text, Markdown or JSON (\`[{"environment", "target", "before", "after", "delta_usd", "max_scale_delta_usd",
"items": [{"resource", "before", "after", "delta_usd"}]}]\`). The generated \`pr-checks.yml\` has a \`cost\` job on every
platform \`gantry cost\` prices: it checks out the base branch beside the change, estimates both with the same Gantry
(so the difference comes from the spec, not from a price update), and posts the Markdown as one pull request comment that
every push updates (found by its hidden \`gantry-cost\` marker), and in the job summary. A base branch whose spec is
missing or refused is priced as nothing, so every estimate shows as new. Pull requests from forks get the summary only
(their token cannot comment).

## Method

Each target's estimator (\`src/cost/<target>.ts\`) lists what the target generates for the environment, using the
target's own decisions, so the estimate prices what \`gantry synth\` writes (a test compares the SKUs with the committed
example files):

- **Resources that run** (App Service plans, Fargate tasks, RDS and Flexible Servers, caches, cluster nodes, load
  balancers, NAT gateways) are priced for \`hours_per_month\` hours, at the minimum and at the maximum of their
  autoscaling range (\`scale.min\`/\`scale.max\`; the node pool's \`nodes.min\`/\`nodes.max\`). An HA standby or a Multi-AZ
  replica counts as a second instance, with its storage.
- **Monthly and daily fees** (Static Web Apps, registries, DNS zones, secrets, keys, alarms, health checks, the DOKS
  HA control plane) are priced as listed.
- **Usage** (log ingestion, internet egress, requests, stored objects and images, availability-test runs) comes from
  the assumptions below, less what the provider gives free each month. Availability tests are priced from the
  spec's interval and locations.
- **Kubernetes** is priced by \`targets.kubernetes.provider\`: DOKS nodes are Droplets (\`targets.digitalocean.node_size\`
  and \`nodes\` when set), AKS nodes the Azure target's own node pool, EKS nodes m6i.large; the node count comes from
  the pods' CPU requests (in-cluster data stores included), at least three in production. A generic cluster is not
  priced; the estimate says how many cores the pods request.
- Scheduled jobs on AWS are priced as one run a day lasting their whole timeout (an upper bound); on App Service they
  are not generated and cost nothing.
- Left out: Key Vault and KMS operations, e-mail sends, DNS queries, CloudFront and Spaces beyond their free tiers at
  the default usage, taxes, support plans, reservations and savings plans (the prices are pay-as-you-go).

The region's prices are used where the table has them; any other region is priced at the table's region and the
estimate says so in a note (see each table's fallback below).

## Assumptions

Override them in the spec, for all environments or per environment:

\`\`\`yaml
cost:
  assumptions: { egress_gb: 50, log_gb: 10 }
environments:
  production:
    cost: { assumptions: { egress_gb: 500, log_gb: 60, requests_millions: 30 } }
\`\`\`
`;

const REFRESH = `## Refreshing the prices

The tables are TypeScript (\`src/cost/prices/<cloud>.ts\`), each price with the page it belongs to, where its figure
was read (\`confirmed\`) and the table's read date. To refresh them:

1. **Azure**: query the public Retail Prices API for each key, East US, pay-as-you-go, for example
   \`curl "https://prices.azure.com/api/retail/prices?\\$filter=armRegionName eq 'eastus' and armSkuName eq 'Standard_B1ms' and priceType eq 'Consumption'"\`
   (App Service: \`serviceName eq 'Azure App Service' and skuName eq 'P0v3'\` and a Linux \`productName\`; Redis:
   \`serviceName eq 'Redis Cache'\`, where an entry such as \`C1 Cache\` already prices the whole cache, both nodes of a Standard or Premium one, so do not double it). Use \`retailPrice\` per \`unitOfMeasure\`.
2. **AWS**: \`aws pricing get-products --region us-east-1 --service-code AmazonRDS --filters Type=TERM_MATCH,Field=instanceType,Value=db.m6g.large Type=TERM_MATCH,Field=regionCode,Value=us-east-1 Type=TERM_MATCH,Field=databaseEngine,Value=PostgreSQL Type=TERM_MATCH,Field=deploymentOption,Value=Single-AZ\`
   (service codes AmazonECS for Fargate, AmazonElastiCache, AmazonEC2 for NAT gateways and public IPv4,
   AWSELB, AmazonCloudWatch, AmazonRoute53, AmazonMSK, AmazonS3, AWSSecretsManager, awskms, AmazonECR); use the
   OnDemand \`pricePerUnit.USD\`.
3. **DigitalOcean**: \`doctl compute size list\` (Droplet slugs with their monthly price) and the pricing pages linked
   below for load balancers, managed databases, Kafka, the registry, Spaces, volumes and uptime checks.
4. Set each \`usd\`, the \`confirmed\` address of where you read it, and the table's \`read\` date; run
   \`node --import tsx --test test/cost.test.ts\` (every SKU a target can emit must still have a price) and
   \`npm run gen\` to regenerate this page.
`;

const usd = (n: number) => `$${n.toFixed(2)}`;
const listed = (e: Estimate, except: string[] = []) =>
  e.items
    .filter((i) => monthlyOf(i) > 0 && !except.includes(i.resource))
    .map((i) => `${i.resource} (${i.sku}) ${usd(monthlyOf(i))}`)
    .join(", ");
const sumOf = (e: Estimate, resources: string[]) =>
  Math.round(
    e.items.filter((i) => resources.includes(i.resource)).reduce((n, i) => n + monthlyOf(i), 0) * 100,
  ) / 100;
const within = (n: number, ref: number) => `${Math.round((Math.abs(n - ref) / ref) * 1000) / 10} %`;

/** The examples' estimates beside the reference teams' figures (reference 000 T035 and T162, 001 T048). */
export interface Calibration {
  augeoDev: Estimate;
  augeoProduction: Estimate;
  todoStaging: Estimate;
}

function calibration(c: Calibration): string[] {
  const compute = ["api App Service plan", "db PostgreSQL server", "cache Azure Cache for Redis"];
  const core = sumOf(c.augeoDev, compute);
  const cluster = sumOf(c.todoStaging, ["cluster nodes", "ingress load balancer"]);
  return [
    "## Calibration against the reference systems",
    "",
    "The reference teams estimated by hand and did not write their items down, so the examples are compared item by item.",
    "",
    `- **Augeo dev on Azure, reference $42 a month.** The App Service plan, the PostgreSQL server and the Redis cache come to **${usd(core)}**, ${within(core, 42)} from $42: most likely what the reference counted. The generated environment is **${usd(c.augeoDev.total_monthly_usd)}** in all (${within(c.augeoDev.total_monthly_usd, 42)} over), because it also has: ${listed(c.augeoDev, compute)}.`,
    `- **Augeo production on Azure, reference $289 a month.** The example's production is larger on purpose (zone-redundant instances, an HA standby, geo-redundant backups, a replicated cache): **${usd(c.augeoProduction.total_monthly_usd)}** at minimum scale and ${usd(c.augeoProduction.max_scale_monthly_usd)} at maximum: ${listed(c.augeoProduction)}.`,
    `- **Todo on DigitalOcean, reference $88.50 a month for its cluster.** Nodes and the ingress load balancer come to **${usd(cluster)}** (${within(cluster, 88.5)} under); with the volumes of the in-cluster data stores the staging cluster is **${usd(c.todoStaging.total_monthly_usd)}** (${within(c.todoStaging.total_monthly_usd, 88.5)} under): ${listed(c.todoStaging)}. The reference ran one cluster for both environments; Gantry generates one per environment, and production adds the HA control plane, managed PostgreSQL and managed Kafka (\`gantry cost examples/todo --target digitalocean\`).`,
    "",
  ];
}

export function costDocs(c: Calibration): string {
  const lines = [
    "<!-- Generated by `npm run gen` from src/cost/prices and src/spec/schema-cost.ts. Do not edit by hand; a test fails when it drifts. -->",
    METHOD,
    ...assumptions(),
    "",
    REFRESH,
    "## Prices",
    "",
    ...[AZURE_PRICES, AWS_PRICES, DO_PRICES].flatMap(table),
    ...calibration(c),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}
