/**
 * Istio-shaped series for the rule-cost benchmark (rule-cost.ts): per rollout 3 stable pods and
 * 1 canary pod, reporter "destination", response codes 200/404/500/503, Istio's default duration
 * buckets, and the full standard label set of istio/proxy's stats filter (label table of
 * source/extensions/filters/http/istio_stats/istio_stats.cc, release-1.30 l.1102–1245; shapes as
 * in test/promtool/istio-shapes.ts `serverReported`), plus the pod's scrape-target labels
 * (namespace, pod, app, version, pod_template_hash), which is what makes 4 pods 4 series.
 *
 * Counters are a closed-form function of time (rate × seconds since ORIGIN), so the backfilled
 * history (promtool, with timestamps) and the live scrape (no timestamps) are one continuous
 * series: no reset at the join, and the same labels byte for byte.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { METRIC_DURATION_BUCKET, METRIC_REQUESTS } from '../../constructs/conventions.js';
import { ISTIO_DURATION_BUCKETS_MS } from '../../constructs/istio/telemetry.js';
import { effectiveRouting, type RolloutModel } from '../../constructs/model.js';
import { istioTarget } from '../../constructs/promql/istio.js';
import { normalCdf } from '../random.js';

const DURATION = 'istio_request_duration_milliseconds';
/** Shares of the response codes (the audit's mix: 1 % 404, 0.05 % 5xx). */
const CODES: readonly (readonly [string, number])[] = [
  ['200', 0.9895],
  ['404', 0.01],
  ['500', 0.00025],
  ['503', 0.00025],
];
/** Log-normal latency (median, p99) per role, ms: stable 40/150, canary 42/155 (audit). */
const LATENCY = { stable: [40, 150], canary: [42, 155] } as const;
export const PODS_PER_ROLLOUT = 4;

export interface PodSeries {
  /** Label text of the pod without `response_code` (and `le`). */
  readonly labels: string;
  /** Requests per second per response code. */
  readonly rps: readonly number[];
  /** Cumulative share of requests at or below each bucket bound (then +Inf = 1). */
  readonly cdf: readonly number[];
  /** Rollout index (for the backfill's per-rollout bucket history). */
  readonly rollout: number;
  /** Canary pod: the Flagger-style queries select these. */
  readonly canary: boolean;
}

/** The pods of `models`, each with its series' labels and rates. */
export function podSeries(models: readonly RolloutModel[]): PodSeries[] {
  const out: PodSeries[] = [];
  models.forEach((model, index) => {
    const t = istioTarget(model);
    const rps = model.traffic.requestsPerSecond ?? 100;
    const weight = effectiveRouting(model).canaryWeight / 100;
    for (let p = 0; p < PODS_PER_ROLLOUT; p++) {
      const canary = p === PODS_PER_ROLLOUT - 1;
      const version = canary ? t.versions.canary : t.versions.stable;
      const podRps = canary ? rps * weight : (rps * (1 - weight)) / (PODS_PER_ROLLOUT - 1);
      const workload = workloadName(t.service, version);
      const pod = `${workload}-5d8f7c9b4-${String(p).padStart(5, 'x')}`;
      const [median, p99] = canary ? LATENCY.canary : LATENCY.stable;
      const sigma = Math.log(p99 / median) / 2.326;
      const labels = [
        `namespace="${t.serviceNamespace}"`,
        `pod="${pod}"`,
        `app="${t.service}"`,
        `version="${version}"`,
        `pod_template_hash="5d8f7c9b4"`,
        'reporter="destination"',
        'source_workload="istio-ingressgateway"',
        'source_workload_namespace="istio-system"',
        'source_principal="spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"',
        'source_app="istio-ingressgateway"',
        'source_version="unknown"',
        'source_canonical_service="istio-ingressgateway"',
        'source_canonical_revision="latest"',
        'source_cluster="Kubernetes"',
        `destination_workload="${workload}"`,
        `destination_workload_namespace="${t.serviceNamespace}"`,
        `destination_principal="spiffe://cluster.local/ns/${t.serviceNamespace}/sa/${t.service}"`,
        `destination_app="${t.service}"`,
        `destination_version="${version}"`,
        `destination_service="${t.service}.${t.serviceNamespace}.svc.cluster.local"`,
        `destination_service_name="${t.service}"`,
        `destination_service_namespace="${t.serviceNamespace}"`,
        `destination_canonical_service="${t.service}"`,
        `destination_canonical_revision="${version}"`,
        'destination_cluster="Kubernetes"',
        'request_protocol="http"',
        'response_flags="-"',
        'grpc_response_status=""',
        'connection_security_policy="mutual_tls"',
      ]
        .filter((l) => !l.endsWith('=""'))
        .join(',');
      const cdf = ISTIO_DURATION_BUCKETS_MS.map((b) => normalCdf(Math.log(b / median) / sigma));
      out.push({ labels, rps: CODES.map(([, share]) => podRps * share), cdf, rollout: index, canary });
    }
  });
  return out;
}

/** Istio's `destination_workload` of a version's Deployment (the Flagger-style queries match it). */
export function workloadName(service: string, version: string): string {
  return `${service}-${version}`;
}

/** Unix seconds all counters count from. */
export const ORIGIN = 1_700_000_000;

function lines(pod: PodSeries, t: number, ts: string, buckets: boolean, extra: boolean, out: string[]): void {
  CODES.forEach(([code], c) => {
    const n = Math.floor(pod.rps[c]! * (t - ORIGIN));
    const l = `${pod.labels},response_code="${code}"`;
    if (!buckets) {
      out.push(`${METRIC_REQUESTS}{${l}} ${n}${ts}`);
      return;
    }
    ISTIO_DURATION_BUCKETS_MS.forEach((b, j) => {
      out.push(`${METRIC_DURATION_BUCKET}{${l},le="${b}"} ${Math.floor(n * pod.cdf[j]!)}${ts}`);
    });
    out.push(`${METRIC_DURATION_BUCKET}{${l},le="+Inf"} ${n}${ts}`);
    if (extra) {
      out.push(`${DURATION}_sum{${l}} ${n * 45}${ts}`, `${DURATION}_count{${l}} ${n}${ts}`);
    }
  });
}

/** The live exposition at unix second `t` (Prometheus text format, no timestamps). */
export function exposition(pods: readonly PodSeries[], t: number): string {
  const out: string[] = [`# TYPE ${METRIC_REQUESTS} counter`];
  for (const pod of pods) lines(pod, t, '', false, false, out);
  out.push(`# TYPE ${DURATION} histogram`);
  for (const pod of pods) lines(pod, t, '', true, true, out);
  return `${out.join('\n')}\n`;
}

export interface HistorySpan {
  /** Unix seconds of the last backfilled scrape. */
  readonly end: number;
  readonly scrapeSeconds: number;
  /** How far back the request counters go. */
  readonly requestSeconds: number;
  /** How far back each rollout's buckets go (its longest bucket window plus a margin). */
  readonly bucketSeconds: (rollout: number) => number;
}

/**
 * Writes the history of what the rules read as OpenMetrics for promtool (each family together,
 * each series in time order), streamed so memory stays flat; returns the sample count.
 */
export function writeHistory(file: string, pods: readonly PodSeries[], span: HistorySpan): number {
  const fd = openSync(file, 'w');
  let samples = 0;
  const chunk: string[] = [];
  const flush = () => {
    if (chunk.length) writeSync(fd, `${chunk.join('\n')}\n`);
    samples += chunk.length;
    chunk.length = 0;
  };
  const steps = (seconds: number) => Math.floor(seconds / span.scrapeSeconds);
  try {
    for (const buckets of [false, true]) {
      writeSync(
        fd,
        buckets ? `# TYPE ${DURATION} histogram\n` : `# TYPE ${METRIC_REQUESTS.replace(/_total$/, '')} counter\n`,
      );
      for (const pod of pods) {
        const n = steps(buckets ? span.bucketSeconds(pod.rollout) : span.requestSeconds);
        // Series by series (promtool wants each series in time order): one line set per step, regrouped.
        const perStep: string[][] = [];
        for (let i = n; i >= 0; i--) {
          const t = span.end - i * span.scrapeSeconds;
          const at: string[] = [];
          lines(pod, t, ` ${t}`, buckets, false, at);
          perStep.push(at);
        }
        const width = perStep[0]!.length;
        for (let s = 0; s < width; s++) for (const at of perStep) chunk.push(at[s]!);
        if (chunk.length > 50_000) flush();
      }
      flush();
    }
    writeSync(fd, '# EOF\n');
  } finally {
    closeSync(fd);
  }
  return samples;
}
