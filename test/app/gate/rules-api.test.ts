/**
 * PrometheusApi.alertRules against a real Prometheus: each alerting rule with its active alert
 * instances, each with its own labels, state, activeAt and value, which the gate needs in the
 * fleet layout (issue 17), where one rule serves many rollouts and several rules share a name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusApi, type RuleState } from '../../../app/gate/prometheus-api.js';
import { startPrometheus, type RunningPrometheus } from '../../../tools/prometheus.js';

const GROUP = 'stagegate.fleet.test';
const NAME = 'StagegateCanaryErrorRatio';
const labels = { stagegate_signal: 'errors', stagegate_action: 'rollback', severity: 'critical' };
const series = (rollout: string, value: number) =>
  `label_replace(vector(${value}), "stagegate_rollout", "${rollout}", "", "")`;

let prometheus: RunningPrometheus;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-rules-api-'));
  const file = join(dir, 'rules.json');
  // Two rules of one name (as the fleet writes one per `for` bucket): the first fires at once for
  // two rollouts, the second stays pending for a third.
  const rules = [
    { alert: NAME, expr: `${series('orders', 0.2)} or ${series('search', 0.5)}`, for: '0s', labels },
    { alert: NAME, expr: series('basket', 0.3), for: '1h', labels },
  ];
  writeFileSync(file, JSON.stringify({ groups: [{ name: GROUP, interval: '1s', rules }] }));
  prometheus = await startPrometheus({ ruleFiles: [file] });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function loaded(api: PrometheusApi): Promise<RuleState[]> {
  for (let i = 0; i < 100; i++) {
    const rules = (await api.alertRules()).filter((r) => r.group === GROUP);
    if (rules.length === 2 && rules.every((r) => r.alerts.length > 0)) return rules;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the rules never became active');
}

describe('PrometheusApi.alertRules against a real Prometheus', () => {
  it("reads every alert instance's own labels, state, activeAt and value", async () => {
    const [first, second] = await loaded(new PrometheusApi(prometheus.url));
    expect(first!.state).toBe('firing');
    const byRollout = (r: RuleState) =>
      Object.fromEntries(r.alerts.map((a) => [a.labels.stagegate_rollout, { state: a.state, value: a.value }]));
    expect(byRollout(first!)).toEqual({
      orders: { state: 'firing', value: 0.2 },
      search: { state: 'firing', value: 0.5 },
    });
    expect(first!.alerts[0]!.labels).toMatchObject({ alertname: NAME, ...labels });
    expect(Number.isNaN(Date.parse(first!.alerts[0]!.activeAt ?? ''))).toBe(false);
    expect(second!.state).toBe('pending');
    expect(byRollout(second!)).toEqual({ basket: { state: 'pending', value: 0.3 } });
  });
});
