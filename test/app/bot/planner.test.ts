import { describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import { freeBranch, plan } from '../../../app/bot/planner.js';
import { at, config, green, H, HEAD, model, NOW, OLD, pull, run, state, T0, type Row } from './planner-fixtures.js';

const rows: Row[] = [
  ['opens the next stage PR when none exists', state(), {}, { kind: 'open', from: 'one-percent', to: 'ten-percent' }],
  [
    'merges with the head sha once every check is green after the bake window',
    state(pull()),
    {},
    { kind: 'merge', sha: HEAD, number: 7, to: 'ten-percent' },
  ],
  [
    'waits for the bake window even when every check is green',
    state(pull({ checks: green(0.5 * H) })),
    { now: new Date(T0 + 0.5 * H) },
    { kind: 'wait', reason: 'bake', detail: 'bake 30m left' },
  ],
  [
    'waits when the only green health run completed before the window ended',
    state(pull({ checks: green(0.9 * H) })),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'accepts neutral and skipped non-health checks',
    state(
      pull({ checks: [...green(), run('lint', 'completed', 'neutral', 1), run('docs', 'completed', 'skipped', 1)] }),
    ),
    {},
    { kind: 'merge' },
  ],
  [
    'comments once on a failing non-health check and never merges',
    state(pull({ checks: [...green(), run('lint', 'completed', 'failure', 1)] })),
    {},
    { kind: 'comment', number: 7 },
  ],
  [
    'waits after it already commented on the failing check',
    (() => {
      const r = run('lint', 'completed', 'failure', 1);
      return state(
        pull({
          checks: [...green(), r],
          comments: [{ id: 1, user: 'stagegate-bot', body: `<!-- stagegate:check-failed:lint:${r.id} -->` }],
        }),
      );
    })(),
    {},
    { kind: 'wait', reason: 'checks' },
  ],
  [
    'ignores a forged comment marker from someone else',
    (() => {
      const r = run('lint', 'completed', 'failure', 1);
      return state(
        pull({
          checks: [...green(), r],
          comments: [{ id: 1, user: 'mallory', body: `<!-- stagegate:check-failed:lint:${r.id} -->` }],
        }),
      );
    })(),
    {},
    { kind: 'comment' },
  ],
  ...(['cancelled', 'timed_out', 'action_required', 'stale'] as const).map(
    (c): Row => [
      `waits on a ${c} verify check`,
      state(
        pull({ checks: [run(CHECK_HEALTH, 'completed', 'success', 1.5 * H), run(CHECK_VERIFY, 'completed', c, 1)] }),
      ),
      {},
      { kind: 'wait', reason: 'checks' },
    ],
  ),
  ...(['cancelled', 'timed_out', 'action_required', 'neutral', 'skipped'] as const).map(
    (c): Row => [
      `waits on a ${c} health check`,
      state(
        pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1), run(CHECK_HEALTH, 'completed', c, 1.5 * H)] }),
      ),
      {},
      { kind: 'wait', reason: 'health' },
    ],
  ),
  ...(['queued', 'in_progress'] as const).map(
    (s): Row => [
      `waits on a ${s} verify check`,
      state(pull({ checks: [run(CHECK_HEALTH, 'completed', 'success', 1.5 * H), run(CHECK_VERIFY, s, null, 1)] })),
      {},
      { kind: 'wait', reason: 'checks' },
    ],
  ),
  [
    'waits on an in-progress health check',
    state(
      pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1), run(CHECK_HEALTH, 'in_progress', null, 1.5 * H)] }),
    ),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'waits when the required verify check is missing',
    state(pull({ checks: [run(CHECK_HEALTH, 'completed', 'success', 1.5 * H)] })),
    {},
    { kind: 'wait', reason: 'checks', detail: `required check ${CHECK_VERIFY} not reported on aaaaaaa` },
  ],
  [
    'waits when health is missing',
    state(pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1)] })),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'does not count green checks reported on an old sha',
    state(
      pull({
        checks: [
          run(CHECK_VERIFY, 'completed', 'success', 1, OLD),
          run(CHECK_HEALTH, 'completed', 'success', 1.5 * H, OLD),
        ],
      }),
    ),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'lets the latest of several runs of one name count (red then green)',
    state(pull({ checks: [run(CHECK_VERIFY, 'completed', 'failure', 1), ...green()] })),
    {},
    { kind: 'merge' },
  ],
  [
    'lets the latest of several runs of one name count (green then re-run pending)',
    state(pull({ checks: [...green(), run(CHECK_VERIFY, 'queued', null, 1.6 * H)] })),
    {},
    { kind: 'wait', reason: 'checks' },
  ],
  [
    'rolls back when the latest health run is red',
    state(
      pull({
        checks: [run(CHECK_VERIFY, 'completed', 'success', 1), run(CHECK_HEALTH, 'completed', 'failure', 0.5 * H)],
      }),
    ),
    { now: new Date(T0 + 0.5 * H) },
    { kind: 'rollback', close: 7 },
  ],
  [
    'rolls back on a health failure since the window began even after a later green run',
    state(pull({ checks: green(), healthHistory: [run(CHECK_HEALTH, 'completed', 'failure', 0.2 * H, OLD)] })),
    {},
    { kind: 'rollback', close: 7 },
  ],
  [
    'ignores a health failure from before the window began',
    state(pull({ healthHistory: [run(CHECK_HEALTH, 'completed', 'failure', -H, OLD)] })),
    {},
    { kind: 'merge' },
  ],
  [
    'accepts a combined status of pending with zero statuses',
    state(pull({ combined: { state: 'pending', totalCount: 0 } })),
    {},
    { kind: 'merge' },
  ],
  [
    'waits on a pending combined status when statuses exist',
    state(pull({ combined: { state: 'pending', totalCount: 2 } })),
    {},
    { kind: 'wait', reason: 'checks' },
  ],
  [
    'waits on a failed combined status',
    state(pull({ combined: { state: 'failure', totalCount: 1 } })),
    {},
    { kind: 'wait', reason: 'checks' },
  ],
  [
    'refuses a PR carrying a commit another person wrote',
    state(pull({ commits: [{ sha: HEAD, authorLogin: 'mallory', committerLogin: 'mallory' }] })),
    {},
    { kind: 'refuse', alreadyCommented: false },
  ],
  [
    'refuses a PR touching a file outside rollouts/ and generated/',
    state(pull({ files: ['rollouts/checkout.yaml', '.github/workflows/ci.yaml'] })),
    {},
    { kind: 'refuse', problems: ['file .github/workflows/ci.yaml is outside rollouts/ and generated/'] },
  ],
  [
    'remembers it already refused',
    state(pull({ files: ['x.sh'], comments: [{ id: 3, user: 'stagegate-bot', body: '<!-- stagegate:refused -->' }] })),
    {},
    { kind: 'refuse', alreadyCommented: true },
  ],
  [
    'updates a PR whose content no longer matches the intent',
    state(pull({ contentCurrent: false })),
    {},
    { kind: 'update', content: true },
  ],
  [
    'adds the stagegate label to an adopted PR',
    state(pull({ labels: [] })),
    {},
    { kind: 'update', content: false, labels: ['stagegate'] },
  ],
  [
    'does not touch a paused PR',
    state(pull({ labels: ['stagegate', 'stagegate:pause'] })),
    {},
    { kind: 'nothing', reason: 'paused' },
  ],
  [
    'respects a stage PR a person closed',
    state(pull({ state: 'closed', closedAt: at(H) })),
    {},
    { kind: 'nothing', reason: 'closed-by-person' },
  ],
  [
    'opens a new PR after a person closed one and the intent changed since',
    state(pull({ state: 'closed', closedAt: at(H) }), { intentChangedAt: new Date(T0 + 1.5 * H) }),
    {},
    { kind: 'open' },
  ],
  [
    'waits for the default branch after a person merged the PR',
    state(pull({ state: 'closed', merged: true, mergedAt: at(H), closedAt: at(H) })),
    {},
    { kind: 'wait', reason: 'merged-pending' },
  ],
  [
    'marks a PR stalled once past the stage timebox',
    state(pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1)] })),
    { now: new Date(T0 + 25 * H) },
    { kind: 'stalled', number: 7, label: true, comment: true },
  ],
  [
    'finishes a stalled marking a crash cut short (label there, comment missing)',
    state(pull({ labels: ['stagegate', 'stagegate:stalled'], checks: [run(CHECK_VERIFY, 'completed', 'success', 1)] })),
    { now: new Date(T0 + 25 * H) },
    { kind: 'stalled', label: false, comment: true },
  ],
  [
    'marks a PR stalled once past the rollout timebox',
    state(pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1)] }), {
      rolloutSince: new Date(T0 - 7 * 24 * H),
    }),
    {},
    {
      kind: 'stalled',
      detail: expect.stringContaining('the rollout has run longer than its timebox (168h)') as unknown as string,
    },
  ],
  [
    'only waits once the PR is labelled and commented stalled',
    state(
      pull({
        labels: ['stagegate', 'stagegate:stalled'],
        comments: [{ id: 1, user: 'stagegate-bot', body: '<!-- stagegate:stalled -->' }],
        checks: [run(CHECK_VERIFY, 'completed', 'success', 1)],
      }),
    ),
    { now: new Date(T0 + 25 * H) },
    { kind: 'wait', reason: 'health' },
  ],
  ['finishes at the last stage', state(), { rollout: model('full') }, { kind: 'finish', stage: 'full' }],
  [
    'does nothing on an aborted rollout',
    state(pull()),
    { rollout: model('one-percent', { abort: { reason: 'x', at: at(0) } }) },
    { kind: 'nothing', reason: 'aborted' },
  ],
  [
    'merges an open rollback PR as soon as verify passes, without bake or health',
    state(pull({ state: 'closed', closedAt: at(0) }), {
      rollbackPr: pull({ checks: [run(CHECK_VERIFY, 'completed', 'success', 1)] }),
    }),
    { now: new Date(T0 + 60_000) },
    { kind: 'merge-rollback', sha: HEAD },
  ],
  [
    'waits for verify on a rollback PR',
    state(undefined, { rollbackPr: pull({ checks: [] }) }),
    {},
    { kind: 'wait', reason: 'rollback-checks' },
  ],
  [
    'closes a stage PR left open by a crash during rollback',
    state(pull({ checks: green() }), { rollbackPr: { ...pull(), pr: { ...pull().pr, number: 9 } } }),
    {},
    { kind: 'rollback', close: 7 },
  ],
];

describe('plan', () => {
  it.each(rows)('%s', (_name, st, over, expected) => {
    const action = plan({ rollout: over.rollout ?? model(), state: st, now: over.now ?? NOW, config });
    expect(action).toMatchObject(expected);
  });
  it('keeps what the health run passed on (its title: the gate’s evidence) in the merge evidence, the ledger', () => {
    const health = {
      ...run(CHECK_HEALTH, 'completed', 'success', 1.5 * H),
      summary: 'pass: stage baked and healthy; x',
    };
    const checks = [run(CHECK_VERIFY, 'completed', 'success', 60_000), health];
    const action = plan({ rollout: model(), state: state(pull({ checks })), now: NOW, config });
    expect(action.kind === 'merge' ? action.evidence.health : action.kind).toBe(
      `stagegate/health success at ${health.completedAt} (run ${health.id}): pass: stage baked and healthy; x`,
    );
  });
  it('puts the evidence of the bake into the merge action', () => {
    const action = plan({ rollout: model(), state: state(pull()), now: NOW, config });
    expect(action.kind === 'merge' ? action.evidence : undefined).toMatchObject({
      stage: 'one-percent',
      bake: '1h',
      checks: [CHECK_HEALTH, CHECK_VERIFY],
    });
  });
});

describe('branch names', () => {
  it('takes the first candidate no open PR uses, with a suffix no stage name can have', () => {
    expect(freeBranch('stagegate/shop/checkout/rollback', [])).toBe('stagegate/shop/checkout/rollback');
    expect(freeBranch('stagegate/shop/checkout/half', ['stagegate/shop/checkout/half'])).toBe(
      'stagegate/shop/checkout/half_2',
    );
  });
});
