/**
 * The planner's test world, shared by its table tests (planner.test.ts, planner-trust.test.ts,
 * merge-refusal.test.ts): a rollout model, PR states and check runs at fixed times, and the bot's
 * two identities (a personal token; the App `stagegate` trusting `stagegate-ci`).
 */
import { CHECK_HEALTH, CHECK_VERIFY, DEFAULT_REQUIRED_CHECKS } from '../../../constructs/conventions.js';
import type { RolloutModel } from '../../../constructs/model.js';
import type { Action, BotConfig, PullState, RolloutState } from '../../../app/bot/planner.js';
import type { CheckConclusion, CheckRun, CheckStatus } from '../../../app/bot/port.js';
import { rolloutModel } from '../../constructs/fixtures.js';

export const H = 3_600_000;
export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const at = (ms: number): string => new Date(T0 + ms).toISOString();
export const HEAD = 'a'.repeat(40);
export const OLD = 'b'.repeat(40);

export const config: BotConfig = {
  botLogin: 'stagegate-bot',
  requiredChecks: DEFAULT_REQUIRED_CHECKS,
  healthCheck: CHECK_HEALTH,
  allowedPrefixes: ['rollouts/', 'generated/'],
};

/** checkout (test/constructs/fixtures.ts) without a cohort: one-percent (1h bake), ten-percent (2h), full. */
export function model(stage = 'one-percent', extra: Partial<RolloutModel> = {}): RolloutModel {
  const { cohort: _none, ...checkout } = rolloutModel({
    stages: [
      { name: 'one-percent', weight: 1, cohort: false, bakeMs: H },
      { name: 'ten-percent', weight: 10, cohort: false, bakeMs: 2 * H },
      { name: 'full', weight: 100, cohort: false },
    ],
    stage,
    traffic: { baselineErrorRatio: 0.001 },
  });
  return { ...checkout, ...extra };
}

let nextId = 1;
export function run(
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
export const green = (ms = 1.5 * H): CheckRun[] => [
  run(CHECK_VERIFY, 'completed', 'success', 60_000),
  run(CHECK_HEALTH, 'completed', 'success', ms),
];

export function pull(
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

export function state(stagePr?: PullState, extra: Partial<RolloutState> = {}): RolloutState {
  return {
    defaultBranch: 'main',
    liveSince: new Date(T0),
    rolloutSince: new Date(T0),
    intentChangedAt: new Date(T0),
    ...(stagePr ? { stagePr } : {}),
    ...extra,
  };
}

export const NOW = new Date(T0 + 2 * H); // one-percent bakes 1h: window ended at T0+1h

/** The bot as the App `stagegate`, trusting `stagegate-ci` too (issue #10: --app-slug, --trust-app). */
export const appConfig: BotConfig = {
  ...config,
  botLogin: 'stagegate[bot]',
  trustedApps: ['stagegate', 'stagegate-ci'],
  requireVerified: true,
};
export const byApp = (r: CheckRun, slug: string): CheckRun => ({ ...r, app: { id: slug.length, slug } });
export const appCommit = { sha: HEAD, authorLogin: 'stagegate[bot]', committerLogin: 'web-flow', verified: true };
/** A PR of the App bot: its commit, checks from trusted Apps. */
export function appPull(over: Parameters<typeof pull>[0] = {}): PullState {
  const base = pull(over);
  return {
    ...base,
    pr: { ...base.pr, author: 'stagegate[bot]' },
    commits: over.commits ?? [appCommit],
    checks: over.checks ?? green().map((r) => byApp(r, 'stagegate-ci')),
  };
}
export const mine = (body: string) => ({ id: 1, user: 'stagegate[bot]', body });
export type Row = [
  string,
  RolloutState,
  Partial<{ now: Date; rollout: RolloutModel }>,
  Partial<Action> & { kind: Action['kind'] },
];
