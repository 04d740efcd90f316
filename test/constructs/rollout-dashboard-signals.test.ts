import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardModel } from '../../constructs/rollout-dashboard.js';
import { parseIntent } from '../../constructs/spec/index.js';
import { rolloutModel } from './fixtures.js';
import { promqlSyntaxError } from './promql/syntax.js';

const FILE = 'docs/examples/signals/checkout-signals.yaml';

function exampleModel() {
  const r = parseIntent(FILE, readFileSync(FILE, 'utf8'));
  if (!r.ok) throw new Error(`${FILE} does not parse`);
  return r.model;
}

type Panel = { id: number; title: string; gridPos: { x: number; y: number }; targets: { expr: string }[] };
type Steps = { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } };

describe('dashboard panels of user-defined signals', () => {
  it('draws each signal from the series its alerts read, with the absolute limit as threshold', () => {
    const panels = (dashboardModel(exampleModel()).panels as (Panel & Steps)[]).slice(4);
    expect(panels.map((p) => [p.id, p.title, p.gridPos.x, p.gridPos.y])).toEqual([
      [5, 'Signal checkout-success (rollback when below 0.95 and below stable (v1) / 1.02)', 0, 16],
      [6, 'Signal queue-backlog (rollback when above 500 and above 2× stable (v1))', 12, 16],
      [7, 'Signal cpu-saturation (hold when above 0.9)', 0, 24],
      [8, 'Signal throughput-consistency (hold when below 0.5)', 12, 24],
    ]);
    expect(panels[0]!.targets.map((t) => t.expr)).toEqual([
      'stagegate:signal_checkout_success:value10m{stagegate_rollout="checkout", stagegate_namespace="shop"}',
    ]);
    expect(panels.map((p) => p.fieldConfig.defaults.thresholds.steps.at(-1)!.value)).toEqual([0.95, 500, 0.9, 0.5]);
    expect(panels.flatMap((p) => p.targets.map((t) => promqlSyntaxError(t.expr)))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('adds no panel to a rollout without signals', () => {
    expect((dashboardModel(rolloutModel()).panels as Panel[]).map((p) => p.id)).toEqual([1, 2, 3, 4]);
  });
});
