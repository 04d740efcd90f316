/**
 * A synthetic Istio metrics exporter for the demo: a real HTTP endpoint serving series shaped
 * like Istio's standard metrics (`istio_requests_total`, `istio_request_duration_milliseconds`),
 * so the real Prometheus, the generated recording rules and `gate` run unchanged against it.
 *
 * The label shapes are Istio's (the same as test/promtool/istio-shapes.ts, which cites the
 * source of each): a series exists from its first request (no zero sample before it);
 * reporter "destination" fills destination_version from the pod label `version` only (empty,
 * so absent, without it); reporter "source" from the peer's `version` (Istio 1.22–1.28), and a
 * request no pod answered (UO from the client's own circuit breaker) carries
 * destination_version "unknown" and destination_canonical_revision "latest"; the canonical
 * revision follows app.kubernetes.io/version, else version.
 *
 * Counters advance with simulated time: every scrape draws the requests of the elapsed interval
 * (Poisson arrivals, binomial errors, log-normal latencies fitted to p50/p99) from a seeded PRNG,
 * so a run is reproducible and a fake clock can fast-forward hours of bake in seconds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { binomial, poisson, seededRandom } from '../random.js';
import { delayed, LOCAL_REPLY_LATENCY, type RouteFault, splitByFault } from './route-fault.js';
import { renderExposition } from './exposition.js';
import { drawLatencies, ISTIO_DURATION_BUCKETS, type LatencyProfile } from './sampling.js';

export { ISTIO_DURATION_BUCKETS, type LatencyProfile } from './sampling.js';
export { canaryWeightFromManifest, type ManifestObject, routingFromManifest } from './manifest.js';
export type { RouteFault } from './route-fault.js';

export { METRIC_DURATION } from './exposition.js';

export interface ServiceTraffic {
  readonly namespace: string;
  /** Kubernetes Service name (`destination_service_name`). */
  readonly service: string;
  /** Version label values of the pods (`destination_version` and `destination_canonical_revision`). */
  readonly stable: string;
  readonly canary: string;
  /** Pod label carrying the version: `version`, or `app.kubernetes.io/version` only. @default "version" */
  readonly podVersionLabel?: 'version' | 'app.kubernetes.io/version';
  /** Workload (Deployment) names. @default `${service}-${version}` */
  readonly workloads?: { readonly stable: string; readonly canary: string };
  /** Caller seen in `source_workload`. @default "istio-ingressgateway" */
  readonly sourceWorkload?: string;
  /** `request_protocol`. @default "http" */
  readonly protocol?: 'http' | 'grpc';
  /** Requests per second outside the cohort, split by `canaryWeight`. */
  readonly requestsPerSecond: number;
  /** Canary percent of the default route (0–100); read on every update, so promotion shifts traffic live. */
  readonly canaryWeight: () => number;
  /**
   * Percent of stable-bound requests copied to canary (a shadow stage's mirrorPercentage). The
   * copies are counted by canary's sidecar only: Envoy sends them through its async client,
   * outside the client proxy's stats filter (constructs/istio/shadow.ts). @default () => 0
   */
  readonly mirrorPercent?: () => number;
  /** Requests per second carrying the cohort header. @default 0 */
  readonly cohortRequestsPerSecond?: number;
  /** Whether the cohort route (100 % canary) exists; otherwise cohort requests follow the weights. @default () => true */
  readonly cohortRoute?: () => boolean;
  /** A drill's Istio fault on the cohort route (route-fault.ts says how it shows). @default () => undefined */
  readonly cohortFault?: () => RouteFault | undefined;
  /** Share of requests answered 500 by the workload. */
  readonly errorRatio: { readonly stable: number; readonly canary: number };
  /**
   * Share rejected by the client proxy's circuit breaker (503, flag UO, source reporter only,
   * with destination_version "unknown": no pod answered). @default 0
   */
  readonly overflowRatio?: { readonly stable: number; readonly canary: number };
  readonly latencyMs: { readonly stable: LatencyProfile; readonly canary: LatencyProfile };
}

/** What `set()` may change at runtime; `canaryErrorRatio: 0.2` is the demo's injected regression. */
export interface TrafficChange {
  readonly requestsPerSecond?: number;
  readonly cohortRequestsPerSecond?: number;
  readonly stableErrorRatio?: number;
  readonly canaryErrorRatio?: number;
  readonly stableOverflowRatio?: number;
  readonly canaryOverflowRatio?: number;
  readonly stableLatencyMs?: LatencyProfile;
  readonly canaryLatencyMs?: LatencyProfile;
}

export interface SimulationOptions {
  /** Clock in ms. @default Date.now */
  readonly now?: () => number;
  /** PRNG seed; same seed + same clock readings → same series. @default 1 */
  readonly seed?: number;
  readonly services: readonly ServiceTraffic[];
}

export interface Simulation {
  /** Draws the requests of the time elapsed since the last update. */
  update(): void;
  /** Prometheus text exposition (version 0.0.4) of every series, updated to now. */
  render(): string;
  /** Changes a service's behaviour from now on; `service` is "name" or "namespace/name". */
  set(service: string, change: TrafficChange): void;
}

export interface Exporter extends Simulation {
  /** e.g. "http://127.0.0.1:41234" — scrape `${url}/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type Version = 'stable' | 'canary';
const VERSIONS: readonly Version[] = ['stable', 'canary'];

interface Mutable {
  requestsPerSecond: number;
  cohortRequestsPerSecond: number;
  errorRatio: Record<Version, number>;
  overflowRatio: Record<Version, number>;
  latencyMs: Record<Version, LatencyProfile>;
}

interface Series {
  readonly labels: readonly (readonly [string, string])[];
  requests: number;
  buckets: number[];
  sumMs: number;
}

/** The traffic model without the HTTP server (what the tests drive directly). */
export function createSimulation(options: SimulationOptions): Simulation {
  const now = options.now ?? Date.now;
  const random = seededRandom(options.seed ?? 1);
  const services = options.services.map((spec) => {
    const at = `${spec.namespace}/${spec.service}`;
    const overflowRatio = spec.overflowRatio ?? { stable: 0, canary: 0 };
    const state: Mutable = {
      requestsPerSecond: nonNegative(`${at} requestsPerSecond`, spec.requestsPerSecond),
      cohortRequestsPerSecond: nonNegative(`${at} cohortRequestsPerSecond`, spec.cohortRequestsPerSecond ?? 0),
      errorRatio: {
        stable: ratio(`${at} errorRatio.stable`, spec.errorRatio.stable),
        canary: ratio(`${at} errorRatio.canary`, spec.errorRatio.canary),
      },
      overflowRatio: {
        stable: ratio(`${at} overflowRatio.stable`, overflowRatio.stable),
        canary: ratio(`${at} overflowRatio.canary`, overflowRatio.canary),
      },
      latencyMs: {
        stable: checkProfile(`${at} stable`, spec.latencyMs.stable),
        canary: checkProfile(`${at} canary`, spec.latencyMs.canary),
      },
    };
    return { spec, state, series: new Map<string, Series>() };
  });
  let last = now();

  const seriesFor = (
    svc: (typeof services)[number],
    version: Version,
    reporter: string,
    code: number,
    flags: string,
    answered = true,
  ): Series => {
    const key = `${version}|${reporter}|${code}|${flags}|${answered}`;
    let s = svc.series.get(key);
    if (!s) {
      const { spec } = svc;
      const value = spec[version];
      const workload = spec.workloads?.[version] ?? `${spec.service}-${value}`;
      // The pod's `version` label, as the server reads it locally and the client (1.22–1.28) from the peer.
      const podVersion = (spec.podVersionLabel ?? 'version') === 'version' ? value : '';
      const destinationVersion = !answered ? 'unknown' : reporter === 'source' ? podVersion || 'unknown' : podVersion;
      const labels: [string, string][] = [
        ['reporter', reporter],
        ['source_workload', spec.sourceWorkload ?? 'istio-ingressgateway'],
        ['destination_service', `${spec.service}.${spec.namespace}.svc.cluster.local`],
        ['destination_service_name', spec.service],
        ['destination_service_namespace', spec.namespace],
        ['destination_workload', answered ? workload : 'unknown'],
        ['destination_version', destinationVersion],
        ['destination_canonical_revision', answered ? value : 'latest'],
        ['request_protocol', spec.protocol ?? 'http'],
        ['response_code', String(code)],
        ['response_flags', flags],
      ];
      s = {
        // Prometheus drops a label whose value is empty.
        labels: labels.filter(([, v]) => v !== ''),
        requests: 0,
        buckets: ISTIO_DURATION_BUCKETS.map(() => 0),
        sumMs: 0,
      };
      svc.series.set(key, s);
    }
    return s;
  };

  // No series before its first request: Istio creates a series when it first counts one.

  const record = (
    svc: (typeof services)[number],
    version: Version,
    count: number,
    code: number,
    flags: string,
    latency: LatencyProfile,
    reporters: readonly string[],
    answered = true,
  ): void => {
    if (count === 0) return;
    const { perBucket, sumMs } = drawLatencies(random, count, latency);
    for (const reporter of reporters) {
      const s = seriesFor(svc, version, reporter, code, flags, answered);
      s.requests += count;
      s.sumMs += sumMs;
      let cumulative = 0;
      for (let i = 0; i < s.buckets.length; i++) {
        cumulative += perBucket[i]!;
        s.buckets[i]! += cumulative;
      }
    }
  };

  const update = (): void => {
    const t = now();
    const seconds = Math.max(0, (t - last) / 1000);
    last = Math.max(last, t);
    if (seconds === 0) return;
    for (const svc of services) {
      const { spec, state } = svc;
      const weight = clampWeight(spec.canaryWeight());
      const arrivals = poisson(random, state.requestsPerSecond * seconds);
      const toCanary = binomial(random, arrivals, weight / 100);
      const cohort = poisson(random, state.cohortRequestsPerSecond * seconds);
      const onCohortRoute = (spec.cohortRoute ?? (() => true))();
      const cohortToCanary = onCohortRoute ? cohort : binomial(random, cohort, weight / 100);
      // A drill's fault acts on the cohort route only, in the client's proxy (route-fault.ts).
      const faultSpec = onCohortRoute ? spec.cohortFault?.() : undefined;
      const fault = splitByFault(random, cohortToCanary, faultSpec);
      const counts: Record<Version, number> = {
        stable: arrivals - toCanary + cohort - cohortToCanary,
        canary: toCanary + fault.passed,
      };
      if (faultSpec?.abort) {
        const { httpStatus } = faultSpec.abort;
        record(svc, 'canary', fault.aborted, httpStatus, 'FI', LOCAL_REPLY_LATENCY, ['source'], false);
        const late = delayed(LOCAL_REPLY_LATENCY, faultSpec.delay?.fixedDelayMs ?? 0);
        record(svc, 'canary', fault.delayedAborted, httpStatus, 'DI,FI', late, ['source'], false);
      }
      if (faultSpec?.delay && fault.delayed > 0) {
        // Served by canary as usual; only the client's proxy measured the delay.
        const errors = binomial(random, fault.delayed, state.errorRatio.canary);
        const latency = state.latencyMs.canary;
        const late = delayed(latency, faultSpec.delay.fixedDelayMs);
        record(svc, 'canary', fault.delayed - errors, 200, '-', latency, ['destination']);
        record(svc, 'canary', errors, 500, '-', latency, ['destination']);
        record(svc, 'canary', fault.delayed - errors, 200, 'DI', late, ['source']);
        record(svc, 'canary', errors, 500, 'DI', late, ['source']);
      }
      // Shadow stage: copies of stable's requests, answered by canary and dropped by Envoy.
      const copies = binomial(random, counts.stable, clampWeight(spec.mirrorPercent?.() ?? 0) / 100);
      if (copies > 0) {
        const copyErrors = binomial(random, copies, state.errorRatio.canary);
        record(svc, 'canary', copies - copyErrors, 200, '-', state.latencyMs.canary, ['destination']);
        record(svc, 'canary', copyErrors, 500, '-', state.latencyMs.canary, ['destination']);
      }
      for (const version of VERSIONS) {
        const overflow = binomial(random, counts[version], state.overflowRatio[version]);
        const served = counts[version] - overflow;
        const errors = binomial(random, served, state.errorRatio[version]);
        const latency = state.latencyMs[version];
        record(svc, version, served - errors, 200, '-', latency, ['destination', 'source']);
        record(svc, version, errors, 500, '-', latency, ['destination', 'source']);
        // Overflow is decided in the client's proxy: the server never sees it, it is fast, and no
        // pod answered, so it carries no version (istio_stats.cc: "unknown" / "latest").
        record(svc, version, overflow, 503, 'UO', { p50: 0.2, p99: 1 }, ['source'], false);
      }
    }
  };

  const find = (name: string) => {
    const hits = services.filter((s) => s.spec.service === name || `${s.spec.namespace}/${s.spec.service}` === name);
    if (hits.length !== 1) {
      const known = services.map((s) => `${s.spec.namespace}/${s.spec.service}`).join(', ');
      throw new Error(
        `exporter: ${hits.length === 0 ? 'no' : 'more than one'} service "${name}" (known: ${known}); use "namespace/name"`,
      );
    }
    return hits[0]!;
  };

  return {
    update,
    render() {
      update();
      return renderExposition(services.flatMap((s) => [...s.series.values()]));
    },
    set(name, change) {
      const svc = find(name);
      // Traffic until now was produced under the old behaviour.
      update();
      const s = svc.state;
      if (change.requestsPerSecond !== undefined)
        s.requestsPerSecond = nonNegative('requestsPerSecond', change.requestsPerSecond);
      if (change.cohortRequestsPerSecond !== undefined)
        s.cohortRequestsPerSecond = nonNegative('cohortRequestsPerSecond', change.cohortRequestsPerSecond);
      if (change.stableErrorRatio !== undefined)
        s.errorRatio.stable = ratio('stableErrorRatio', change.stableErrorRatio);
      if (change.canaryErrorRatio !== undefined)
        s.errorRatio.canary = ratio('canaryErrorRatio', change.canaryErrorRatio);
      if (change.stableOverflowRatio !== undefined)
        s.overflowRatio.stable = ratio('stableOverflowRatio', change.stableOverflowRatio);
      if (change.canaryOverflowRatio !== undefined)
        s.overflowRatio.canary = ratio('canaryOverflowRatio', change.canaryOverflowRatio);
      if (change.stableLatencyMs) s.latencyMs.stable = checkProfile('stableLatencyMs', change.stableLatencyMs);
      if (change.canaryLatencyMs) s.latencyMs.canary = checkProfile('canaryLatencyMs', change.canaryLatencyMs);
    },
  };
}

/** Starts the exporter on 127.0.0.1 (`port` 0 = a free one). */
export async function startExporter(options: SimulationOptions & { readonly port?: number }): Promise<Exporter> {
  const sim = createSimulation(options);
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      let body: string;
      try {
        body = sim.render();
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`exporter failed: ${(err as Error).message}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`exporter could not listen on 127.0.0.1:${options.port ?? 0}`, { cause: err })),
    );
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    ...sim,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

// ---- checks ----------------------------------------------------------------------------------

function clampWeight(weight: number): number {
  if (!Number.isFinite(weight))
    throw new Error(`exporter: canaryWeight() returned ${weight}; it must be a number 0–100`);
  return Math.min(100, Math.max(0, weight));
}

function ratio(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new Error(`exporter: ${name} must be between 0 and 1 (got ${value})`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value))
    throw new Error(`exporter: ${name} must be a finite number ≥ 0 (got ${value})`);
  return value;
}

function checkProfile(name: string, p: LatencyProfile): LatencyProfile {
  if (!(p.p50 > 0 && p.p99 >= p.p50))
    throw new Error(`exporter: ${name} latency needs 0 < p50 ≤ p99 (got p50 ${p.p50}, p99 ${p.p99})`);
  return p;
}
