/**
 * The abort drill's alert (constructs/drill-alert.ts, issue #16) against series shaped as Istio
 * writes an injected abort: the client proxy answers it (Envoy fault filter, before the router),
 * so reporter "destination" never counts it and reporter "source" files it under
 * destination_version "unknown", response_flags "FI" (istio-shapes.ts `clientReported` with no
 * peer and no endpoint; sources in drill-alert.ts). The canary's cohort requests then vanish from
 * the version-split series: the built-in alerts hold, only the drill alert rolls back.
 */
import { describe, expect, it } from 'vitest';
import { drillAlerts, DRILL_ALERT, drillFiringMs } from '../../constructs/drill-alert.js';
import type { RolloutModel } from '../../constructs/model.js';
import { parseIntent } from '../../constructs/spec/index.js';
import type { InputSeries } from '../../tools/promtool.js';
import { firedWithin, firingAt, neverFired, runSeries } from './harness.js';
import { clientReported, counter, type Pod, serverReported, type Service, versionSeries } from './istio-shapes.js';

const STEP_S = 30;
const END_S = 3600;
const T0 = 1200;
const STEPS = END_S / STEP_S;
const RPS = 400;
const COHORT_RPS = 40;
const SVC: Service = { name: 'checkout', namespace: 'shop-staging' };
const ROLLOUT = { stagegate_rollout: 'checkout' };
const ROLLBACK = { ...ROLLOUT, stagegate_action: 'rollback' };

function intent(drill: string | undefined, extra: readonly string[] = []): RolloutModel {
  const lines = [
    'apiVersion: stagegate.dev/v1alpha1',
    'kind: Rollout',
    'metadata: { name: checkout, namespace: shop-staging }',
    'spec:',
    '  service: { host: checkout, port: 8080 }',
    '  stable: v1',
    '  canary: v2',
    '  cohort: { header: x-cohort, values: [internal] }',
    '  stages:',
    '    - { name: internal, cohort: true, bake: 1h }',
    '    - { name: full, weight: 100 }',
    '  stage: internal',
    ...(drill ? [`  drill: ${drill}`] : []),
    `  traffic: { requestsPerSecond: ${RPS}, baselineErrorRatio: 0.002 }`,
    ...extra,
  ];
  const parsed = parseIntent('drill.yaml', `${lines.join('\n')}\n`);
  if (!parsed.ok) throw new Error(`drill intent is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.model;
}

const pod = (version: string): Pod => ({
  workload: `checkout-${version}`,
  namespace: 'shop-staging',
  labels: { app: 'checkout', version },
});

/** Stable's traffic on both reporters; the cohort on canary until T0, then answered by the fault. */
function abortedCohort(): InputSeries[] {
  const healthy = () => 0.002;
  const beforeFault = (tS: number) => tS <= T0;
  const cohort = (reporter: 'destination' | 'source') =>
    counter(
      {
        ...(reporter === 'destination' ? serverReported(pod('v2'), SVC) : clientReported(SVC, 30, { peer: pod('v2') })),
        response_code: '200',
        response_flags: '-',
      },
      { steps: STEPS, perStep: (i) => (beforeFault(i * STEP_S) ? COHORT_RPS * STEP_S : 0) },
    );
  const faulted = counter(
    // No peer, no endpoint: every destination_* workload label "unknown", revision "latest".
    { ...clientReported(SVC, 30, {}), response_code: '503', response_flags: 'FI' },
    { steps: STEPS, perStep: (i) => (beforeFault(i * STEP_S) ? 0 : COHORT_RPS * STEP_S) },
  );
  const stable = (labels: Record<string, string>) =>
    versionSeries({ labels, rps: RPS, errorRatio: healthy, stepS: STEP_S, steps: STEPS });
  return [
    ...stable(serverReported(pod('v1'), SVC)),
    ...stable(clientReported(SVC, 30, { peer: pod('v1') })),
    cohort('destination'),
    cohort('source'),
    faulted,
  ].filter((s): s is InputSeries => s !== undefined);
}

function expectPass(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
}

describe('abort drill alert', () => {
  it('rolls back on the fault the client proxy answered (FI, reporter source), with signal drill:fault', async () => {
    const model = intent('{ abort: { httpStatus: 503, percent: 100 } }');
    expect(model.metrics.reporter).toBe('destination');
    const series = abortedCohort();
    expect(series.at(-1)!.series).toContain('destination_version="unknown"');
    expectPass(
      await runSeries(model, series, STEP_S, [
        neverFired(ROLLBACK, T0, T0),
        firedWithin({ ...ROLLBACK, stagegate_signal: 'drill:fault', alertname: DRILL_ALERT }, END_S, END_S - T0),
        firingAt(ROLLBACK, END_S, [{ action: 'rollback', signal: 'drill:fault' }]),
      ]),
    );
  });

  it('fires within the time plan predicts for the drill alert, and never before its for', async () => {
    const model = intent('{ abort: { httpStatus: 503, percent: 100 } }');
    const p = drillFiringMs(model)!;
    // Defaults (scrape 30s, evaluation 1m, short window 1m): 2 scrapes 1m + 1m + for 2m.
    expect(p).toEqual({ samplesMs: 60_000, evaluationMs: 60_000, forMs: 120_000, totalMs: 240_000 });
    // The first faulted request falls in (T0, T0 + one step]; the alert is pending at least `for`.
    const FI = { ...ROLLBACK, stagegate_signal: 'drill:fault', alertname: DRILL_ALERT };
    expectPass(
      await runSeries(model, abortedCohort(), STEP_S, [
        neverFired(FI, T0 + p.forMs / 1000, p.forMs / 1000 + STEP_S),
        firedWithin(FI, T0 + STEP_S + p.totalMs / 1000, p.totalMs / 1000),
      ]),
    );
  });

  it('without spec.drill the same abort fires no rollback alert: the canary only loses requests', async () => {
    const model = intent(undefined);
    expectPass(await runSeries(model, abortedCohort(), STEP_S, [neverFired(ROLLBACK, END_S, END_S)]));
  });

  it('exists only for an abort drill whose fault is on the cohort route', () => {
    expect(drillAlerts(intent('{ abort: { httpStatus: 503, percent: 100 } }')).map((a) => a.alert)).toEqual([
      DRILL_ALERT,
    ]);
    expect(drillAlerts(intent('{ delay: { fixedDelay: 2s, percent: 100 } }'))).toEqual([]);
    expect(drillAlerts(intent(undefined))).toEqual([]);
    const aborted = intent('{ abort: { httpStatus: 503, percent: 100 } }', [
      '  abort: { reason: drill, at: "2026-12-02T14:00:00Z" }',
    ]);
    expect(drillAlerts(aborted)).toEqual([]);
  });
});
