/**
 * OpenMetrics history shaped like Istio's standard metrics (destination reporter), for
 * backfilling a real Prometheus in tests: per version, request counters split by response code
 * and a duration histogram with Istio's buckets.
 */
export interface VersionTraffic {
  readonly version: string;
  /** Requests per second at time t (seconds since start). */
  readonly rps: (t: number) => number;
  /** 5xx share at time t. */
  readonly errorRatio: (t: number) => number;
  /** Share of requests at or under each bucket bound (cumulative), at time t. */
  readonly latency?: (t: number) => Readonly<Record<string, number>>;
}

const BUCKETS = ['1', '5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '+Inf'];

/** Typical healthy latency: p50 ≈ 20 ms, p99 ≈ 90 ms. */
export const HEALTHY_LATENCY: Record<string, number> = {
  '1': 0,
  '5': 0.05,
  '10': 0.2,
  '25': 0.6,
  '50': 0.9,
  '100': 0.992,
  '250': 0.999,
  '500': 1,
  '1000': 1,
  '2500': 1,
  '5000': 1,
  '10000': 1,
  '+Inf': 1,
};
/** Slow: p99 ≈ 900 ms. */
export const SLOW_LATENCY: Record<string, number> = {
  '1': 0,
  '5': 0.02,
  '10': 0.1,
  '25': 0.3,
  '50': 0.5,
  '100': 0.7,
  '250': 0.85,
  '500': 0.95,
  '1000': 0.992,
  '2500': 1,
  '5000': 1,
  '10000': 1,
  '+Inf': 1,
};

export function istioHistory(opts: {
  readonly namespace: string;
  readonly service: string;
  readonly versions: readonly VersionTraffic[];
  /** Unix seconds of the first sample. */
  readonly start: number;
  readonly durationSeconds: number;
  readonly stepSeconds: number;
}): string {
  const requests: string[] = [];
  const buckets: string[] = [];
  for (const v of opts.versions) {
    const labels = `reporter="destination",destination_service_name="${opts.service}",destination_service_namespace="${opts.namespace}",destination_version="${v.version}",destination_workload="${opts.service}-${v.version}",response_flags="-"`;
    let ok = 0;
    let failed = 0;
    const cumulative = Object.fromEntries(BUCKETS.map((b) => [b, 0]));
    let count = 0;
    for (let t = 0; t <= opts.durationSeconds; t += opts.stepSeconds) {
      const n = Math.round(v.rps(t) * opts.stepSeconds);
      const e = Math.round(n * v.errorRatio(t));
      ok += n - e;
      failed += e;
      count += n;
      const shares = (v.latency ?? (() => HEALTHY_LATENCY))(t);
      for (const b of BUCKETS) cumulative[b]! += Math.round(n * (shares[b] ?? 1));
      const ts = opts.start + t;
      requests.push(`istio_requests_total{${labels},response_code="200"} ${ok} ${ts}`);
      requests.push(`istio_requests_total{${labels},response_code="503"} ${failed} ${ts}`);
      for (const b of BUCKETS)
        buckets.push(`istio_request_duration_milliseconds_bucket{${labels},le="${b}"} ${cumulative[b]} ${ts}`);
      buckets.push(`istio_request_duration_milliseconds_count{${labels}} ${count} ${ts}`);
    }
  }
  // OpenMetrics wants each family's samples together, and each series' samples in time order.
  const bySeries = (lines: string[]) =>
    lines.sort((a, b) => {
      const ka = a.slice(0, a.lastIndexOf('}'));
      const kb = b.slice(0, b.lastIndexOf('}'));
      return ka < kb ? -1 : ka > kb ? 1 : Number(a.split(' ').pop()) - Number(b.split(' ').pop());
    });
  return [
    '# TYPE istio_requests counter',
    ...bySeries(requests),
    '# TYPE istio_request_duration_milliseconds histogram',
    ...bySeries(buckets),
    '# EOF',
    '',
  ].join('\n');
}
