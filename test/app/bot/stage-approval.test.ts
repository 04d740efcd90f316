/**
 * Issue 15, people in the loop: a stage's `approval` (README "People in the loop", docs/design.md
 * §4 (e)) against the emulator — CODEOWNERS read from the default branch as GitHub does, team
 * membership through GET /orgs/{org}/teams/{team_slug}/memberships/{username} (tools/emulator/teams.ts),
 * each reviewer's latest review, write access only, and only on the PR's head commit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../../../app/bot/status.js';
import type { EmulatorOptions } from '../../../tools/emulator/index.js';
import {
  headOf,
  INTENT,
  MIN,
  MALLORY_TOKEN,
  PERSON_TOKEN,
  push,
  REPO_REF as r,
  STAGE,
  world,
  type World,
} from './harness.js';
import { Octokit } from '@octokit/rest';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The fixture intent with `approval` on its second stage (one-percent, the bot's first stage PR). */
const withApproval = (approval: string): string =>
  INTENT.replace(
    '- { name: one-percent, weight: 1, bake: 1h }',
    `- { name: one-percent, weight: 1, bake: 1h, approval: ${approval} }`,
  );

const PEOPLE: Record<string, string> = {
  'bob-token': 'bob',
  'carol-token': 'carol',
  'erin-token': 'erin',
  'frank-token': 'frank',
};

async function approvalWorld(approval: string, files: Record<string, string>, emulator: Partial<EmulatorOptions> = {}) {
  const intent = withApproval(approval);
  expect(intent).not.toBe(INTENT);
  w = await world(
    { 'rollouts/checkout.yaml': intent, ...files },
    {
      app: true,
      emulator: {
        users: { [PERSON_TOKEN]: 'alice', [MALLORY_TOKEN]: 'mallory', ...PEOPLE },
        // Every answer checked against @octokit/openapi (memberships, reviews, dismissals included).
        validateResponses: true,
        ...emulator,
      },
    },
  );
  const world_ = w;
  const as = (login: string): Octokit => {
    const token = Object.entries({ [PERSON_TOKEN]: 'alice', [MALLORY_TOKEN]: 'mallory', ...PEOPLE }).find(
      ([, l]) => l === login,
    )![0];
    return new Octokit({ auth: token, baseUrl: world_.gh.url, log: { debug() {}, info() {}, warn() {}, error() {} } });
  };
  const approve = (login: string, n = 1) =>
    as(login).rest.pulls.createReview({ ...r, pull_number: n, event: 'APPROVE' });
  return { w: world_, as, approve };
}

/** The bot opens the stage PR, its bake passes and CI is green on its head; returns the head. */
async function greenStagePr(world_: World, bot: ReturnType<World['bot']>): Promise<string> {
  expect((await bot.pass())[0]!.summary).toMatch(/^opened #1/);
  world_.advance(31 * MIN);
  return (await world_.greenChecks(STAGE))!;
}

const CODEOWNERS = {
  // First found wins: .github/ before the root, so the root file's @alice owns nothing here.
  '.github/CODEOWNERS': '* @alice\nrollouts/*.yaml @bob @mallory @acme/sre\n',
  CODEOWNERS: 'rollouts/ @alice\n',
};

describe('people in the loop: approval from code owners', () => {
  it('waits without it, ignores a non-owner and a read-only owner, merges on a code owner’s approval', async () => {
    const { w, approve } = await approvalWorld('codeowners', CODEOWNERS, { permissions: { mallory: 'read' } });
    const bot = w.bot();
    const head = await greenStagePr(w, bot);
    const waiting = `waiting: waiting for an approving review from code owners of rollouts/checkout.yaml on ${head.slice(0, 7)} (0 of 1)`;
    expect((await bot.pass())[0]!.summary).toBe(waiting);
    // alice has write access and owns "*" — but the later rollouts/*.yaml line wins for the intent.
    await approve('alice');
    // mallory is named a code owner but has read access only (GitHub counts write access or more).
    await approve('mallory');
    w.gh.resetLog();
    expect((await bot.pass())[0]!.summary).toBe(waiting);
    expect(w.gh.requests.filter((q) => q.method === 'PUT')).toEqual([]);
    // `stagegate status` says the same, with GET requests only.
    w.gh.resetLog();
    const [status] = await readStatus(bot.options);
    expect(status!.next).toEqual({ action: 'wait', reason: 'review', detail: waiting.replace('waiting: ', '') });
    expect(w.gh.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    await approve('bob');
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent');
  });

  it('counts a member of a team CODEOWNERS names; not one whose later review requests changes, nor a dismissed approval', async () => {
    const { w, as, approve } = await approvalWorld('codeowners', CODEOWNERS, {
      teams: { 'acme/sre': ['carol', 'frank'] },
    });
    const bot = w.bot();
    const head = await greenStagePr(w, bot);
    await approve('frank');
    await as('frank').rest.pulls.createReview({ ...r, pull_number: 1, event: 'REQUEST_CHANGES', body: 'not yet' });
    expect((await bot.pass())[0]!.summary).toBe(
      `waiting: waiting for an approving review from code owners of rollouts/checkout.yaml on ${head.slice(0, 7)} (0 of 1)`,
    );
    // A dismissed approval is withdrawn (its state is DISMISSED, OA pulls/dismiss-review).
    const { data: given } = await approve('carol');
    await as('alice').rest.pulls.dismissReview({ ...r, pull_number: 1, review_id: given.id, message: 'too early' });
    expect((await bot.pass())[0]!.summary).toBe(
      `waiting: waiting for an approving review from code owners of rollouts/checkout.yaml on ${head.slice(0, 7)} (0 of 1)`,
    );
    await approve('carol');
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });
});

describe('people in the loop: approval from named teams', () => {
  it('counts active members only (not a non-member, not a pending invitation), up to count', async () => {
    const { w, approve } = await approvalWorld(
      '{ teams: [acme/sre], count: 2 }',
      {},
      { teams: { 'acme/sre': ['carol', 'frank', 'erin:pending'] } },
    );
    const bot = w.bot();
    const head = await greenStagePr(w, bot);
    const waiting = (n: number) =>
      `waiting: waiting for an approving review from a member of acme/sre on ${head.slice(0, 7)} (${n} of 2)`;
    expect((await bot.pass())[0]!.summary).toBe(waiting(0));
    await approve('alice');
    await approve('erin');
    await approve('carol');
    w.gh.resetLog();
    expect((await bot.pass())[0]!.summary).toBe(waiting(1));
    expect(
      w.gh.requests
        .filter((q) => q.path.startsWith('/orgs/'))
        .map((q) => `${q.path} ${q.status}`)
        .sort(),
    ).toEqual([
      '/orgs/acme/teams/sre/memberships/alice 404',
      '/orgs/acme/teams/sre/memberships/carol 200',
      '/orgs/acme/teams/sre/memberships/erin 200',
    ]);
    await approve('frank');
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });

  it('does not count an approval given on an older head: the bot rebuilt the PR after the intent changed', async () => {
    const { w, approve } = await approvalWorld('{ teams: [acme/sre] }', {}, { teams: { 'acme/sre': ['carol'] } });
    const bot = w.bot();
    const first = await greenStagePr(w, bot);
    await approve('carol');
    // A person edits the intent on main (a comment): the bot rebuilds the stage PR on the new base.
    const main = await headOf(w.person, 'main');
    const text = w.gh.readFile('main', 'rollouts/checkout.yaml')!;
    await push(w.person, {
      parent: main,
      files: { 'rollouts/checkout.yaml': { content: `${text}# reviewed by the payments team\n` } },
      message: 'note on checkout',
      branch: 'main',
    });
    expect((await bot.pass())[0]!.summary).toBe('adopted #1 (rebuilt on the default branch)');
    // An edit of the intent restarts the bake (docs/design.md §4 (a)).
    w.advance(31 * MIN);
    const head = (await w.greenChecks(STAGE))!;
    expect(head).not.toBe(first);
    expect((await bot.pass())[0]!.summary).toBe(
      `waiting: waiting for an approving review from a member of acme/sre on ${head.slice(0, 7)} (0 of 1)`,
    );
    await approve('carol');
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });

  it('never holds a rollback PR for it', async () => {
    const { w } = await approvalWorld('{ teams: [acme/sre] }', {}, { teams: { 'acme/sre': ['carol'] } });
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toMatch(/^opened #1/);
    await w.greenChecks(STAGE, 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    const rb = (await w.pulls()).find((p) => p.number === 2)!;
    await w.check(rb.head.sha, 'stagegate/verify', 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #2 (100 % v1)');
  });
});
