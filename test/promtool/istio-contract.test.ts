/**
 * Telemetry contract tests: the generated rules against series shaped exactly as Istio's proxy
 * writes them (istio-shapes.ts cites the source of every shape), one case per fact the rules rely
 * on. Each case that was a defect (issue 11) failed on the code before its fix.
 */
import { describe, expect, it } from 'vitest';
import { planStages } from '../../constructs/detectability.js';
import type { RolloutModel } from '../../constructs/model.js';
import { parseIntent } from '../../constructs/spec/index.js';
import type { InputSeries } from '../../tools/promtool.js';
import { firedWithin, firingAt, neverFired, runSeries } from './harness.js';
import {
  clientReported,
  counter,
  type Pod,
  serverReported,
  type Service,
  versionSeries,
  waypointReported,
} from './istio-shapes.js';

const RPS = 400;
const P0 = 0.002;
const STEP_S = 30;
const END_S = 3600;
const T0 = 1200;
const ROLLOUT = { stagegate_rollout: 'checkout' };
const ROLLBACK = { ...ROLLOUT, stagegate_action: 'rollback' };
const SVC: Service = { name: 'checkout', namespace: 'shop' };

interface IntentOptions {
  readonly host?: string;
  readonly versionLabel?: string;
  readonly stable?: string;
  readonly canary?: string;
  readonly metrics?: string;
  readonly istio?: string;
  readonly stage?: 'one-percent' | 'quarter';
}

/** A checkout intent at 1 % or 25 % of 400 rps, through the real parser (so defaults are chosen as for users). */
function intent(o: IntentOptions = {}): RolloutModel {
  const lines = [
    'apiVersion: stagegate.dev/v1alpha1',
    'kind: Rollout',
    'metadata: { name: checkout, namespace: shop }',
    'spec:',
    `  service: { host: ${o.host ?? 'checkout'}, port: 8080 }`,
    ...(o.versionLabel ? [`  versionLabel: ${o.versionLabel}`] : []),
    `  stable: "${o.stable ?? 'v1'}"`,
    `  canary: "${o.canary ?? 'v2'}"`,
    '  stages:',
    '    - { name: one-percent, weight: 1, bake: 1h }',
    '    - { name: quarter, weight: 25, bake: 1h }',
    '    - { name: full, weight: 100 }',
    `  stage: ${o.stage ?? 'quarter'}`,
    `  traffic: { requestsPerSecond: ${RPS}, baselineErrorRatio: ${P0} }`,
    ...(o.metrics ? [`  metrics: ${o.metrics}`] : []),
    ...(o.istio ? [`  istio: ${o.istio}`] : []),
  ];
  const parsed = parseIntent('contract.yaml', `${lines.join('\n')}\n`);
  if (!parsed.ok) throw new Error(`contract intent is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.model;
}

function pods(labels: { stable: Record<string, string>; canary: Record<string, string> }): {
  stable: Pod;
  canary: Pod;
} {
  return {
    stable: { workload: 'checkout-stable', namespace: 'shop', labels: { app: 'checkout', ...labels.stable } },
    canary: { workload: 'checkout-canary', namespace: 'shop', labels: { app: 'checkout', ...labels.canary } },
  };
}

const STEPS = END_S / STEP_S;
const healthy = () => P0;
const regression = (tS: number) => (tS > T0 ? 0.1 : P0);

/** Both versions on one reporter, the canary at `weight` % failing as `canaryErrors`. */
function traffic(
  model: RolloutModel,
  labelsOf: (role: 'stable' | 'canary') => Record<string, string>,
  canaryErrors: (tS: number) => number,
  stepS = STEP_S,
  extra: Partial<{ resetAt: number }> = {},
): InputSeries[] {
  const weight = model.stages.find((s) => s.name === model.stage)!.weight;
  const canaryRps = (RPS * weight) / 100;
  const steps = END_S / stepS;
  return [
    ...versionSeries({ labels: labelsOf('stable'), rps: RPS - canaryRps, errorRatio: healthy, stepS, steps }),
    ...versionSeries({ labels: labelsOf('canary'), rps: canaryRps, errorRatio: canaryErrors, stepS, steps, ...extra }),
  ];
}

function expectPass(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
}

/** The regression must roll back after T0 and not before. */
const rollsBack = [neverFired(ROLLBACK, T0, T0), firedWithin(ROLLBACK, END_S, END_S - T0)];

describe('Istio telemetry contract: service names (issue 11 item 1)', () => {
  it('selects destination_service_name by the short name when the intent writes the FQDN (cluster.go buildServiceMetadata)', async () => {
    const model = intent({ host: 'checkout.shop.svc.cluster.local' });
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const series = traffic(model, (role) => serverReported(p[role], SVC), regression);
    expectPass(await runSeries(model, series, STEP_S, rollsBack));
  });
});

describe('Istio telemetry contract: version labels (issue 11 item 2)', () => {
  it('rolls back a canary whose pods carry only app.kubernetes.io/version, reporter source, Istio 1.22–1.28 (payments)', async () => {
    // M release-1.28: the peer's app_version is its `version` label only, so destination_version
    // is "unknown" here; destination_canonical_revision carries app.kubernetes.io/version (I).
    const model = intent({
      versionLabel: 'app.kubernetes.io/version',
      stable: '2024.11.2',
      canary: '2024.12.0',
      metrics: '{ reporter: source }',
      istio: '{ maxVersion: "1.28" }',
    });
    expect(model.metrics.versionLabel).toBe('destination_canonical_revision');
    const p = pods({
      stable: { 'app.kubernetes.io/version': '2024.11.2' },
      canary: { 'app.kubernetes.io/version': '2024.12.0' },
    });
    const series = traffic(model, (role) => clientReported(SVC, 28, { peer: p[role] }), regression);
    expect(series[0]!.series).toContain('destination_version="unknown"');
    expectPass(await runSeries(model, series, STEP_S, rollsBack));
  });

  it('reads destination_version from app.kubernetes.io/version on the source reporter from Istio 1.29', async () => {
    const model = intent({
      versionLabel: 'app.kubernetes.io/version',
      metrics: '{ reporter: source }',
      istio: '{ minVersion: "1.29" }',
    });
    expect(model.metrics.versionLabel).toBe('destination_version');
    const p = pods({
      stable: { 'app.kubernetes.io/version': 'v1', version: 'old' },
      canary: { 'app.kubernetes.io/version': 'v2', version: 'old' },
    });
    const series = traffic(model, (role) => clientReported(SVC, 29, { peer: p[role] }), regression);
    expectPass(await runSeries(model, series, STEP_S, rollsBack));
  });

  it('rolls back on reporter destination when the pods have no version label (destination_version is empty there)', async () => {
    const model = intent({ versionLabel: 'app.kubernetes.io/version' });
    expect(model.metrics.versionLabel).toBe('destination_canonical_revision');
    const p = pods({ stable: { 'app.kubernetes.io/version': 'v1' }, canary: { 'app.kubernetes.io/version': 'v2' } });
    const series = traffic(model, (role) => serverReported(p[role], SVC), regression);
    expect(series[0]!.series).not.toContain('destination_version');
    expectPass(await runSeries(model, series, STEP_S, rollsBack));
  });
});

describe('Istio telemetry contract: reporter source (issue 11 item 4)', () => {
  it('never counts requests no pod answered (UH: unknown / latest) against the canary', async () => {
    const model = intent({ metrics: '{ reporter: source }' });
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const series = traffic(model, (role) => clientReported(SVC, 28, { peer: p[role] }), healthy);
    // The canary pod ejected from t0: 30 rps answered 503 UH by the client's own proxy, with no host.
    const uh = counter(
      { ...clientReported(SVC, 28, {}), response_code: '503', response_flags: 'UH' },
      { steps: STEPS, perStep: (i) => (i * STEP_S > T0 ? 30 * STEP_S : 0) },
    )!;
    expect(uh.series).toContain('destination_version="unknown"');
    expect(uh.series).toContain('destination_canonical_revision="latest"');
    const result = await runSeries(model, [...series, uh], STEP_S, [
      neverFired(ROLLBACK, END_S, END_S),
      firingAt(ROLLOUT, END_S, []),
    ]);
    expectPass(result);
  });
});

describe('Istio telemetry contract: response flags (issue 11 item 7)', () => {
  it('holds on overflow written comma-joined with another flag ("UO,URX", Envoy toShortString)', async () => {
    const model = intent({});
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const series = traffic(model, (role) => serverReported(p[role], SVC), healthy);
    const overflow = counter(
      { ...serverReported(p.canary, SVC), response_code: '503', response_flags: 'UO,URX' },
      { steps: STEPS, perStep: () => 100 * STEP_S * 0.005 },
    )!;
    // 0.5 % of canary requests shed, against saturation.max 0.2 %.
    const tight = { ...model, health: { ...model.health, saturation: { max: 0.002 } } };
    const result = await runSeries(tight, [...series, overflow], STEP_S, [
      firingAt(ROLLOUT, END_S, [{ action: 'hold', signal: 'saturation' }]),
    ]);
    expectPass(result);
  });
});

describe('Istio telemetry contract: scrape interval (issue 11 item 7)', () => {
  it('rolls back with 1m scrapes (Prometheus default) when metrics.scrapeInterval says so', async () => {
    const model = intent({ metrics: '{ scrapeInterval: 1m }' });
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const predictedS = planStages(model).find((s) => s.stage === model.stage)!.timeToDetectMs! / 1000;
    const series = traffic(model, (role) => serverReported(p[role], SVC), regression, 60);
    const result = await runSeries(model, series, 60, [
      neverFired(ROLLBACK, T0, T0),
      firedWithin(ROLLBACK, T0 + predictedS + 60, predictedS + 60),
    ]);
    expectPass(result);
  });
});

describe('Istio telemetry contract: ambient waypoint (issue 11 item 7)', () => {
  it('rolls back on reporter waypoint, by the canonical revision (the waypoint has no app version)', async () => {
    const model = intent({ metrics: '{ reporter: waypoint }' });
    expect(model.metrics.versionLabel).toBe('destination_canonical_revision');
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const series = traffic(model, (role) => waypointReported(p[role], SVC), regression);
    expectPass(await runSeries(model, series, STEP_S, rollsBack));
  });
});

describe('Istio telemetry contract: counters', () => {
  it('fires nothing when the canary pods restart mid-run (a counter reset) while healthy', async () => {
    const model = intent({});
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const series = traffic(model, (role) => serverReported(p[role], SVC), healthy, STEP_S, { resetAt: 60 });
    const result = await runSeries(model, series, STEP_S, [
      neverFired(ROLLBACK, END_S, END_S),
      firingAt(ROLLOUT, END_S, []),
    ]);
    expectPass(result);
  });

  it('rolls back when the canary 5xx series first appears with the regression (no zero sample before it)', async () => {
    const model = intent({ stage: 'one-percent' });
    const p = pods({ stable: { version: 'v1' }, canary: { version: 'v2' } });
    const series = traffic(
      model,
      (role) => serverReported(p[role], SVC),
      (t) => (t > T0 ? 0.05 : 0),
    );
    const canary5xx = series.find((s) => s.series.includes('checkout-canary') && s.series.includes('"503"'))!;
    expect(canary5xx.values.startsWith('_ _')).toBe(true);
    const predictedS = planStages(model).find((s) => s.stage === model.stage)!.timeToDetectMs! / 1000;
    const result = await runSeries(model, series, STEP_S, [
      neverFired(ROLLBACK, T0, T0),
      firedWithin(ROLLBACK, T0 + predictedS, predictedS),
    ]);
    expectPass(result);
  });
});
