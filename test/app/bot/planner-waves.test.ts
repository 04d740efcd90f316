/**
 * The planner's rows for a wave across clusters and onClusterFailure (docs/design.md §4c): which
 * clusters a red health run rolls back, the wave going on after a cluster rollback, and a rollout
 * that is never complete while a cluster is rolled back.
 */
import { describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import type { RolloutModel } from '../../../constructs/model.js';
import { plan, type PullState, type RolloutState } from '../../../app/bot/planner.js';
import { at, config, H, model, NOW, pull, run, state, T0 } from './planner-fixtures.js';

const ALL = ['eu-1', 'us-1'];
/** ten-percent live (both clusters reached), one-percent reached eu-1 alone. */
function wave(stage: string, extra: Partial<RolloutModel> = {}): RolloutModel {
  const m = model(stage);
  return {
    ...m,
    clusters: ALL,
    onClusterFailure: 'cluster',
    stages: m.stages.map((s, i) => ({ ...s, clusters: i === 0 ? ['eu-1'] : ALL })),
    ...extra,
  };
}
const red = (title: string, doneMs = 0.5 * H) => ({
  ...run(CHECK_HEALTH, 'completed', 'failure', doneMs),
  summary: title,
});
const redPull = (...titles: string[]): PullState =>
  pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1)], healthHistory: titles.map((t) => red(t)) });
const act = (rollout: RolloutModel, s: RolloutState, now = new Date(T0 + 0.5 * H)) =>
  plan({ rollout, state: s, now, config });

describe('the planner on a wave: what red health rolls back', () => {
  it('cluster: the red cluster the gate named, alone', () => {
    expect(act(wave('ten-percent'), state(redPull('fail: us-1: errors: canary 9 %')))).toMatchObject({
      kind: 'rollback',
      close: 7,
      clusters: ['us-1'],
      reason: 'stagegate/health failed on #7 during ten-percent: fail: us-1: errors: canary 9 %',
    });
  });

  it('cluster: adds the red cluster to those rolled back before, in spec.clusters’ order', () => {
    const three = wave('ten-percent', {
      clusters: ['eu-1', 'us-1', 'ap-1'],
      clusterAbort: { reason: 'ap-1 red', at: at(0), clusters: ['ap-1'] },
    });
    const withAp = { ...three, stages: three.stages.map((s) => ({ ...s, clusters: [...(s.clusters ?? []), 'ap-1'] })) };
    expect(act(withAp, state(redPull('fail: us-1: x')))).toMatchObject({
      kind: 'rollback',
      clusters: ['us-1', 'ap-1'],
    });
  });

  it.each([
    [
      'rollout (the default) rolls back the whole wave',
      wave('ten-percent', { onClusterFailure: 'rollout' }),
      ['fail: us-1: x'],
    ],
    [
      'a failure that names no cluster is the whole wave',
      wave('ten-percent'),
      ['fail: us-1: x', 'stagegate/health: failure'],
    ],
    [
      'every reached cluster red (two runs) leaves nothing to vouch: the whole wave',
      wave('ten-percent'),
      ['fail: us-1: x', 'fail: eu-1: y'],
    ],
    ['the only reached cluster red: the whole wave', wave('one-percent'), ['fail: eu-1: x']],
    ['a cluster the live stage does not reach: the whole wave', wave('one-percent'), ['fail: us-1: x']],
  ] as const)('%s', (_name, rollout, titles) => {
    const action = act(rollout, state(redPull(...titles)));
    expect(action.kind).toBe('rollback');
    expect(action.kind === 'rollback' && action.clusters).toBeUndefined();
  });

  it('a refused rollback PR’s declared clusters are not trusted: the clean one is the whole rollout', () => {
    const foreign = pull({
      commits: [{ sha: 'c'.repeat(40), authorLogin: 'mallory', committerLogin: 'mallory' }],
      abort: { reason: 'r', at: at(0), clusters: ['eu-1'] },
    } as Partial<PullState>);
    const action = act(wave('ten-percent'), state(undefined, { rollbackPr: foreign }));
    expect(action).toMatchObject({ kind: 'rollback', reason: 'r' });
    expect(action.kind === 'rollback' && action.evidence[0]).toMatch(/^#7 was refused: /);
    expect(action.kind === 'rollback' && action.clusters).toBeUndefined();
  });
});

describe('the planner on a wave after a cluster rollback', () => {
  const rolledBack = (stage: string) =>
    wave(stage, { clusterAbort: { reason: 'us-1 red', at: at(0.5 * H), clusters: ['us-1'] } });

  it('opens the next stage again: the PR it closed for the cluster rollback that landed is history', () => {
    const closed = pull({
      state: 'closed',
      closedAt: at(0.5 * H),
      comments: [
        {
          id: 1,
          user: 'stagegate-bot',
          body: '<!-- stagegate:closed-for-rollback -->\nClosed by stagegate: x. Rollback: #8.',
        },
      ],
    });
    expect(act(rolledBack('ten-percent'), state(closed, { intentChangedAt: new Date(T0 + 0.5 * H) }))).toMatchObject({
      kind: 'open',
      from: 'ten-percent',
      to: 'full',
    });
  });

  it('is never complete at the last stage while a cluster is rolled back', () => {
    expect(act(rolledBack('full'), state(), NOW)).toEqual({
      kind: 'nothing',
      reason: 'aborted',
      detail: 'full is live in eu-1, but us-1 is rolled back (us-1 red); stagegate retry starts the rollout over',
    });
    expect(act(wave('full'), state(), NOW)).toEqual({ kind: 'finish', stage: 'full' });
  });
});
