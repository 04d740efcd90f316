/**
 * The gate judges user-defined signals like the built-in ones: it reads the states of the
 * rollout's own generated alerts (here from a Prometheus whose rules API reports them), so a
 * firing user signal fails or holds the stage with the signal named in the reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { healthCheckRun } from '../../../app/gate/check-run.js';
import { evaluateGate } from '../../../app/gate/evaluate.js';
import { PrometheusApi, type RangeSeries, type RuleState, type Sample } from '../../../app/gate/prometheus-api.js';
import { alertRules } from '../../../constructs/alert-rules.js';
import { ruleGroupName } from '../../../constructs/conventions.js';
import { parseIntent } from '../../../constructs/spec/index.js';

const FILE = 'docs/examples/signals/checkout-signals.yaml';
const parsed = parseIntent(FILE, readFileSync(FILE, 'utf8'));
if (!parsed.ok) throw new Error(`${FILE} does not parse`);
const model = parsed.model;

/** A Prometheus with the rollout's rules loaded, `firing` alerts firing, and healthy evidence. */
class LoadedPrometheus extends PrometheusApi {
  constructor(private readonly firing: readonly string[]) {
    super('http://prometheus.invalid');
  }
  override async alertRules(): Promise<RuleState[]> {
    // As /api/v1/rules reports a rule: a firing one with its active instance (labels: the rule's
    // and `alertname`; prometheus/prometheus web/api/v1/api.go `Alert`), its state the strongest
    // of its instances' (rules/alerting.go `AlertingRule.State`).
    return alertRules(model).map((r) => {
      const firing = this.firing.includes(r.alert);
      return {
        group: ruleGroupName(model.name),
        name: r.alert,
        query: r.expr,
        state: firing ? 'firing' : 'inactive',
        alerts: firing
          ? [
              {
                labels: { ...r.labels, alertname: r.alert },
                state: 'firing',
                activeAt: '2026-12-02T11:50:00Z',
                value: 1,
              },
            ]
          : [],
      };
    });
  }
  override async query(expr: string): Promise<Sample[]> {
    // Telemetry audit (app/gate/telemetry-audit.ts): both versions' Istio series exist, labelled as the rules read them.
    if (expr.startsWith('count by (')) {
      return ['v1', 'v2'].map((v) => ({
        labels: { destination_version: v, destination_canonical_revision: v },
        value: 1,
      }));
    }
    // Evidence: each signal's recorded value, 0.97 for canary (v2) and 0.99 for stable (v1).
    if (expr.startsWith('stagegate:signal_'))
      return [{ labels: {}, value: expr.includes('destination_version="v2"') ? 0.97 : 0.99 }];
    // Evidence: plenty of requests, no errors.
    if (expr.includes('increase(')) {
      return [
        { labels: { destination_version: 'v1' }, value: 1_000_000 },
        { labels: { destination_version: 'v2' }, value: 100_000 },
      ];
    }
    return [];
  }
  override async queryRange(): Promise<RangeSeries[]> {
    return [];
  }
}

const gate = (firing: readonly string[]) =>
  evaluateGate({ model, prometheus: new LoadedPrometheus(firing), now: new Date('2026-12-02T12:00:00Z') });

describe('the gate on user-defined signals', () => {
  it('judges every user signal alert the rules define', async () => {
    const verdict = await gate([]);
    expect(verdict.alerts.filter((a) => a.signal.startsWith('user:')).map((a) => a.alert)).toHaveLength(12);
    expect(verdict.kind).toBe('pass');
  });

  it('fails the stage when a user rollback signal fires, and names it in the reason', async () => {
    const verdict = await gate(['StagegateSignalCheckoutSuccessSustained']);
    expect(verdict.kind).toBe('fail');
    expect(verdict.reasons).toEqual([
      'user:checkout-success: shop/checkout: canary v2 checkout-success over 10m, sustained (StagegateSignalCheckoutSuccessSustained firing)',
    ]);
  });

  it('puts the user signal in the failed check run the bot takes the rollback reason from', async () => {
    const run = healthCheckRun(await gate(['StagegateSignalQueueBacklog']));
    expect([run.status, run.conclusion, run.title]).toEqual([
      'completed',
      'failure',
      'fail: user:queue-backlog: shop/checkout: canary v2 queue-backlog over 5m (StagegateSignalQueueBacklog firing)',
    ]);
    expect(run.summary).toContain('- user:queue-backlog: shop/checkout: canary v2 queue-backlog over 5m');
  });

  it('shows every user signal’s canary and stable value in the evidence, which the ledger keeps', async () => {
    const verdict = await gate([]);
    expect(verdict.evidence?.signals?.map((x) => [x.name, x.canary, x.stable])).toEqual(
      (model.signals ?? []).map((x) => [x.name, 0.97, 0.99]),
    );
    expect(healthCheckRun(verdict).summary).toContain('user:checkout-success canary 0.97 vs stable 0.99');
  });

  it('holds the stage when a hold signal fires (throughput not where the weight says)', async () => {
    const verdict = await gate(['StagegateSignalThroughputConsistency']);
    expect(verdict.kind).toBe('hold');
    expect(verdict.summary).toBe(
      'hold: user:throughput-consistency: shop/checkout: canary v2 throughput-consistency over 5m (StagegateSignalThroughputConsistency firing)',
    );
  });

  it('holds when a user signal has no data for the canary', async () => {
    const verdict = await gate(['StagegateSignalQueueBacklogNoData']);
    expect(verdict.kind).toBe('hold');
    expect(verdict.reasons[0]).toBe(
      'user:queue-backlog: shop/checkout: only evaluations of signal queue-backlog for canary v2 in 5m, 3 needed (StagegateSignalQueueBacklogNoData firing)',
    );
  });
});
