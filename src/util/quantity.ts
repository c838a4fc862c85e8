// Kubernetes quantities: the spec's cpu ("500m", "1.5") and memory ("512Mi", "1G"), and what a cluster
// prints for a ResourceQuota. The one parser of them, for the targets that size from the spec and the
// engine that compares a namespace's quota with the spec's. The form is the API's Quantity
// (kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/): a number, then a binary
// suffix (Ki..Ei), a decimal one (m, k, M..E) or an exponent (1e3).
const SUFFIX: Readonly<Record<string, number>> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  // Not the API's (it writes k), but what people and the spec's memory form write for 1000.
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const FORM = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|([a-zA-Z]*))$/;

/** The number a quantity stands for ("500m" 0.5, "2Gi" 2147483648); undefined when it is not one. */
export function quantity(q: string | number): number | undefined {
  if (typeof q === "number") return q;
  const m = FORM.exec(q.trim());
  if (!m) return undefined;
  if (m[2] !== undefined) return Number(m[1]) * 10 ** Number(m[2]);
  const factor = SUFFIX[m[3] ?? ""];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/** CPU in millicores ("250m" 250, "1.5" 1500); undefined when it is not a quantity. */
export function millicores(cpu: string | number): number | undefined {
  const n = quantity(cpu);
  return n === undefined ? undefined : Math.round(n * 1000);
}

/** Memory in MiB, rounded up ("512Mi" 512, "1Gi" 1024, "1G" 954); undefined when it is not a quantity. */
export function mebibytes(memory: string): number | undefined {
  const n = quantity(memory);
  return n === undefined ? undefined : Math.ceil(n / 2 ** 20);
}
