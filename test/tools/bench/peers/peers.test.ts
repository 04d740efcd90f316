import { describe, expect, it } from 'vitest';
import { argoAssess, argoMeasure, argoQueries, argoRollbackIndex } from '../../../../tools/bench/peers/argo.js';
import { flaggerCheckPasses, flaggerQueries, flaggerRollbackTick } from '../../../../tools/bench/peers/flagger.js';
import { promqlSyntaxError } from '../../../constructs/promql/syntax.js';
import { kayentaClassify, kayentaScore, mannWhitney } from '../../../../tools/bench/peers/kayenta.js';

describe('Flagger analysis (pkg/controller/scheduler.go)', () => {
  it('rolls back at the tick after the threshold-th failed check, counting failures that are not consecutive', () => {
    const ok = true;
    const bad = false;
    expect(flaggerRollbackTick([bad, ok, bad, ok, ok], 2)).toBe(3);
    expect(flaggerRollbackTick([bad, bad, ok], 2)).toBe(2);
    expect(flaggerRollbackTick([bad, ok, ok], 1)).toBe(1);
    expect(flaggerRollbackTick([bad, ok, bad], 2)).toBeUndefined();
    // threshold 0 is unset: GetAnalysisThreshold returns 1.
    expect(flaggerRollbackTick([bad, ok], 0)).toBe(1);
  });

  it('fails a check on no values or NaN, like RunQuery returning ErrNoValuesFound', () => {
    expect(flaggerCheckPasses(99.5, 120, 99, 300)).toBe(true);
    expect(flaggerCheckPasses(Number.NaN, 120, 99, 300)).toBe(false);
    expect(flaggerCheckPasses(99.5, undefined, 99, 300)).toBe(false);
    expect(flaggerCheckPasses(98.9, 120, 99, 300)).toBe(false);
    expect(flaggerCheckPasses(99.5, 301, 99, 300)).toBe(false);
  });

  it('renders the built-in Istio queries with the interval as the rate window', () => {
    const q = flaggerQueries('bench', 'svc-v2', 30);
    expect(q.successRate).toBe(
      'sum (rate(istio_requests_total{reporter="destination", destination_workload_namespace="bench", destination_workload=~"svc-v2", response_code!~"5.*"}[30s])) / ' +
        'sum (rate(istio_requests_total{reporter="destination", destination_workload_namespace="bench", destination_workload=~"svc-v2"}[30s])) * 100',
    );
    expect(flaggerQueries('bench', 'svc-v2', 60).durationP99Ms).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_workload_namespace="bench", destination_workload=~"svc-v2"}[1m])))',
    );
  });
});

describe('Argo Rollouts AnalysisRun (analysis/analysis.go)', () => {
  it('fails when failed measurements exceed failureLimit, not when they reach it', () => {
    const s = { failureLimit: 2 };
    expect(argoAssess(['Failed', 'Successful', 'Failed'], s)).toEqual({ phase: 'Running' });
    expect(argoAssess(['Failed', 'Successful', 'Failed', 'Failed'], s)).toEqual({ phase: 'Failed', at: 3 });
    expect(argoAssess(['Failed'], { failureLimit: 0 })).toEqual({ phase: 'Failed', at: 0 });
  });

  it('errors after more than consecutiveErrorLimit errors in a row (default 4); a measurement resets the streak', () => {
    const errors = (k: number) => Array.from({ length: k }, () => 'Error' as const);
    expect(argoAssess([...errors(4), 'Successful', ...errors(4)], { failureLimit: 0 })).toEqual({ phase: 'Running' });
    expect(argoAssess(errors(5), { failureLimit: 0 })).toEqual({ phase: 'Error', at: 4 });
    expect(argoAssess(errors(2), { failureLimit: 0, consecutiveErrorLimit: 1 })).toEqual({ phase: 'Error', at: 1 });
  });

  it('is Successful after count measurements within the limits, and Inconclusive past inconclusiveLimit', () => {
    expect(argoAssess(['Successful', 'Failed', 'Successful'], { failureLimit: 1, count: 3 })).toEqual({
      phase: 'Successful',
      at: 2,
    });
    expect(argoAssess(['Inconclusive', 'Inconclusive'], { failureLimit: 0, inconclusiveLimit: 1 })).toEqual({
      phase: 'Inconclusive',
      at: 1,
    });
  });

  it('measures result[0]: an empty result is an Error, NaN a failure', () => {
    expect(argoMeasure([], '>=', 0.99)).toBe('Error');
    expect(argoMeasure([Number.NaN], '>=', 0.99)).toBe('Failed');
    expect(argoMeasure([0.995], '>=', 0.99)).toBe('Successful');
    expect(argoMeasure([320], '<=', 300)).toBe('Failed');
  });

  it('aborts at the first metric that fails', () => {
    const setting = { intervalSeconds: 60, failureLimit: 0, queryWindowSeconds: 300 };
    expect(
      argoRollbackIndex(
        [
          ['Successful', 'Successful', 'Failed'],
          ['Successful', 'Failed', 'Successful'],
        ],
        setting,
      ),
    ).toBe(1);
  });
});

describe('Kayenta-style Mann-Whitney judge', () => {
  it('matches the textbook example (scipy.stats.mannwhitneyu docs: U = 17, asymptotic p = 0.1113)', () => {
    const r = mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.u).toBe(17);
    expect(r.p).toBeCloseTo(0.11134688653314041, 6);
    // Pairwise differences sorted: -4 -1 -1 2 2 4 4 5 5 7 7 8 9 10 11 12 12 13 17 18.
    expect(r.estimate).toBe(7);
    expect([r.lower, r.upper]).toEqual([-1, 17]);
  });

  it('uses mid-ranks for ties', () => {
    // Ranks of [1, 2, 2] in [1, 1, 2, 2, 2, 3]: 1.5 + 4 + 4 = 9.5, U = 9.5 − 6 = 3.5.
    expect(mannWhitney([1, 2, 2], [1, 2, 3]).u).toBe(3.5);
  });

  it('classifies a clear increase High, identical data Pass and missing data Nodata; no data scores 100', () => {
    const control = [1, 1.1, 0.9, 1.05, 0.95, 1, 1.02, 0.98, 1.01, 0.99];
    const high = control.map((v) => v * 3);
    expect(kayentaClassify(control, high, { confLevel: 0.95 })).toBe('High');
    expect(kayentaClassify(control, [...control].reverse(), { confLevel: 0.95 })).toBe('Pass');
    expect(kayentaClassify(control, [Number.NaN], { confLevel: 0.95 })).toBe('Nodata');
    // A decrease is not a failure for a metric whose increase is bad.
    expect(
      kayentaClassify(
        control,
        control.map((v) => v / 3),
        { confLevel: 0.95 },
      ),
    ).toBe('Pass');
    expect(kayentaScore(['High', 'Pass'])).toBe(50);
    expect(kayentaScore(['Nodata', 'Nodata'])).toBe(100);
  });
});

describe('peer queries', () => {
  it('parse with the official PromQL grammar, grouped for many rollouts at once', () => {
    const f = flaggerQueries('bench', '.*-v2', 60, 'destination_workload');
    const a = argoQueries('bench', 'v2', 300, 'destination_service_name');
    for (const q of [f.successRate, f.durationP99Ms, a.successRatio, a.p99Ms])
      expect(promqlSyntaxError(q)).toBeUndefined();
    expect(f.durationP99Ms).toContain('sum by (le, destination_workload)');
    expect(a.successRatio).toContain('irate(istio_requests_total{');
  });
});
