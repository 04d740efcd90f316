/**
 * Reading a cluster's weight out of a generated file, and the cluster a wave's verdict names
 * (app/bot/cluster-status.ts): the fallback `status` uses when generated/<cluster>/ is not what the
 * intent compiles to.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { clusterNamed, clustersNamed, failedClusters, weightIn } from '../../../app/bot/cluster-status.js';
import { verdictReason } from '../../../app/gate/red-clusters.js';

const example = (file: string) =>
  readFileSync(new URL(`../../../docs/examples/traffic/${file}`, import.meta.url), 'utf8');
const INTENT = readFileSync(new URL('../../fixtures/bot/checkout.yaml', import.meta.url), 'utf8');

describe('weightIn', () => {
  it('reads the VirtualService’s default route and cohort route at every stage of an intent', () => {
    for (const [stage, weight, cohort] of [
      ['internal', 0, true],
      ['one-percent', 1, true],
      ['full', 100, true],
    ] as const) {
      const [out] = compile([
        { path: 'rollouts/checkout.yaml', text: INTENT.replace('stage: internal', `stage: ${stage}`) },
      ]);
      expect([stage, weightIn(out!.content, out!.model)]).toEqual([stage, { weight, cohort }]);
    }
  });

  it('reads the HTTPRoute rule without matches as the canary Service’s share; sticky cookie routes are not the cohort', () => {
    const text = example('gateway-api-ingress.yaml');
    const [ten] = compile([{ path: 'rollouts/web.yaml', text }]);
    expect(weightIn(ten!.content, ten!.model)).toEqual({ weight: 10, cohort: true });
    const [beta] = compile([{ path: 'rollouts/web.yaml', text: text.replace('stage: ten', 'stage: beta') }]);
    expect(weightIn(beta!.content, beta!.model)).toEqual({ weight: 0, cohort: true });
  });

  it('answers nothing for a file without a stagegate route', () => {
    expect(weightIn('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n', {})).toBeUndefined();
    expect(weightIn(': not yaml [', {})).toBeUndefined();
  });
});

describe('clusterNamed', () => {
  it('takes the first reason’s cluster of a hold or fail, only among the rollout’s own clusters', () => {
    const clusters = ['eu-1', 'us-1'];
    expect(clusterNamed('hold: us-1: too few canary requests', 'hold', clusters)).toBe('us-1');
    expect(clusterNamed('fail: eu-1: 5xx ratio 4 %', 'fail', clusters)).toBe('eu-1');
    // The gate's form must start the title (red-clusters.ts), not appear somewhere in it.
    expect(clusterNamed('baking: note hold: us-1: x', 'hold', clusters)).toBeUndefined();
    expect(clusterNamed('hold: ap-9: not ours', 'hold', clusters)).toBeUndefined();
    expect(clusterNamed('fail: us-1: x', 'hold', clusters)).toBeUndefined();
    expect(clusterNamed('baking, healthy so far: 33 % of the bake window', 'hold', clusters)).toBeUndefined();
    // Several red clusters (the gate's form for them), and a list with a foreign name names none.
    expect(clustersNamed('fail: eu-1, us-1: 5xx ratio 4 %', 'fail', clusters)).toEqual(['eu-1', 'us-1']);
    expect(clustersNamed('fail: eu-1, ap-9: 5xx', 'fail', clusters)).toEqual([]);
  });
});

describe('failedClusters', () => {
  const clusters = ['eu-1', 'us-1'];
  const at = '2026-03-02T09:00:00Z';
  it('reads the red clusters only from a rollback reason the bot wrote from a gate verdict', () => {
    const bot = verdictReason('stagegate/health', 3, 'half', 'fail: eu-1, us-1: 5xx ratio 4 %');
    expect(bot).toBe('stagegate/health failed on #3 during half: fail: eu-1, us-1: 5xx ratio 4 %');
    expect(failedClusters({ clusters, abort: { reason: bot, at } })).toEqual(['eu-1', 'us-1']);
    const alone = verdictReason('stagegate/health', 3, 'half', 'fail: us-1: 5xx');
    expect(failedClusters({ clusters, clusterAbort: { reason: alone, at, clusters: ['us-1'] } })).toEqual(['us-1']);
    // A person's reason (stagegate abort --reason "…") that only contains the title's form names none.
    expect(failedClusters({ clusters, abort: { reason: 'fail: eu-1: test', at } })).toEqual([]);
    expect(failedClusters({ clusters, abort: { reason: 'we saw fail: eu-1: in the logs', at } })).toEqual([]);
    expect(
      failedClusters({
        clusters,
        abort: { reason: verdictReason('stagegate/health', 3, 'half', 'fail: ap-9: x'), at },
      }),
    ).toEqual([]);
    expect(
      failedClusters({ clusters, abort: { reason: verdictReason('stagegate/health', 3, 'half', undefined), at } }),
    ).toEqual([]);
  });
});
