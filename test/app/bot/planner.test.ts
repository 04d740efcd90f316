import { describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY, DEFAULT_REQUIRED_CHECKS } from '../../../constructs/conventions.js';
import type { RolloutModel } from '../../../constructs/model.js';
import {
  classifyMergeRefusal,
  freeBranch,
  mergeRefusal,
  pickMergeMethod,
  plan,
  type Action,
  type BotConfig,
  type PullState,
  type RolloutState,
} from '../../../app/bot/planner.js';
import type { CheckConclusion, CheckRun, CheckStatus } from '../../../app/bot/port.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

const config: BotConfig = {
  botLogin: 'stagegate-bot',
  requiredChecks: DEFAULT_REQUIRED_CHECKS,
  healthCheck: CHECK_HEALTH,
  allowedPrefixes: ['rollouts/', 'generated/'],
};

function model(stage = 'one-percent', extra: Partial<RolloutModel> = {}): RolloutModel {
  return {
    name: 'checkout',
    namespace: 'shop',
    service: { host: 'checkout', port: 8080, gateways: ['mesh'] },
    versionLabel: 'version',
    stable: 'v1',
    canary: 'v2',
    stages: [
      { name: 'one-percent', weight: 1, cohort: false, bakeMs: H },
      { name: 'ten-percent', weight: 10, cohort: false, bakeMs: 2 * H },
      { name: 'full', weight: 100, cohort: false },
    ],
    stage,
    health: {
      errorRatio: { max: 0.01, maxVsStable: 2 },
      latencyP99Ms: { max: 300, maxVsStable: 1.5 },
      minRequests: 'auto',
      saturation: { max: 0.01 },
    },
    trafficPolicy: {},
    timebox: { stageMs: 24 * H, rolloutMs: 7 * 24 * H },
    metrics: { reporter: 'destination', versionLabel: 'destination_version', timeScale: 1, protocol: 'http' },
    traffic: { baselineErrorRatio: 0.001 },
    dashboard: false,
    ...extra,
  };
}

let nextId = 1;
function run(
  name: string,
  status: CheckStatus,
  conclusion: CheckConclusion | null,
  doneMs: number,
  sha = HEAD,
): CheckRun {
  return {
    id: nextId++,
    name,
    headSha: sha,
    status,
    conclusion,
    startedAt: at(doneMs - 60_000),
    completedAt: status === 'completed' ? at(doneMs) : null,
  };
}
const green = (ms = 1.5 * H): CheckRun[] => [
  run(CHECK_VERIFY, 'completed', 'success', 60_000),
  run(CHECK_HEALTH, 'completed', 'success', ms),
];

function pull(
  over: Partial<PullState> & {
    labels?: string[];
    state?: 'open' | 'closed';
    merged?: boolean;
    closedAt?: string;
    mergedAt?: string;
  } = {},
): PullState {
  const {
    labels = ['stagegate'],
    state = 'open',
    merged = false,
    closedAt = null,
    mergedAt = null,
    ...rest
  } = over as Record<string, never>;
  return {
    pr: {
      number: 7,
      state,
      merged,
      mergedAt,
      closedAt,
      createdAt: at(0),
      headRef: 'stagegate/shop/checkout/ten-percent',
      headSha: HEAD,
      baseRef: 'main',
      title: 't',
      body: '',
      labels,
      url: 'u',
    },
    commits: [{ sha: HEAD, authorLogin: 'stagegate-bot', committerLogin: 'stagegate-bot' }],
    files: ['rollouts/checkout.yaml', 'generated/checkout.k8s.yaml', 'rollouts/changelog/shop-checkout.md'],
    comments: [],
    checks: green(),
    healthHistory: [],
    combined: { state: 'pending', totalCount: 0 },
    contentCurrent: true,
    ...rest,
  };
}

function state(stagePr?: PullState, extra: Partial<RolloutState> = {}): RolloutState {
  return {
    defaultBranch: 'main',
    liveSince: new Date(T0),
    rolloutSince: new Date(T0),
    intentChangedAt: new Date(T0),
    ...(stagePr ? { stagePr } : {}),
    ...extra,
  };
}

const NOW = new Date(T0 + 2 * H); // one-percent bakes 1h: window ended at T0+1h

/** The bot as the App `stagegate`, trusting `stagegate-ci` too (issue #10: --app-slug, --trust-app). */
const appConfig: BotConfig = {
  ...config,
  botLogin: 'stagegate[bot]',
  trustedApps: ['stagegate', 'stagegate-ci'],
  requireVerified: true,
};
const byApp = (r: CheckRun, slug: string): CheckRun => ({ ...r, app: { id: slug.length, slug } });
const appCommit = { sha: HEAD, authorLogin: 'stagegate[bot]', committerLogin: 'web-flow', verified: true };
/** A PR of the App bot: its commit, checks from trusted Apps. */
function appPull(over: Parameters<typeof pull>[0] = {}): PullState {
  const base = pull(over);
  return {
    ...base,
    pr: { ...base.pr, author: 'stagegate[bot]' },
    commits: over.commits ?? [appCommit],
    checks: over.checks ?? green().map((r) => byApp(r, 'stagegate-ci')),
  };
}
const mine = (body: string) => ({ id: 1, user: 'stagegate[bot]', body });
type Row = [
  string,
  RolloutState,
  Partial<{ now: Date; rollout: RolloutModel }>,
  Partial<Action> & { kind: Action['kind'] },
];

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

/** Issue #10: the trust model and merge policy, as rows (the bot runs as the App `stagegate`). */
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
  it.each(rows)('%s', (_name, st, over, expected) => {
    const action = plan({ rollout: over.rollout ?? model(), state: st, now: over.now ?? NOW, config });
    expect(action).toMatchObject(expected);
  });

  it.each(trustRows)('%s', (_name, st, over, expected) => {
    const action = plan({ rollout: over.rollout ?? model(), state: st, now: over.now ?? NOW, config: appConfig });
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

  it('puts the evidence of the bake into the merge action', () => {
    const action = plan({ rollout: model(), state: state(pull()), now: NOW, config });
    expect(action.kind === 'merge' ? action.evidence : undefined).toMatchObject({
      stage: 'one-percent',
      bake: '1h',
      checks: [CHECK_HEALTH, CHECK_VERIFY],
    });
  });
});

/** Each 405 message GitHub gives on merge (sources in planner.ts classifyMergeRefusal) → the decision. */
const refusals: Array<[string, string, Partial<Action> & { kind: Action['kind'] }]> = [
  [
    'Base branch was modified. Review and try the merge again.',
    'base-modified',
    { kind: 'wait', reason: 'merge-retry' },
  ],
  ['Head branch is out of date. Review and try the merge again.', 'behind', { kind: 'update-branch', sha: HEAD }],
  [
    'Repository rule violations found\n\nAt least 1 approving review is required by reviewers with write access.\n\n',
    'review',
    { kind: 'comment', marker: 'merge-refused:review' },
  ],
  ['At least 1 approving review is required by reviewers with write access.', 'review', { kind: 'comment' }],
  ['Waiting on code owner review from acme/sre.', 'review', { kind: 'comment' }],
  ['New changes require approval from someone other than the last pusher.', 'review', { kind: 'comment' }],
  ['Changes must be made through the merge queue', 'merge-queue', { kind: 'stalled', label: true, comment: true }],
  ['Squash merges are not allowed on this repository.', 'method', { kind: 'stalled', marker: 'merge-refused:method' }],
  ['Merge commits are not allowed on this repository.', 'method', { kind: 'stalled' }],
  ['Required status check "ci/build" is expected.', 'checks-expected', { kind: 'stalled' }],
  ['2 of 2 required status checks are expected.', 'checks-expected', { kind: 'stalled' }],
  ['Pull Request is not mergeable', 'not-mergeable', { kind: 'stalled' }],
  [
    'Something new GitHub says',
    'other',
    { kind: 'stalled', detail: expect.stringContaining('Something new GitHub says') as unknown as string },
  ],
];

describe('item 8: what the bot does with each merge refusal', () => {
  it.each(refusals)('%s → %s', (message, kind, expected) => {
    expect(classifyMergeRefusal(message)).toBe(kind);
    expect(mergeRefusal(appPull(), message, appConfig)).toMatchObject(expected);
  });

  it('waits for an approving review once it has said so, without a second comment', () => {
    const said = appPull({ comments: [mine('<!-- stagegate:merge-refused:review -->')] });
    expect(mergeRefusal(said, 'At least 1 approving review is required', appConfig)).toMatchObject({
      kind: 'wait',
      reason: 'review',
      detail: expect.stringContaining('waiting for an approving review'),
    });
  });

  it('labels and comments a stalled merge once each', () => {
    const done = appPull({
      labels: ['stagegate', 'stagegate:stalled'],
      comments: [mine('<!-- stagegate:merge-refused:merge-queue -->')],
    });
    expect(mergeRefusal(done, 'Changes must be made through the merge queue', appConfig)).toMatchObject({
      kind: 'stalled',
      label: false,
      comment: false,
    });
  });

  it.each([
    [{ squash: true, merge: true, rebase: true }, undefined, 'squash'],
    [{ squash: false, merge: true, rebase: true }, undefined, 'merge'],
    [{ squash: false, merge: false, rebase: true }, undefined, 'rebase'],
    [{}, undefined, 'squash'],
    [{ squash: true }, 'rebase', 'rebase'],
  ] as const)('picks the merge method from %j (override %s) → %s', (allowed, override, expected) => {
    expect(pickMergeMethod(allowed, override)).toBe(expected);
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
