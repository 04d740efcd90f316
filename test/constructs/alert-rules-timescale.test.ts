import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRuleGroups, isAlertRule, type AlertRule, type RuleGroup } from '../../constructs/alert-rules.js';
import { compile } from '../../constructs/compile.js';
import { decisionWindowMs, minCanaryRequestsForStage, planStages } from '../../constructs/detectability.js';
import { MIN_SCALED_WINDOW_MS, scaleMs, windowLabel } from '../../constructs/promql/windows.js';
import { readIntents } from '../../app/workspace.js';
import { CHECKOUT_STAGES, rolloutModel } from './fixtures.js';
import { promqlSyntaxError } from './promql/syntax.js';

const ROOT = join(import.meta.dirname, '..', '..');
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const rules = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules);
const alert = (groups: readonly RuleGroup[], name: string): AlertRule =>
  rules(groups)
    .filter(isAlertRule)
    .find((a) => a.alert === name)!;
/** Every `[range]` of every expression, in ms. */
const ranges = (groups: readonly RuleGroup[]) =>
  rules(groups).flatMap((r) =>
    [...r.expr.matchAll(/\[((?:\d+(?:ms|s|m|h))+)\]/g)].map((m) =>
      [...m[1]!.matchAll(/(\d+)(ms|s|m|h)/g)].reduce((ms, p) => ms + Number(p[1]) * UNIT[p[2]!]!, 0),
    ),
  );

// Unknown traffic keeps the decision window at its 5m default, the window the numbers below are about.
const at60 = rolloutModel({ metrics: { timeScale: 60 }, traffic: { requestsPerSecond: undefined } });
const at1 = rolloutModel({ traffic: { requestsPerSecond: undefined } });

describe('alert rules at timeScale 60', () => {
  const groups = buildRuleGroups(at60);

  it('divides the decision window, short window and both for values by 60 (5m → 5s, 1m → 4s, 2m → 5s, 8m → 8s)', () => {
    const errors = alert(groups, 'StagegateCanaryErrorRatio');
    // Short window 1m → 1s, raised to the 4s minimum; persistence = 4s + 1s blip.
    expect(errors.for).toBe('5s');
    expect(errors.expr).toContain('stagegate:istio_requests_5xx:ratio_rate5s{');
    expect(errors.expr).toContain('stagegate:istio_requests_5xx:ratio_rate4s{');
    expect(errors.expr).toContain('* 5) >= ');
    expect(errors.annotations.summary).toContain('over 5s');
    expect(alert(groups, 'StagegateCanaryErrorRatioSustained').for).toBe('8s');
    expect(alert(groups, 'StagegateCanaryLatencyP99').expr).toContain('p99_rate4s{');
  });

  it('compresses the burn-rate pairs to 5s/60s and 30s/6m', () => {
    const fast = alert(groups, 'StagegateCanaryErrorBudgetFastBurn');
    const slow = alert(groups, 'StagegateCanaryErrorBudgetSlowBurn');
    expect(fast.expr).toContain('ratio_rate5s{');
    expect(fast.expr).toContain('ratio_rate1m{');
    expect(slow.expr).toContain('ratio_rate30s{');
    expect(slow.expr).toContain('ratio_rate6m{');
    // 2m and 15m base `for`, divided by 60; 2s is clamped to the shortest scaled duration.
    expect([fast.for, slow.for]).toEqual(['4s', '15s']);
  });

  it('records the scaled windows under series named after them', () => {
    const recorded = rules(groups)
      .filter((r) => !isAlertRule(r))
      .map((r) => ('record' in r ? r.record : ''));
    expect(recorded).toContain('stagegate:istio_requests:rate5s');
    expect(recorded).toContain('stagegate:istio_requests:rate30s');
    expect(recorded).toContain('stagegate:istio_requests:rate1m');
    expect(recorded).toContain('stagegate:istio_requests:rate6m');
    expect(recorded).toContain('stagegate:istio_request_duration_milliseconds:p99_rate5s');
    expect(recorded.filter((r) => /rate\d+[mh]$/.test(r) && !/rate(1m|6m)$/.test(r))).toEqual([]);
  });

  it('scales the too-few-requests for, never below the shortest scaled duration', () => {
    expect(alert(groups, 'StagegateCanaryTooFewRequests').for).toBe(`${MIN_SCALED_WINDOW_MS / 1000}s`);
  });

  it('uses only whole-second ranges of at least 4s', () => {
    const all = ranges(groups);
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(all.filter((ms) => ms % 1000 !== 0 || ms < MIN_SCALED_WINDOW_MS)).toEqual([]);
    // The 6h burn window (6m here) is derived from the recorded 5m rates over one interval (1s)
    // less than the window (docs/design.md §7, rule cost).
    expect(Math.max(...all)).toBe(359_000);
  });

  it.each([60, 7, 3600])('generates only PromQL the official grammar parses (timeScale %i)', (timeScale) => {
    for (const traffic of [{ requestsPerSecond: undefined }, { requestsPerSecond: 400 }, { requestsPerSecond: 3 }]) {
      for (const stage of ['internal', 'one-percent', 'full']) {
        const model = rolloutModel({ metrics: { timeScale }, traffic, stage });
        for (const rule of rules(buildRuleGroups(model))) {
          const name = isAlertRule(rule) ? rule.alert : rule.record;
          expect({ name, error: promqlSyntaxError(rule.expr) }).toEqual({ name, error: undefined });
          if (isAlertRule(rule)) expect(rule.for).toMatch(/^(\d+h)?(\d+m)?(\d+s)?$/);
        }
      }
    }
  });

  it('picks the decision window on scaled windows: the shortest that holds twice the minimum sample', () => {
    const model = rolloutModel({
      metrics: { timeScale: 60 },
      traffic: { requestsPerSecond: 400 },
      stage: 'ten-percent',
    });
    const stage = CHECKOUT_STAGES[2]!;
    const windowMs = decisionWindowMs(model, stage);
    const canaryPerSecond = 40;
    const need = 2 * minCanaryRequestsForStage(model, stage);
    expect(windowMs % 1000).toBe(0);
    expect((canaryPerSecond * windowMs) / 1000).toBeGreaterThanOrEqual(need);
    const shorter = [4, 5, 10, 15, 30, 60, 120, 360].map((s) => s * 1000).filter((w) => w < windowMs);
    expect(shorter.every((w) => (canaryPerSecond * w) / 1000 < need)).toBe(true);
  });

  it('makes plan report scaled windows and detection times', () => {
    const rows = planStages(rolloutModel({ metrics: { timeScale: 60 }, traffic: { requestsPerSecond: 400 } }));
    const half = rows.find((r) => r.stage === 'half')!;
    // detection = max(½ window, short window) + (short window + 1s blip) + 1s evaluation
    expect(half.timeToDetectMs).toBe(
      Math.max(Math.ceil(half.windowMs / 2000) * 1000, half.shortWindowMs) + half.shortWindowMs + 2000,
    );
    expect(half.shortWindowMs).toBeGreaterThanOrEqual(MIN_SCALED_WINDOW_MS);
    expect(rows.every((r) => r.windowMs <= 360_000)).toBe(true);
  });
});

describe('alert rules at timeScale 1', () => {
  it('keeps the production windows and for values', () => {
    const groups = buildRuleGroups(at1);
    // Unknown traffic: 5m decision window, 1m short window (two 30 s scrapes).
    expect(alert(groups, 'StagegateCanaryErrorRatio').for).toBe('2m');
    expect(alert(groups, 'StagegateCanaryErrorRatioSustained').for).toBe('8m');
    expect(alert(groups, 'StagegateCanaryTooFewRequests').for).toBe('2m');
    expect(alert(groups, 'StagegateCanaryErrorBudgetFastBurn').expr).toContain('ratio_rate1h{');
    expect(Math.min(...ranges(groups))).toBe(60_000);
  });

  it('reproduces the committed generated/ files byte for byte', () => {
    for (const out of compile(readIntents('rollouts', ROOT))) {
      expect(out.content, out.file).toBe(readFileSync(join(ROOT, 'generated', out.file), 'utf8'));
    }
  });

  it('leaves durations alone at 1 and rounds to whole seconds above it', () => {
    expect(scaleMs(300_000, 1)).toBe(300_000);
    expect(scaleMs(1_500, 1)).toBe(1_500);
    expect(scaleMs(300_000, 60)).toBe(5_000);
    expect(scaleMs(21_600_000, 60)).toBe(360_000);
    expect(scaleMs(300_000, 3600)).toBe(MIN_SCALED_WINDOW_MS);
    expect(() => scaleMs(60_000, 0)).toThrow('timeScale must be a whole number ≥ 1 (got 0)');
  });

  it('labels windows as valid Prometheus durations', () => {
    expect([
      windowLabel(5_000),
      windowLabel(60_000),
      windowLabel(360_000),
      windowLabel(3_600_000),
      windowLabel(1_500),
    ]).toEqual(['5s', '1m', '6m', '1h', '1500ms']);
  });
});
