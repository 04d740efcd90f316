/**
 * The long burn-rate windows (30m, 1h, 6h) derived from the recorded 5m rates (docs/design.md §7,
 * rule cost) against the raw `rate()` they replace, under promtool: equal on steady traffic, and a
 * version that appears late in the window is diluted over the whole window as `rate()` dilutes it.
 */
import { describe, expect, it } from 'vitest';
import { buildRuleGroups } from '../../constructs/alert-rules.js';
import { istioTarget } from '../../constructs/promql/istio.js';
import { rolloutModel } from '../constructs/fixtures.js';
import { runSeries } from './harness.js';

// Unknown traffic keeps the decision window at 5m, so 30m, 1h and 6h are all derived.
const model = rolloutModel({ traffic: { requestsPerSecond: undefined } });
const t = istioTarget(model);
const STEP_S = 30;
const STEPS = 800; // 6 h 40 m
const raw = (version: string, code: string) =>
  `istio_requests_total{reporter="${t.reporter}",destination_service_name="${t.service}",destination_service_namespace="${t.serviceNamespace}",${t.versionLabel}="${version}",response_code="${code}"}`;
const rec = (name: string, version: string) =>
  `${name}{stagegate_rollout="${t.rollout}",stagegate_namespace="${t.namespace}",${t.versionLabel}="${version}"}`;
const rawRate = (version: string, window: string) =>
  `sum(rate(istio_requests_total{${t.versionLabel}="${version}",destination_service_name="${t.service}"}[${window}]))`;

/** `value` within `tolerance` (relative) of `expected`, as a promtool sample of 1. */
const near = (value: string, expected: string, tolerance: number, at: string) => ({
  expr: `abs(${value} / ${expected} - 1) < bool ${tolerance}`,
  eval_time: at,
  exp_samples: [{ value: 1 }],
});

describe('derived long windows under promtool', () => {
  it('equal the raw rate on steady traffic and dilute a version that appeared late, as rate() does', async () => {
    const late = STEPS - 100; // the canary starts 50 minutes before the end
    const series = [
      { series: raw(t.versions.stable, '200'), values: `0+2970x${STEPS}` },
      { series: raw(t.versions.stable, '503'), values: `0+30x${STEPS}` },
      { series: raw(t.versions.canary, '200'), values: `_x${late} 0+300x${STEPS - late - 1}` },
    ];
    const at = `${STEPS * STEP_S}s`;
    const result = await runSeries(model, series, STEP_S, [
      ...['30m', '1h', '6h'].map((w) =>
        near(
          `sum(${rec(`stagegate:istio_requests:rate${w}`, t.versions.stable)})`,
          rawRate(t.versions.stable, w),
          0.01,
          at,
        ),
      ),
      near(`sum(${rec('stagegate:istio_requests_5xx:ratio_rate6h', t.versions.stable)})`, 'vector(0.01)', 0.01, at),
      // rate() over 6h of a series 50 minutes old is about 50/360 of its rate; a mean over the samples
      // found (avg_over_time) would say 10 rps, 7× too many canary requests for the minimum sample.
      near(
        `sum(${rec('stagegate:istio_requests:rate6h', t.versions.canary)})`,
        rawRate(t.versions.canary, '6h'),
        0.1,
        at,
      ),
    ]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  }, 60_000);

  it('read the decision window p99 from the recorded short-window buckets, equal to the raw histogram', async () => {
    // 5m decision window, 2m short window: the bucket rates are recorded once, on 2m, and the 5m
    // p99 sums them (docs/design.md §7, rule cost). Cumulative per 30 s: 950 ≤ 100 ms, 995 ≤ 250 ms,
    // all ≤ 500 ms, so p99 interpolates to 233 ms; after a step to 500/900/1000 it reads 472 ms.
    const bucket = (le: string) =>
      `istio_request_duration_milliseconds_bucket{reporter="${t.reporter}",destination_service_name="${t.service}",destination_service_namespace="${t.serviceNamespace}",${t.versionLabel}="${t.versions.stable}",response_code="200",le="${le}"}`;
    const steps = 60;
    const step = 40; // the latency step, 10 minutes before the end
    const cumulative = (before: number, after: number) =>
      `0+${before}x${step} ${before * step + after}+${after}x${steps - step - 1}`;
    const series = [
      { series: bucket('100'), values: cumulative(950, 500) },
      { series: bucket('250'), values: cumulative(995, 900) },
      { series: bucket('500'), values: cumulative(1000, 1000) },
      { series: bucket('+Inf'), values: cumulative(1000, 1000) },
    ];
    const busier = rolloutModel();
    expect(
      buildRuleGroups(busier)[0]!
        .rules.map((r) => ('record' in r ? r.record : ''))
        .filter((r) => r.includes('bucket')),
    ).toEqual(['stagegate:istio_request_duration_milliseconds_bucket:rate2m']);
    const p99 = (w: string) =>
      `sum(${rec(`stagegate:istio_request_duration_milliseconds:p99_rate${w}`, t.versions.stable)})`;
    const rawP99 = (w: string) =>
      `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${t.versionLabel}="${t.versions.stable}"}[${w}])))`;
    const before = `${step * STEP_S}s`;
    const after = `${steps * STEP_S}s`;
    const result = await runSeries(busier, series, STEP_S, [
      near(p99('5m'), rawP99('5m'), 0.01, before),
      near(p99('2m'), rawP99('2m'), 0.01, before),
      near(p99('5m'), rawP99('5m'), 0.01, after),
      near(p99('5m'), 'vector(472.2)', 0.01, after),
    ]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  }, 60_000);
});
