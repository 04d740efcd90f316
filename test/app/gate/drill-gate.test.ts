/**
 * The gate on a live abort drill (issue #16), end to end on this machine: the demo exporter
 * answers the fault in the client proxy as Istio does (reporter source only, destination_version
 * "unknown", flag FI: tools/demo/route-fault.ts), a real Prometheus evaluates the generated rules,
 * and `evaluateGate` judges. With spec.drill the drill's alert fails the gate; the same fault
 * without it only takes requests away from the canary, and the gate never fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRuleGroups } from '../../../constructs/alert-rules.js';
import type { RolloutModel } from '../../../constructs/model.js';
import { parseIntent } from '../../../constructs/spec/index.js';
import { evaluateGate, type Verdict } from '../../../app/gate/evaluate.js';
import { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import { faultsReportedBy } from '../../../app/drill/open.js';
import { startExporter, type Exporter, type ServiceTraffic } from '../../../tools/demo/exporter.js';
import { startPrometheus, type RunningPrometheus } from '../../../tools/prometheus.js';

function intent(name: string, drill: boolean): RolloutModel {
  const parsed = parseIntent(
    `${name}.yaml`,
    [
      'apiVersion: stagegate.dev/v1alpha1',
      'kind: Rollout',
      `metadata: { name: ${name}, namespace: search-staging }`,
      'spec:',
      `  service: { host: ${name}, port: 8080 }`,
      '  stable: v7',
      '  canary: v8',
      '  cohort: { header: x-cohort, values: [internal] }',
      '  stages:',
      '    - { name: cohort, cohort: true, bake: 10m }',
      '    - { name: full, weight: 100 }',
      '  stage: cohort',
      ...(drill ? ['  drill: { abort: { httpStatus: 503, percent: 50 } }'] : []),
      '  metrics: { timeScale: 60, scrapeInterval: 1s }',
      '  traffic: { requestsPerSecond: 200, baselineErrorRatio: 0.002 }',
      '',
    ].join('\n'),
  );
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
  return parsed.model;
}

const drilled = intent('search', true);
const undrilled = intent('lookup', false);

function traffic(service: string): ServiceTraffic {
  return {
    namespace: 'search-staging',
    service,
    stable: 'v7',
    canary: 'v8',
    requestsPerSecond: 200,
    cohortRequestsPerSecond: 20,
    canaryWeight: () => 0,
    cohortRoute: () => true,
    // Both services carry the same fault on their cohort route; only one intent says so.
    cohortFault: () => ({ abort: { httpStatus: 503, percent: 50 } }),
    errorRatio: { stable: 0.002, canary: 0.002 },
    latencyMs: { stable: { p50: 50, p99: 200 }, canary: { p50: 50, p99: 200 } },
  };
}

let exporter: Exporter;
let prometheus: RunningPrometheus;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-drill-gate-'));
  const files = [drilled, undrilled].map((m) => {
    const file = join(dir, `${m.name}.rules.json`);
    writeFileSync(file, JSON.stringify({ groups: buildRuleGroups(m) }));
    return file;
  });
  exporter = await startExporter({ services: [traffic('search'), traffic('lookup')], seed: 5 });
  prometheus = await startPrometheus({
    ruleFiles: files,
    scrapeTargets: [`127.0.0.1:${exporter.port}`],
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  rmSync(dir, { recursive: true, force: true });
});

const judge = (model: RolloutModel): Promise<Verdict> =>
  evaluateGate({ model, prometheus: new PrometheusApi(prometheus.url, 5_000), now: new Date() });

describe('the gate on a live abort drill', () => {
  it('fails on the drill alert (drill:fault) with spec.drill, and never fails without it', async () => {
    let verdict: Verdict | undefined;
    for (let i = 0; i < 30; i++) {
      verdict = await judge(drilled);
      if (verdict.kind === 'fail') break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(verdict!.kind).toBe('fail');
    expect(verdict!.reasons).toEqual([
      'drill:fault: search-staging/search: drill: the injected abort (503, 50 % of the cohort route) answered requests over 4s (StagegateDrillFaultInjected firing)',
    ]);
    const other = await judge(undrilled);
    expect(other.kind).not.toBe('fail');
    expect(other.alerts.filter((a) => a.state === 'firing' && a.action === 'rollback')).toEqual([]);
  }, 60_000);

  it('sees FI already flowing on a service without spec.drill: what `drill --prometheus` refuses on (review F5)', async () => {
    // lookup carries the same fault without any drill in its intent: somebody else's FI.
    const count = faultsReportedBy(new PrometheusApi(prometheus.url, 5_000));
    let seen = 0;
    for (let i = 0; i < 20 && seen === 0; i++) {
      seen = await count(undrilled);
      if (seen === 0) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(seen).toBeGreaterThan(0);
    const quiet = intent('quiet', false);
    expect(await count(quiet)).toBe(0);
  }, 60_000);
});
