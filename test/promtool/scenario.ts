/**
 * Synthetic Istio metrics for promtool unit tests, shaped like what Prometheus scrapes from
 * sidecars: `istio_requests_total` counters and `istio_request_duration_milliseconds_bucket`
 * histograms per pod, with the labels Istio's standard metrics carry, a source-reporter copy
 * of every request counter (which the rules must not double count) and a neighbour service
 * failing completely (which they must not see). Traffic is random but seeded: requests are
 * Poisson per scrape interval, errors binomial, latencies log-normal.
 */
import type { RolloutModel } from '../../constructs/model.js';
import type { InputSeries } from '../../tools/promtool.js';
import { binomial, normalCdf, poisson, seededRandom } from '../../tools/random.js';

/** What one version does at second `t` of the scenario. */
export interface VersionBehaviour {
  /** Requests per second reaching this version (all pods together). */
  readonly rps: (t: number) => number;
  /** Share of responses that are 5xx. */
  readonly errorRatio: (t: number) => number;
  /** Median latency in ms (log-normal, σ = 0.5 → p99 ≈ 3.2 × median). */
  readonly medianMs: (t: number) => number;
  /** Share of requests Envoy rejects with 503 UO. @default 0 */
  readonly overflowRatio?: (t: number) => number;
  /**
   * A gRPC service: every response carries `grpc_response_status` ("0" when ok) and failures
   * are answered HTTP 200 with this status instead of a 5xx, as Istio reports gRPC calls.
   */
  readonly grpcFailureStatus?: string;
}

export interface Scenario {
  readonly model: RolloutModel;
  readonly durationS: number;
  /** Scrape interval in seconds. */
  readonly stepS: number;
  readonly seed: number;
  readonly pods: number;
  readonly stable: VersionBehaviour;
  readonly canary: VersionBehaviour;
}

/** Istio's default duration buckets up to 10 s (the rest only ever add to +Inf). */
export const BUCKETS_MS: readonly number[] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const SIGMA = 0.5;

/** Seeded, so every scenario can be replayed from its seed. */
export const rng = seededRandom;

/** Share of log-normal(median, σ) latencies at or below `le` ms. */
export function latencyShareBelow(le: number, medianMs: number): number {
  return normalCdf(Math.log(le / medianMs) / SIGMA);
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
}

class Counter {
  private total = 0;
  readonly values: number[] = [];
  add(n: number): void {
    this.total += n;
  }
  sample(): void {
    this.values.push(this.total);
  }
  /**
   * promtool values: Istio's proxy creates a series at its first request, so there is no sample
   * (`_`) before it, and no zero sample either (istio-shapes.ts `counter`).
   */
  text(first = this.firstRequest()): string {
    return this.values.map((v, i) => (first < 0 || i < first ? '_' : String(v))).join(' ');
  }
  firstRequest(): number {
    return this.values.findIndex((v) => v > 0);
  }
}

/** promtool `input_series` for `s`; a version with rps 0 throughout has no series at all (as in Istio). */
export function scenarioSeries(s: Scenario): InputSeries[] {
  const random = rng(s.seed);
  const steps = Math.floor(s.durationS / s.stepS);
  const m = s.model;
  const out: InputSeries[] = [];
  for (const role of ['stable', 'canary'] as const) {
    const behaviour = s[role];
    const version = role === 'stable' ? m.stable : m.canary;
    const silent = Array.from({ length: steps + 1 }, (_, i) => behaviour.rps(i * s.stepS)).every((r) => r === 0);
    if (silent) continue;
    for (let pod = 0; pod < s.pods; pod += 1) {
      const ok = new Counter();
      const failed = new Counter();
      const overflow = new Counter();
      const buckets = BUCKETS_MS.map(() => new Counter());
      const inf = new Counter();
      for (let i = 0; i <= steps; i += 1) {
        const t = i * s.stepS;
        if (i > 0) {
          const n = poisson(random, (behaviour.rps(t) * s.stepS) / s.pods);
          const uo = binomial(random, n, behaviour.overflowRatio?.(t) ?? 0);
          const errors = binomial(random, n - uo, behaviour.errorRatio(t));
          ok.add(n - uo - errors);
          failed.add(errors);
          overflow.add(uo);
          const served = n - uo;
          BUCKETS_MS.forEach((le, b) => {
            buckets[b]!.add(Math.round(served * latencyShareBelow(le, behaviour.medianMs(t))));
          });
          inf.add(served);
        }
        for (const c of [ok, failed, overflow, inf, ...buckets]) c.sample();
      }
      const base = {
        destination_service: `${m.service.host}.${m.namespace}.svc.cluster.local`,
        destination_service_name: m.service.host,
        destination_service_namespace: m.namespace,
        destination_workload: `${m.service.host}-${version}`,
        [m.metrics.versionLabel]: version,
        destination_canonical_service: m.service.host,
        request_protocol: 'http',
        source_workload: 'frontend',
        connection_security_policy: 'mutual_tls',
        namespace: m.namespace,
        pod: `${m.service.host}-${version}-${pod}`,
      };
      const grpc = behaviour.grpcFailureStatus;
      const status = (s: string): Record<string, string> => (grpc === undefined ? {} : { grpc_response_status: s });
      const requestSeries = [
        { code: '200', flags: '-', counter: ok, extra: status('0') },
        grpc === undefined
          ? { code: '503', flags: '-', counter: failed, extra: {} }
          : { code: '200', flags: '-', counter: failed, extra: status(grpc) },
        { code: '503', flags: 'UO', counter: overflow, extra: status('14') },
      ];
      for (const reporter of ['destination', 'source']) {
        for (const r of requestSeries) {
          if (r.counter.values.at(-1) === 0) continue; // Istio creates a series at its first request
          out.push({
            series: `istio_requests_total${labels({ ...base, reporter, response_code: r.code, response_flags: r.flags, ...r.extra })}`,
            values: r.counter.text(),
          });
        }
      }
      const hist = { ...base, reporter: 'destination', response_code: '200', response_flags: '-' };
      BUCKETS_MS.forEach((le, b) => {
        out.push({
          series: `istio_request_duration_milliseconds_bucket${labels({ ...hist, le: String(le) })}`,
          values: buckets[b]!.text(inf.firstRequest()), // every bucket appears with the histogram
        });
      });
      out.push({
        series: `istio_request_duration_milliseconds_bucket${labels({ ...hist, le: '+Inf' })}`,
        values: inf.text(),
      });
    }
  }
  // A neighbour in the same namespace that fails completely: the rules must not see it.
  out.push({
    series: `istio_requests_total${labels({ reporter: 'destination', destination_service_name: 'neighbour', destination_service_namespace: m.namespace, [m.metrics.versionLabel]: m.canary, response_code: '500', response_flags: '-' })}`,
    values: `0+${10 * s.stepS}x${steps}`,
  });
  return out;
}

/** A version behaving the same all the time. */
export function steady(rps: number, errorRatio: number, medianMs = 40): VersionBehaviour {
  return { rps: () => rps, errorRatio: () => errorRatio, medianMs: () => medianMs };
}

/** `before` until second `at`, then `after`. */
export function stepAt<T>(at: number, before: T, after: T): (t: number) => T {
  return (t) => (t < at ? before : after);
}
