/**
 * `spec.drill` (issue #16, README "Rehearsals (drill)"): the rehearsal's Istio fault, compiled
 * onto the VirtualService's cohort route only, gone once the rollout is aborted, and refused at
 * file:line:column when it is not a fault the gate could see.
 */
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ROUTE_COHORT, ROUTE_DEFAULT } from '../../constructs/conventions.js';
import { schemaProblems, type KubeObject } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';
import { formatProblem, parseIntent } from '../../constructs/spec/index.js';

const base: StagedRolloutProps = {
  namespace: 'shop-staging',
  service: { host: 'checkout', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  cohort: { header: 'x-cohort', values: ['internal'] },
  stages: [
    { name: 'internal', cohort: true, bake: '30m' },
    { name: 'full', weight: 100 },
  ],
  stage: 'internal',
  drill: { abort: { httpStatus: 503, percent: 50 }, delay: { fixedDelay: '1500ms', percent: 10 } },
};

function vs(props: StagedRolloutProps): KubeObject & { spec: { http: Array<{ name: string; fault?: unknown }> } } {
  const chart = Testing.chart();
  new StagedRollout(chart, 'checkout', props);
  return (Testing.synth(chart) as KubeObject[]).find((o) => o.kind === 'VirtualService') as never;
}

describe('spec.drill', () => {
  it('puts the fault on the cohort route only, valid against the VirtualService CRD', () => {
    const v = vs(base);
    expect(v.spec.http.map((r) => [r.name, r.fault ?? null])).toEqual([
      [
        ROUTE_COHORT,
        {
          abort: { httpStatus: 503, percentage: { value: 50 } },
          delay: { fixedDelay: '1.5s', percentage: { value: 10 } },
        },
      ],
      [ROUTE_DEFAULT, null],
    ]);
    expect(schemaProblems(v)).toEqual([]);
  });

  it('is gone from the VirtualService once the rollout is aborted (the rollback takes the fault away)', () => {
    const v = vs({ ...base, abort: { reason: 'drill', at: '2026-12-02T13:00:00Z' } });
    expect(v.spec.http.map((r) => [r.name, r.fault ?? null])).toEqual([[ROUTE_DEFAULT, null]]);
  });

  it('refuses a status the error rules do not count, at file:line:column', () => {
    const text = [
      'apiVersion: stagegate.dev/v1alpha1',
      'kind: Rollout',
      'metadata: { name: checkout, namespace: shop-staging }',
      'spec:',
      '  service: { host: checkout, port: 8080 }',
      '  stable: v1',
      '  canary: v2',
      '  stages: [{ name: full, weight: 100 }]',
      '  stage: full',
      '  drill: { abort: { httpStatus: 404, percent: 0 } }',
      '',
    ].join('\n');
    const r = parseIntent('rollouts/checkout.yaml', text);
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
      'rollouts/checkout.yaml:10:33: spec.drill.abort.httpStatus: must be between 500 and 599 (got 404)',
      'rollouts/checkout.yaml:10:47: spec.drill.abort.percent: must be between 0.0001 and 100 (got 0)',
    ]);
  });
});
