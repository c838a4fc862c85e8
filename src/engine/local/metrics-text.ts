// The one printer of Prometheus' text exposition format, version 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats): families with their HELP and TYPE lines,
// label values escaped, histograms as cumulative `_bucket` series with `le`, then `_sum` and `_count`.

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface HistogramSeries {
  labels: Labels;
  /** Upper bounds of the finite buckets, ascending. */
  bounds: readonly number[];
  /** Count per bucket, not cumulative: one per bound, then the +Inf bucket. */
  counts: ArrayLike<number>;
  sum: number;
}

export type MetricFamily =
  | { name: string; help: string; type: "counter" | "gauge"; samples: Sample[] }
  | { name: string; help: string; type: "histogram"; series: HistogramSeries[] };

/** A label value: backslash, double quote and line feed escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelSet(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${labelValue(v)}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/** Numbers as Go's strconv prints them for Prometheus: +Inf, -Inf, NaN, else the shortest form. */
function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function histogramLines(name: string, s: HistogramSeries): string[] {
  const out: string[] = [];
  let cumulative = 0;
  s.bounds.forEach((b, i) => {
    cumulative += s.counts[i]!;
    out.push(`${name}_bucket${labelSet({ ...s.labels, le: num(b) })} ${cumulative}`);
  });
  cumulative += s.counts[s.bounds.length]!;
  out.push(`${name}_bucket${labelSet({ ...s.labels, le: "+Inf" })} ${cumulative}`);
  out.push(`${name}_sum${labelSet(s.labels)} ${num(s.sum)}`);
  out.push(`${name}_count${labelSet(s.labels)} ${cumulative}`);
  return out;
}

export function exposition(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    if (f.type === "histogram") for (const s of f.series) lines.push(...histogramLines(f.name, s));
    else for (const s of f.samples) lines.push(`${f.name}${labelSet(s.labels)} ${num(s.value)}`);
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
