/**
 * The peers' detectors over the same backfilled Prometheus as stagegate's rules: each setting's
 * queries are evaluated with query_range at its own interval, and its decision logic
 * (flagger.ts, argo.ts, kayenta.ts) turns the values into a rollback time per simulated rollout.
 */
import { queryRange, type Series } from '../prom-eval.js';
import { type ArgoMeasurement, type ArgoSetting, argoMeasure, argoQueries, argoRollbackIndex } from './argo.js';
import { type FlaggerSetting, flaggerCheckPasses, flaggerQueries, flaggerRollbackTick } from './flagger.js';
import { type KayentaSetting, kayentaClassify, kayentaScore } from './kayenta.js';

export interface PeerScenario {
  readonly namespace: string;
  /** Unix seconds the stage starts (the first analysis tick) and ends. */
  readonly start: number;
  readonly end: number;
  readonly minSuccessRatio: number;
  readonly maxP99Ms: number;
  readonly stable: string;
  readonly canary: string;
}

/** The settings swept: what the peers' docs show and their users write. */
export const FLAGGER_SETTINGS: readonly FlaggerSetting[] = [30, 60].flatMap((intervalSeconds) =>
  Array.from({ length: 10 }, (_, i) => ({ intervalSeconds, threshold: i + 1 })),
);
export const ARGO_SETTINGS: readonly ArgoSetting[] = [
  // docs/analysis/prometheus.md's example: every 5m, irate over [5m], failureLimit 3.
  { intervalSeconds: 300, failureLimit: 3, queryWindowSeconds: 300 },
  { intervalSeconds: 60, failureLimit: 0, queryWindowSeconds: 300 },
  { intervalSeconds: 60, failureLimit: 2, queryWindowSeconds: 300 },
  { intervalSeconds: 30, failureLimit: 1, queryWindowSeconds: 60 },
  { intervalSeconds: 60, failureLimit: 3, consecutiveErrorLimit: 2, queryWindowSeconds: 120 },
];
export const KAYENTA_SETTINGS: readonly KayentaSetting[] = [0.95, 0.99].flatMap((confLevel) => [
  { confLevel, intervalSeconds: 300, lookbackSeconds: 600 },
  { confLevel, intervalSeconds: 600, lookbackSeconds: 600 },
]);

const dur = (s: number) => (s % 60 === 0 ? `${s / 60}m` : `${s}s`);
export const flaggerName = (s: FlaggerSetting) => `flagger interval ${dur(s.intervalSeconds)} threshold ${s.threshold}`;
export const argoName = (s: ArgoSetting) =>
  `argo interval ${dur(s.intervalSeconds)} failureLimit ${s.failureLimit}` +
  (s.consecutiveErrorLimit !== undefined ? ` consecutiveErrorLimit ${s.consecutiveErrorLimit}` : '') +
  ` irate[${dur(s.queryWindowSeconds)}]`;
export const kayentaName = (s: KayentaSetting) =>
  `kayenta confidence ${s.confLevel} every ${dur(s.intervalSeconds)} over ${dur(s.lookbackSeconds)}`;

/** label value → (unix s → value). */
type Indexed = Map<string, Map<number, number>>;
const index = (series: readonly Series[], label: string): Indexed =>
  new Map(series.map((s) => [s.metric[label] ?? '', new Map(s.values)]));

const ticks = (start: number, end: number, step: number) =>
  Array.from({ length: Math.floor((end - start) / step) + 1 }, (_, i) => start + i * step);

/** Detector name → rollout (service) name → unix seconds of its rollback. */
export async function peerRollbacks(
  url: string,
  services: readonly string[],
  sc: PeerScenario,
  signal?: AbortSignal,
): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  const range = (step: number) => ({ start: sc.start, end: sc.end, stepSeconds: step });

  for (const interval of new Set(FLAGGER_SETTINGS.map((s) => s.intervalSeconds))) {
    const q = flaggerQueries(sc.namespace, `.*-${sc.canary}`, interval, 'destination_workload');
    const sr = index(await queryRange(url, q.successRate, range(interval), signal), 'destination_workload');
    const p99 = index(await queryRange(url, q.durationP99Ms, range(interval), signal), 'destination_workload');
    const times = ticks(sc.start, sc.end, interval);
    for (const setting of FLAGGER_SETTINGS.filter((s) => s.intervalSeconds === interval)) {
      const rolled = new Map<string, number>();
      for (const svc of services) {
        const w = `${svc}-${sc.canary}`;
        const passes = times.map((t) =>
          flaggerCheckPasses(sr.get(w)?.get(t), p99.get(w)?.get(t), sc.minSuccessRatio * 100, sc.maxP99Ms),
        );
        const at = flaggerRollbackTick(passes, setting.threshold);
        if (at !== undefined) rolled.set(svc, times[at]!);
      }
      out.set(flaggerName(setting), rolled);
    }
  }

  for (const setting of ARGO_SETTINGS) {
    const q = argoQueries(sc.namespace, sc.canary, setting.queryWindowSeconds, 'destination_service_name');
    const label = 'destination_service_name';
    const sr = index(await queryRange(url, q.successRatio, range(setting.intervalSeconds), signal), label);
    const p99 = index(await queryRange(url, q.p99Ms, range(setting.intervalSeconds), signal), label);
    const times = ticks(sc.start, sc.end, setting.intervalSeconds);
    const rolled = new Map<string, number>();
    for (const svc of services) {
      const result = (m: Indexed, t: number) => {
        const v = m.get(svc)?.get(t);
        return v === undefined ? [] : [v];
      };
      const measurements: ArgoMeasurement[][] = [
        times.map((t) => argoMeasure(result(sr, t), '>=', sc.minSuccessRatio)),
        times.map((t) => argoMeasure(result(p99, t), '<=', sc.maxP99Ms)),
      ];
      const at = argoRollbackIndex(measurements, setting);
      if (at !== undefined) rolled.set(svc, times[at]!);
    }
    out.set(argoName(setting), rolled);
  }

  // Kayenta reads per-step values of both versions (canary = experiment, stable = control).
  const sel = `reporter="destination", destination_service_namespace="${sc.namespace}"`;
  const by = 'destination_service_name, destination_version';
  const errorRatio =
    `sum by (${by}) (rate(istio_requests_total{${sel}, response_code=~"5.*"}[1m])) / ` +
    `sum by (${by}) (rate(istio_requests_total{${sel}}[1m]))`;
  const p99 = `histogram_quantile(0.99, sum by (le, ${by}) (rate(istio_request_duration_milliseconds_bucket{${sel}}[1m])))`;
  const key = (s: Series) => `${s.metric.destination_service_name}/${s.metric.destination_version}`;
  const perMinute = async (expr: string) =>
    new Map((await queryRange(url, expr, range(60), signal)).map((s) => [key(s), s.values]));
  const metrics = [await perMinute(errorRatio), await perMinute(p99)];
  for (const setting of KAYENTA_SETTINGS) {
    const rolled = new Map<string, number>();
    for (const svc of services) {
      for (const t of ticks(sc.start + setting.intervalSeconds, sc.end, setting.intervalSeconds)) {
        const inWindow = (vs: readonly (readonly [number, number])[] | undefined) =>
          (vs ?? []).filter(([ts]) => ts > t - setting.lookbackSeconds && ts <= t).map(([, v]) => v);
        const classes = metrics.map((m) =>
          kayentaClassify(inWindow(m.get(`${svc}/${sc.stable}`)), inWindow(m.get(`${svc}/${sc.canary}`)), setting),
        );
        if (kayentaScore(classes) < (setting.marginal ?? 75)) {
          rolled.set(svc, t);
          break;
        }
      }
    }
    out.set(kayentaName(setting), rolled);
  }
  return out;
}
