/** Issue #10: the planner's trust model and merge policy as rows (the bot runs as the App `stagegate`). */
import { describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import { plan } from '../../../app/bot/planner.js';
import {
  appCommit,
  appConfig,
  appPull,
  at,
  byApp,
  green,
  H,
  mine,
  model,
  NOW,
  run,
  state,
  T0,
  type Row,
} from './planner-fixtures.js';

const trustRows: Row[] = [
  [
    'item 2: a health success from an untrusted App (a workflow token) does not count',
    state(
      appPull({
        checks: [
          byApp(run(CHECK_VERIFY, 'completed', 'success', 60_000), 'stagegate-ci'),
          byApp(run(CHECK_HEALTH, 'in_progress', null, 1.5 * H), 'stagegate'),
          byApp(run(CHECK_HEALTH, 'completed', 'success', 1.6 * H), 'github-actions'),
        ],
      }),
    ),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'item 2: a health failure from an untrusted App does not roll back',
    state(
      appPull({
        checks: [
          ...green().map((r) => byApp(r, 'stagegate-ci')),
          byApp(run(CHECK_HEALTH, 'completed', 'failure', 1.7 * H), 'other-app'),
        ],
      }),
    ),
    {},
    { kind: 'merge' },
  ],
  [
    'item 2: a run without an App (no `app`) does not count when Apps are trusted',
    state(appPull({ checks: green() })),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'item 13: the bot’s own workflow job (github-actions, failing) neither blocks nor gets a comment',
    state(
      appPull({
        checks: [
          ...green().map((r) => byApp(r, 'stagegate-ci')),
          byApp(run('advance', 'completed', 'failure', 1.7 * H), 'github-actions'),
        ],
      }),
    ),
    {},
    { kind: 'merge' },
  ],
  [
    'item 11: an older health run that completes last as timed_out is the latest (by completed_at), so no merge',
    (() => {
      const late = byApp(run(CHECK_HEALTH, 'completed', 'timed_out', 1.8 * H), 'stagegate');
      const early = byApp(run(CHECK_HEALTH, 'completed', 'success', 1.5 * H), 'stagegate');
      // the timed_out job started first (lower id, earlier start) but reported last
      return state(
        appPull({
          checks: [
            byApp(run(CHECK_VERIFY, 'completed', 'success', 60_000), 'stagegate-ci'),
            { ...late, id: 1, startedAt: at(0.2 * H) },
            { ...early, startedAt: at(1.4 * H) },
          ],
        }),
      );
    })(),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'item 11: an older verify run that completes last as cancelled holds the merge',
    state(
      appPull({
        checks: [
          byApp({ ...run(CHECK_VERIFY, 'completed', 'cancelled', 1.9 * H), id: 0, startedAt: at(0) }, 'stagegate-ci'),
          byApp(run(CHECK_VERIFY, 'completed', 'success', 60_000), 'stagegate-ci'),
          byApp(run(CHECK_HEALTH, 'completed', 'success', 1.5 * H), 'stagegate'),
        ],
      }),
    ),
    {},
    { kind: 'wait', reason: 'checks' },
  ],
  [
    'item 2: a failing status from someone untrusted does not hold the merge',
    state(
      appPull({
        statuses: [{ id: 1, context: 'stagegate/health', state: 'failure', creator: 'mallory' }],
        combined: { state: 'failure', totalCount: 1 },
      }),
    ),
    {},
    { kind: 'merge' },
  ],
  [
    'item 2: a status never stands in for health (a success status named stagegate/health)',
    state(
      appPull({
        checks: [byApp(run(CHECK_VERIFY, 'completed', 'success', 60_000), 'stagegate-ci')],
        statuses: [{ id: 1, context: CHECK_HEALTH, state: 'success', creator: 'stagegate[bot]' }],
      }),
    ),
    {},
    { kind: 'wait', reason: 'health' },
  ],
  [
    'item 2: a failing status from a trusted App holds the merge',
    state(appPull({ statuses: [{ id: 1, context: 'ci/x', state: 'failure', creator: 'stagegate-ci[bot]' }] })),
    {},
    { kind: 'wait', reason: 'checks' },
  ],
  [
    'item 1: a commit carrying the bot’s login but not GitHub’s signature (a push with its email) is refused',
    state(appPull({ commits: [{ ...appCommit, verified: false }] })),
    {},
    { kind: 'refuse', alreadyCommented: false },
  ],
  [
    'item 1: a commit committed as web-flow without a signature is refused',
    state(appPull({ commits: [{ ...appCommit, committerLogin: 'web-flow', verified: false }] })),
    {},
    { kind: 'refuse' },
  ],
  [
    'item 1: a commit with a foreign author email is refused even if attributed to the bot',
    state(appPull({ commits: [{ ...appCommit, authorEmail: 'mallory@example.com' }] })),
    {},
    { kind: 'refuse' },
  ],
  [
    'item 1: the bot’s own noreply email is accepted',
    state(appPull({ commits: [{ ...appCommit, authorEmail: '99+stagegate[bot]@users.noreply.github.com' }] })),
    {},
    { kind: 'merge' },
  ],
  [
    'variant: a symlink under generated/ is refused',
    state(appPull({ oddModes: new Map([['generated/checkout.k8s.yaml', '120000']]) })),
    {},
    { kind: 'refuse', problems: ['file generated/checkout.k8s.yaml is a symlink, not a plain file'] },
  ],
  [
    'variant: an executable under rollouts/ is refused',
    state(appPull({ oddModes: new Map([['rollouts/checkout.yaml', '100755']]) })),
    {},
    { kind: 'refuse', problems: ['file rollouts/checkout.yaml is an executable, not a plain file'] },
  ],
  [
    'item 1: a file under rollouts/ the PR should not change (another rollout’s intent) is refused',
    state(
      appPull({ expectedFiles: ['rollouts/checkout.yaml'], files: ['rollouts/checkout.yaml', 'rollouts/cart.yaml'] }),
    ),
    {},
    { kind: 'refuse', problems: ['file rollouts/cart.yaml is not one this PR changes'] },
  ],
  [
    'item 4: the bot’s PR retargeted at another base is pointed back at the default branch, never merged',
    state(appPull({ pr: { ...appPull().pr, baseRef: 'release' } } as never)),
    {},
    { kind: 'update', base: 'main' },
  ],
  [
    'item 1: someone else’s PR on a bot branch gets one comment saying why it is ignored',
    state(undefined, { foreign: [{ ...appPull(), pr: { ...appPull().pr, number: 9, author: 'mallory' } }] }),
    { now: new Date(T0 + 60_000) },
    { kind: 'comment', number: 9, marker: 'ignored' },
  ],
  [
    'item 1: …and only once; then the bot opens its own PR on a branch nobody holds',
    state(undefined, {
      foreign: [
        {
          ...appPull({ comments: [mine('<!-- stagegate:ignored -->')] }),
          pr: { ...appPull().pr, number: 9, author: 'mallory' },
        },
      ],
      takenHeads: ['stagegate/shop/checkout/ten-percent'],
    }),
    { now: new Date(T0 + 60_000) },
    { kind: 'open', branch: 'stagegate/shop/checkout/ten-percent_2' },
  ],
  [
    'item 3: a health failure rolls back on a free branch when someone holds the rollback branch',
    state(appPull({ checks: [byApp(run(CHECK_HEALTH, 'completed', 'failure', 0.5 * H), 'stagegate')] }), {
      takenHeads: ['stagegate/shop/checkout/rollback'],
    }),
    {},
    { kind: 'rollback', close: 7, branch: 'stagegate/shop/checkout/rollback_2', commentClose: true },
  ],
  [
    'item 3: a stage PR the bot closed for a rollback that was then closed unmerged: roll back again, not "closed by a person"',
    state(
      appPull({
        state: 'closed',
        closedAt: at(H),
        comments: [mine('<!-- stagegate:closed-for-rollback -->\nClosed by stagegate: health red. Rollback: #8.')],
      }),
    ),
    {},
    { kind: 'rollback', reason: expect.stringContaining('health red') as unknown as string },
  ],
  [
    'item 3: …but a person’s "closed-for-rollback" text does not count',
    state(
      appPull({
        state: 'closed',
        closedAt: at(H),
        comments: [{ id: 1, user: 'mallory', body: '<!-- stagegate:closed-for-rollback -->' }],
      }),
    ),
    {},
    { kind: 'nothing', reason: 'closed-by-person' },
  ],
  [
    'item 12: after a crash between the closing comment and the close, the close is finished without a second comment',
    state(
      appPull({ comments: [mine('<!-- stagegate:closed-for-rollback -->\nClosed by stagegate: x. Rollback: #9.')] }),
      {
        rollbackPr: { ...appPull(), pr: { ...appPull().pr, number: 9, headRef: 'stagegate/shop/checkout/rollback' } },
      },
    ),
    {},
    { kind: 'rollback', close: 7, commentClose: false },
  ],
  [
    'item 3: the bot’s rollback PR carrying someone else’s commit is not merged: a clean one is opened on a fresh branch',
    state(undefined, {
      rollbackPr: {
        ...appPull({ commits: [{ ...appCommit, authorLogin: 'mallory' }] }),
        pr: { ...appPull().pr, number: 9, headRef: 'stagegate/shop/checkout/rollback' },
      },
    }),
    {},
    { kind: 'rollback', branch: 'stagegate/shop/checkout/rollback_2' },
  ],
  [
    'item 1: the bot’s rollback PR whose head is not what it writes is rebuilt, not merged',
    state(undefined, {
      rollbackPr: {
        ...appPull({ contentCurrent: false }),
        pr: { ...appPull().pr, number: 9, headRef: 'stagegate/shop/checkout/rollback' },
      },
    }),
    {},
    { kind: 'rebuild-rollback', number: 9 },
  ],
  [
    'item 12: a refusal is commented once per reason',
    state(appPull({ files: ['x.sh'] })),
    {},
    {
      kind: 'refuse',
      alreadyCommented: false,
      marker: expect.stringMatching(/^refused:[0-9a-f]{10}$/) as unknown as string,
    },
  ],
  [
    'item 6: a hostile health summary is bounded and pings nobody in the rollback reason',
    state(
      appPull({
        checks: [
          {
            ...byApp(run(CHECK_HEALTH, 'completed', 'failure', 0.5 * H), 'stagegate'),
            summary: `@acme/oncall ${'x'.repeat(5000)}\u0007`,
          },
        ],
      }),
    ),
    {},
    {
      kind: 'rollback',
      reason: expect.stringMatching(new RegExp(`^[^${String.fromCharCode(7)}]{0,1100}$`)) as unknown as string,
    },
  ],
];

describe('plan', () => {
  it.each(trustRows)('%s', (_name, st, over, expected) => {
    const action = plan({ rollout: over.rollout ?? model(), state: st, now: over.now ?? NOW, config: appConfig });
    expect(action).toMatchObject(expected);
  });

  it('item 6: the rollback reason from a hostile check carries no raw @mention', () => {
    const st = state(
      appPull({
        checks: [
          { ...byApp(run(CHECK_HEALTH, 'completed', 'failure', 0.5 * H), 'stagegate'), summary: '@acme/oncall' },
        ],
      }),
    );
    const action = plan({ rollout: model(), state: st, now: NOW, config: appConfig });
    expect(action.kind === 'rollback' ? action.reason : '').toContain('@\u200bacme/oncall');
  });
});
