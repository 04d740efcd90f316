/**
 * The example user-defined signals (docs/examples/signals/checkout-signals.yaml) under promtool,
 * on input series shaped as their exporters write them: the app's own counter and gauge
 * (labels as in the example's query), cAdvisor's container_cpu_usage_seconds_total and
 * kube-state-metrics' kube_pod_labels / kube_pod_container_resource_limits (per pod; the version
 * comes from the pod label `version` as `label_version`), and Istio's istio_requests_total with
 * reporter "destination" (test/promtool/istio-shapes.ts). Each signal: fires with its own action on
 * a sustained regression, stays silent on noise and on a 60 s blip, holds when the canary has no data.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signalPlans } from '../../app/plan-signals.js';
import { parseIntent } from '../../constructs/spec/index.js';
import type { InputSeries } from '../../tools/promtool.js';
import { firedWithin, firingAt, neverFired, runSeries } from './harness.js';

const FILE = 'docs/examples/signals/checkout-signals.yaml';
const parsed = parseIntent(FILE, readFileSync(FILE, 'utf8'));
if (!parsed.ok) throw new Error(`${FILE} does not parse`);
const model = parsed.model;

const planned = (signal: string) => signalPlans(model).find((p) => `user:${p.signal}` === signal)!;
const STEP_S = 30;
const DURATION_S = 40 * 60;
const STEPS = DURATION_S / STEP_S + 1;
const REGRESSION_S = 10 * 60;
const BLIP_S = 15 * 60;

type Version = 'v1' | 'v2';
/** How the canary behaves at time t (seconds): healthy, regressed, or (undefined) no series at all. */
type Mode = 'healthy' | 'regressed';
type Canary = ((t: number) => Mode) | undefined;

/** Deterministic noise in [-1, 1] (a linear congruential generator; the seed fixes the run). */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return (x / 2 ** 31) * 2 - 1;
  };
}

const times = Array.from({ length: STEPS }, (_, i) => i * STEP_S);
const gauge = (f: (t: number) => number): string => times.map((t) => +f(t).toFixed(6)).join(' ');
/** A counter whose rate per second at t is f(t). */
function counter(f: (t: number) => number): string {
  let total = 0;
  return times
    .map((t, i) => {
      if (i > 0) total += f(t) * STEP_S;
      return +total.toFixed(3);
    })
    .join(' ');
}

function seriesFor(version: Version, mode: (t: number) => Mode, jitter: () => number, noisy: boolean): InputSeries[] {
  const j = (size: number) => (noisy ? jitter() * size : 0);
  const bad = (t: number) => mode(t) === 'regressed';
  const ns = 'namespace="shop"';
  const ordersRps = version === 'v1' ? 20 : 2;
  const paid = (t: number) => (bad(t) ? 0.9 : 0.99 + j(0.004));
  const out: InputSeries[] = [
    {
      series: `checkout_orders_total{${ns}, version="${version}", result="paid"}`,
      values: counter((t) => ordersRps * paid(t)),
    },
    {
      series: `checkout_orders_total{${ns}, version="${version}", result="failed"}`,
      values: counter((t) => ordersRps * (1 - paid(t))),
    },
    {
      series: `checkout_queue_depth{${ns}, version="${version}"}`,
      values: gauge((t) => (bad(t) ? 2000 : 100 + j(20))),
    },
    {
      series: `istio_requests_total{reporter="destination", destination_service_name="checkout", destination_service_namespace="shop", destination_version="${version}", response_code="200"}`,
      values: counter((t) => (version === 'v1' ? 360 : bad(t) ? 10 : 40 + j(2))),
    },
  ];
  for (const pod of ['a', 'b']) {
    const name = `pod="checkout-${version}-${pod}"`;
    out.push(
      {
        series: `container_cpu_usage_seconds_total{${ns}, ${name}, container="checkout"}`,
        values: counter((t) => (bad(t) ? 0.97 : 0.5 + j(0.05))),
      },
      { series: `kube_pod_labels{${ns}, ${name}, label_version="${version}"}`, values: gauge(() => 1) },
      {
        series: `kube_pod_container_resource_limits{${ns}, ${name}, container="checkout", resource="cpu"}`,
        values: gauge(() => 1),
      },
    );
  }
  return out;
}

function scenario(canary: Canary, noisy = false): InputSeries[] {
  const jitter = noise(7);
  const stable = seriesFor('v1', () => 'healthy', jitter, noisy);
  return canary === undefined ? stable : [...stable, ...seriesFor('v2', canary, jitter, noisy)];
}

const SIGNALS = [
  { signal: 'user:checkout-success', action: 'rollback' },
  { signal: 'user:cpu-saturation', action: 'hold' },
  { signal: 'user:queue-backlog', action: 'rollback' },
  { signal: 'user:throughput-consistency', action: 'hold' },
] as const;
const USER = { stagegate_rollout: 'checkout', stagegate_signal: '' };
const of = (signal: string) => ({ ...USER, stagegate_signal: signal });

function expectPass(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
}

describe('example user signals under promtool', () => {
  it('fires each signal with its own action on a sustained regression', async () => {
    const canary = (t: number): Mode => (t > REGRESSION_S ? 'regressed' : 'healthy');
    const tests = [
      // Healthy before the regression (after the first minutes, while windows fill).
      ...SIGNALS.map((s) => neverFired(of(s.signal), REGRESSION_S, REGRESSION_S - 300)),
      // Fired by the bound `plan` prints for a step just past the limits (app/plan-signals.ts).
      ...SIGNALS.map((s) => {
        const boundS = REGRESSION_S + planned(s.signal).timeToDetectAtLimitMs / 1000;
        return firedWithin({ ...of(s.signal), stagegate_action: s.action }, boundS, boundS - REGRESSION_S);
      }),
    ];
    expectPass(await runSeries(model, scenario(canary), STEP_S, tests));
  }, 60_000);

  it('stays silent on noise', async () => {
    const tests = SIGNALS.map((s) => neverFired(of(s.signal), DURATION_S, DURATION_S - 300));
    expectPass(
      await runSeries(
        model,
        scenario(() => 'healthy', true),
        STEP_S,
        tests,
      ),
    );
  }, 60_000);

  it('stays silent on a 60 s blip', async () => {
    const canary = (t: number): Mode => (t > BLIP_S && t <= BLIP_S + 60 ? 'regressed' : 'healthy');
    const tests = SIGNALS.map((s) => neverFired(of(s.signal), DURATION_S, DURATION_S - 300));
    expectPass(await runSeries(model, scenario(canary, true), STEP_S, tests));
  }, 60_000);

  it('holds on no data: the canary has no series at all', async () => {
    const tests = [
      ...SIGNALS.map((s) => neverFired({ ...of(s.signal), stagegate_action: 'rollback' }, DURATION_S, DURATION_S)),
      firingAt({ stagegate_rollout: 'checkout', stagegate_signal: 'user:checkout-success' }, DURATION_S, [
        { action: 'hold', signal: 'user:checkout-success' },
      ]),
      ...SIGNALS.map((s) => firedWithin({ ...of(s.signal), stagegate_action: 'hold' }, DURATION_S, 300)),
    ];
    expectPass(await runSeries(model, scenario(undefined), STEP_S, tests));
  }, 60_000);
});
