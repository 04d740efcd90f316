import { describe, expect, it } from 'vitest';
import {
  decisionWindowMs,
  errorRatioLimit,
  minCanaryRequests,
  minCanaryRequestsForStage,
  normalQuantile,
  planStages,
  sampleSizeTwoProportions,
  shortWindowMs,
  shortWindowRequests,
} from '../../constructs/detectability.js';
import { CHECKOUT_STAGES, rolloutModel } from './fixtures.js';

const MINUTE = 60_000;

describe('sample size', () => {
  it('inverts the normal CDF to the usual z values', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(() => normalQuantile(1)).toThrow('normal quantile needs 0 < p < 1 (got 1)');
  });

  it('matches the textbook two-proportion sizes for equal groups', () => {
    // 10 % vs 20 %, power 0.8: 157 per group one-sided at 0.05, 199 at 0.025 (= two-sided 0.05).
    expect(sampleSizeTwoProportions(0.1, 0.2, 1)).toBe(157);
    expect(sampleSizeTwoProportions(0.1, 0.2, 1, { alpha: 0.025 })).toBe(199);
  });

  it('needs fewer canary requests the more stable traffic there is, down to the one-sample bound', () => {
    const sizes = [1, 9, 99, Infinity].map((k) => sampleSizeTwoProportions(0.001, 0.01, k));
    expect(sizes).toEqual([834, 315, 237, 228]);
  });

  it('refuses a limit at or below the baseline and says what to change', () => {
    expect(() => sampleSizeTwoProportions(0.01, 0.01, 9)).toThrow(
      'cannot size a test of p0=0.01 against p1=0.01: need 0 <= p0 < p1 < 1; lower traffic.baselineErrorRatio or raise health.errorRatio.max',
    );
  });
});

describe('minimum canary requests', () => {
  it('tests against the larger of the absolute limit and maxVsStable × baseline + floor', () => {
    expect(errorRatioLimit(rolloutModel())).toBe(0.01);
    expect(errorRatioLimit(rolloutModel({ traffic: { baselineErrorRatio: 0.008 } }))).toBeCloseTo(0.017, 10);
  });

  it('depends on the live stage weight only, never on the request rate', () => {
    const at = (stage: string, rps?: number) =>
      minCanaryRequests(rolloutModel({ stage, traffic: { requestsPerSecond: rps } }));
    expect(at('one-percent', 10)).toBe(at('one-percent', 10_000));
    expect(at('one-percent')).toBe(396);
    expect(at('half')).toBe(1152);
  });

  it('treats a cohort stage like 100 %: one-sample against the known baseline', () => {
    const model = rolloutModel();
    expect(minCanaryRequestsForStage(model, CHECKOUT_STAGES[0]!)).toBe(
      minCanaryRequestsForStage(model, CHECKOUT_STAGES[4]!),
    );
  });

  it('lets a number in the intent override auto', () => {
    expect(minCanaryRequests(rolloutModel({ health: { minRequests: 5000 } }))).toBe(5000);
  });
});

describe('planStages', () => {
  it('predicts the 1 % stage of checkout at 400 rps: 5m window, 2m short window, 6m30s to detect', () => {
    const row = planStages(rolloutModel()).find((s) => s.stage === 'one-percent')!;
    // ½ × 5m (decision window half full at twice the limit) + 2m short window + 1m blip + 1m evaluation.
    expect(row).toMatchObject({
      weight: 1,
      minRequests: 396,
      canaryRequestsPerSecond: 4,
      windowMs: 5 * MINUTE,
      shortWindowMs: 2 * MINUTE,
      timeToDetectMs: 6.5 * MINUTE,
      timeToMinSampleMs: 99_000,
    });
    expect(row.warnings).toEqual([]);
  });

  it('adds up the bakes into the total time', () => {
    expect(planStages(rolloutModel()).map((s) => s.totalMs / MINUTE)).toEqual([30, 90, 210, 330, 330]);
  });

  it('widens the window at low traffic and warns when bake is shorter than the time to detect', () => {
    const row = planStages(rolloutModel(), { requestsPerSecond: 20 }).find((s) => s.stage === 'one-percent')!;
    // 0.2 canary rps needs 3960 s for 2 × 396 requests: the 2h window; 400 requests for the
    // short window take 2000 s: 1h. Detection: 1h (both windows) + 1h1m persistence + 1m.
    expect(row.windowMs).toBe(120 * MINUTE);
    expect(row.shortWindowMs).toBe(60 * MINUTE);
    expect(row.timeToDetectMs).toBe((60 + 61 + 1) * MINUTE);
    expect(row.warnings).toEqual(['bake is shorter than the time to detect']);
  });

  it('reports never when even the longest window cannot hold the minimum sample', () => {
    const row = planStages(rolloutModel(), { requestsPerSecond: 1 }).find((s) => s.stage === 'one-percent')!;
    expect(row.timeToDetectMs).toBe(Infinity);
    expect(row.warnings[0]).toBe(
      'traffic too low: 216 canary requests per 6h window < 396; raise the weight or set health.minRequests',
    );
  });

  it('sizes the short window for four bad events at the limit, never longer than the decision window', () => {
    expect(shortWindowRequests(rolloutModel())).toBe(400);
    // A 5 % error limit still needs 400 requests for the p99 (1 % of requests above it).
    expect(shortWindowRequests(rolloutModel({ health: { errorRatio: { max: 0.05, maxVsStable: 2 } } }))).toBe(400);
    expect(
      shortWindowRequests(
        rolloutModel({
          health: { errorRatio: { max: 0.001, maxVsStable: 2 } },
          traffic: { baselineErrorRatio: 0.0001 },
        }),
      ),
    ).toBe(3334); // limit 2 × 0.01 % + 0.1 %
    const model = rolloutModel();
    expect(shortWindowMs(model, CHECKOUT_STAGES[1]!)).toBe(2 * MINUTE); // 4 canary rps
    expect(shortWindowMs(model, CHECKOUT_STAGES[2]!)).toBe(MINUTE); // 40 canary rps: two scrapes
    expect(shortWindowMs(model, CHECKOUT_STAGES[1]!, 5)).toBe(decisionWindowMs(model, CHECKOUT_STAGES[1]!, 5)); // capped at W = 6h
    expect(shortWindowMs(model, CHECKOUT_STAGES[0]!)).toBe(MINUTE); // cohort: unknown rate
  });

  it('leaves times unknown for cohort stages and when the rate is unknown', () => {
    const rows = planStages(rolloutModel({ traffic: { requestsPerSecond: undefined } }));
    expect(rows.every((r) => r.timeToDetectMs === undefined)).toBe(true);
    expect(rows[0]!.windowMs).toBe(60 * MINUTE);
    expect(decisionWindowMs(rolloutModel(), CHECKOUT_STAGES[0]!)).toBe(60 * MINUTE);
  });
});
