/**
 * StagedRollout props and synthesis for construct tests that build from props (the user's
 * TypeScript API) rather than from a model (fixtures.ts): the smallest valid rollout, and what it
 * synthesizes in a test chart.
 */
import { Testing } from 'cdk8s';
import type { KubeObject } from '../../constructs/crd-schemas.js';
import { StagedRollout, type StagedRolloutProps } from '../../constructs/index.js';

/** checkout in shop: one-percent (live, baking 1h), then full. */
export const CHECKOUT_PROPS: StagedRolloutProps = {
  namespace: 'shop',
  service: { host: 'checkout', port: 8080 },
  stable: 'v1',
  canary: 'v2',
  stages: [
    { name: 'one-percent', weight: 1, bake: '1h' },
    { name: 'full', weight: 100 },
  ],
  stage: 'one-percent',
};

/** The first object of `kind` that the StagedRollout `checkout` built from `props` synthesizes. */
export function synthKind(props: StagedRolloutProps, kind: string): KubeObject | undefined {
  const chart = Testing.chart();
  new StagedRollout(chart, 'checkout', props);
  return (Testing.synth(chart) as KubeObject[]).find((o) => o.kind === kind);
}
