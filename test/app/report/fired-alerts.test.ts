/**
 * The report's fired alerts (app/report/extras.ts firedAlerts) are one row per alert in both rule
 * layouts. In the fleet layout (issue 17) an alert's series carries the rollout's window labels
 * (constructs/fleet-alerts.ts), so a stage that changes the windows starts a new ALERTS series of
 * the same alert; the report's query must still give one series per alert. promtool evaluates it.
 */
import { describe, expect, it } from 'vitest';
import { firedAlerts } from '../../../app/report/extras.js';
import type { RangeSeries } from '../../../app/gate/prometheus-api.js';
import { promtoolWorkdir, testRules, writeRuleFile } from '../../../tools/promtool.js';
import { rolloutModel } from '../../constructs/fixtures.js';

const model = rolloutModel({ name: 'orders', service: { host: 'orders', port: 8080, gateways: ['mesh'] } });
const span = { start: new Date('2026-12-03T07:00:00Z'), end: new Date('2026-12-03T08:00:00Z') };

/** The query firedAlerts asks Prometheus. */
async function asked(): Promise<string> {
  let expr = '';
  await firedAlerts(
    model,
    {
      queryRange: async (q: string): Promise<RangeSeries[]> => {
        expr = q;
        return [];
      },
    },
    span,
  );
  return expr;
}

describe("the report's fired alerts", () => {
  it('are one series per alert when its window labels change with the stage (fleet layout)', async () => {
    const expr = await asked();
    const alert = (decision: string) =>
      `ALERTS{alertname="StagegateCanaryErrorRatio", alertstate="firing", stagegate_rollout="orders", ` +
      `stagegate_namespace="shop", stagegate_signal="errors", stagegate_action="rollback", ` +
      `stagegate_role="canary", stagegate_decision="${decision}"}`;
    const work = await promtoolWorkdir('stagegate-fired-alerts-');
    try {
      await writeRuleFile(work.dir, { groups: [] });
      const result = await testRules(work.dir, {
        rule_files: ['rules.json'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              // Firing at one stage's windows for 10 minutes, then at the next stage's.
              { series: alert('1m'), values: '1x9 stale' },
              { series: alert('5m'), values: '_x10 1x9' },
            ],
            promql_expr_test: [
              { expr: `count(count_over_time((${expr})[20m:1m]))`, eval_time: '20m', exp_samples: [{ value: 1 }] },
              // With the labels a row is made of (alert, signal, action).
              {
                expr,
                eval_time: '15m',
                exp_samples: [
                  {
                    labels:
                      '{alertname="StagegateCanaryErrorRatio", stagegate_action="rollback", stagegate_signal="errors"}',
                    value: 1,
                  },
                ],
              },
            ],
          },
        ],
      });
      expect(result.stdout + result.stderr).toContain('SUCCESS');
      expect(result.code).toBe(0);
    } finally {
      await work.dispose();
    }
  });
});
