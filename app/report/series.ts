/**
 * The signals of a rollout over a time span from Prometheus range queries, built with the same
 * query builders the gate's evidence uses (constructs/promql/istio.ts): requests per second,
 * error ratio (errorsExpr over the requests) and p99 from the duration histogram, per version.
 */
import type { RolloutModel } from '../../constructs/model.js';
import { call, histogramQuantile, range, rate, render, sum } from '../../constructs/promql/ast.js';
import { durationBucketSelector, errorsExpr, istioTarget, requestsSelector } from '../../constructs/promql/istio.js';
import { scrapeIntervalMs } from '../../constructs/promql/windows.js';
import type { PrometheusApi, RangeSeries } from '../gate/prometheus-api.js';
import type { Points, SignalSeries } from './model.js';

export interface Span {
  readonly start: Date;
  readonly end: Date;
}

/**
 * About 120 points per chart, never finer than 1 s; rates over two steps, and at least four
 * scrapes (promql/windows.ts: a rate needs two samples in its window, four leave room for a
 * missed scrape).
 */
export function stepFor(span: Span, scrapeMs: number): { stepSeconds: number; windowMs: number } {
  const seconds = Math.max(1, (span.end.getTime() - span.start.getTime()) / 1000);
  const stepSeconds = Math.max(1, Math.ceil(seconds / 120));
  return { stepSeconds, windowMs: Math.max(4 * scrapeMs, stepSeconds * 2000) };
}

export async function signalSeries(model: RolloutModel, prometheus: PrometheusApi, span: Span): Promise<SignalSeries> {
  const t = istioTarget(model);
  const { stepSeconds, windowMs } = stepFor(span, scrapeIntervalMs(model.metrics));
  const by = [t.versionLabel];
  const q = (expr: string) => prometheus.queryRange(expr, span.start, span.end, stepSeconds);
  const [requests, errors, p99] = await Promise.all([
    q(render(sum(call('rate', range(requestsSelector(t), windowMs)), by))),
    q(render(errorsExpr(t, windowMs, by))),
    q(render(histogramQuantile(0.99, sum(rate(durationBucketSelector(t), windowMs), [...by, 'le'])))),
  ]);
  const of = (series: readonly RangeSeries[], version: string): Points =>
    (series.find((s) => s.labels[t.versionLabel] === version)?.points ?? []).filter(([, v]) => Number.isFinite(v));
  const ratio = (version: string): Points => {
    const req = new Map(of(requests, version));
    const err = new Map(of(errors, version));
    return [...req].filter(([, r]) => r > 0).map(([ts, r]) => [ts, (err.get(ts) ?? 0) / r] as const);
  };
  const pair = (f: (v: string) => Points) => ({ stable: f(model.stable), canary: f(model.canary) });
  return {
    requests: pair((v) => of(requests, v)),
    errorRatio: pair(ratio),
    p99Ms: pair((v) => of(p99, v)),
  };
}
