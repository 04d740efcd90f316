/**
 * Prometheus text exposition (version 0.0.4) of the exporter's series (split out of exporter.ts):
 * one counter and one histogram family, series sorted by their label text.
 */
import { METRIC_REQUESTS } from '../../constructs/conventions.js';
import { ISTIO_DURATION_BUCKETS } from './sampling.js';

export const METRIC_DURATION = 'istio_request_duration_milliseconds';

/** One series of both families: its labels, request count and cumulative bucket counts. */
export interface ExposedSeries {
  readonly labels: readonly (readonly [string, string])[];
  readonly requests: number;
  readonly buckets: readonly number[];
  readonly sumMs: number;
}

export function renderExposition(series: readonly ExposedSeries[]): string {
  const sorted = [...series].sort((a, b) => compare(labelText(a.labels), labelText(b.labels)));
  const out: string[] = [`# HELP ${METRIC_REQUESTS} Total requests.`, `# TYPE ${METRIC_REQUESTS} counter`];
  for (const s of sorted) out.push(`${METRIC_REQUESTS}{${labelText(s.labels)}} ${s.requests}`);
  out.push(`# HELP ${METRIC_DURATION} Request duration in milliseconds.`, `# TYPE ${METRIC_DURATION} histogram`);
  for (const s of sorted) {
    const labels = labelText(s.labels);
    ISTIO_DURATION_BUCKETS.forEach((le, i) => {
      out.push(`${METRIC_DURATION}_bucket{${labels},le="${le}"} ${s.buckets[i]}`);
    });
    out.push(`${METRIC_DURATION}_bucket{${labels},le="+Inf"} ${s.requests}`);
    out.push(`${METRIC_DURATION}_sum{${labels}} ${formatFloat(s.sumMs)}`);
    out.push(`${METRIC_DURATION}_count{${labels}} ${s.requests}`);
  }
  return `${out.join('\n')}\n`;
}

function labelText(labels: readonly (readonly [string, string])[]): string {
  return labels
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

function formatFloat(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
