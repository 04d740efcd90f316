/**
 * Issue #10 as tests: a person with write access (not admin), a workflow's GITHUB_TOKEN and other
 * Apps act over REST against the emulator, the way the audit (../shared/audits/github-bot.md)
 * reproduced each defect. The bot runs as the GitHub App `stagegate` (installation token,
 * `--app-slug stagegate --trust-app stagegate-ci`) unless a test says otherwise. Each test failed
 * on the bot before the trust model (docs/design.md, "Bot trust model and merge rule").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import { FIELD_MAX } from '../../../app/bot/text.js';
import {
  headOf,
  MIN,
  OWNER,
  push,
  REPO,
  world,
  type World,
  REPO_REF as r,
  STAGE,
  ROLLBACK,
  commentBodies,
  pullOf,
} from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const comments = (n: number): Promise<string[]> => commentBodies(w!, n);
const pull = (n: number) => pullOf(w!, n);
const mainSha = async (): Promise<string> => headOf(w!.ci, 'main');

describe('item 1: the rollback fast path is only for the bot’s own rollback PR', () => {
  it('ignores a rollback-branch PR someone else opened on the bot’s stage commit: no close, no merge, one comment', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    const stageHead = await headOf(w.ci, STAGE);
    await w.check(stageHead, CHECK_VERIFY, 'success');
    await w.check(stageHead, CHECK_HEALTH, 'neutral', 'in_progress');
    // mallory points the rollback branch at the bot's own (verified) stage commit and opens a PR.
    await w.mallory.rest.git.createRef({ ...r, ref: `refs/heads/${ROLLBACK}`, sha: stageHead });
    const fake = await w.mallory.rest.pulls.create({
      ...r,
      head: ROLLBACK,
      base: 'main',
      title: 'stagegate: roll back checkout (100 % v1)',
    });
    for (let i = 0; i < 3; i += 1) await bot.pass();
    expect((await pull(1)).state).toBe('open');
    expect((await pull(fake.data.number)).merged).toBe(false);
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: internal');
    const said = await comments(fake.data.number);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('stagegate ignores this PR: it was opened by @\u200bmallory');
  });

  it('rebuilds its own rollback PR whose branch someone pointed at a stage commit of the bot, and never merges that commit', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const stageHead = await headOf(w.ci, STAGE);
    await w.check(stageHead, CHECK_VERIFY, 'success');
    await w.check(stageHead, CHECK_HEALTH, 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    // The bot's rollback PR #2 is open; mallory force-moves its branch to the bot's stage commit.
    await w.mallory.rest.git.updateRef({ ...r, ref: `heads/${ROLLBACK}`, sha: stageHead, force: true });
    await w.check(stageHead, CHECK_VERIFY, 'success');
    const rebuilt = (await bot.pass())[0]!;
    expect(rebuilt.summary).toMatch(/^rebuilt rollback #2/);
    const head = await headOf(w.ci, ROLLBACK);
    expect(head).not.toBe(stageHead);
    await w.check(head, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #2 (100 % v1)');
    const intent = w.gh.readFile('main', 'rollouts/checkout.yaml')!;
    expect(intent).toContain('stage: internal');
    expect(intent).toContain('abort:');
  });
});

describe('item 2: checks count only from trusted Apps', () => {
  it('does not merge on a stagegate/health success posted by a workflow token or another App while the gate holds', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const head = await headOf(w.ci, STAGE);
    await w.check(head, CHECK_VERIFY, 'success');
    await w.check(head, CHECK_HEALTH, 'neutral', 'in_progress');
    w.advance(31 * MIN);
    const iso = w.now().toISOString();
    for (const client of [w.actions, w.other]) {
      await client.rest.checks.create({
        ...r,
        name: CHECK_HEALTH,
        head_sha: head,
        status: 'completed',
        conclusion: 'success',
        started_at: iso,
        completed_at: iso,
        output: { title: 'spoofed', summary: 'all good' },
      });
    }
    for (let i = 0; i < 2; i += 1) {
      const report = (await bot.pass())[0]!;
      expect(report.summary).toMatch(/^waiting: waiting for stagegate\/health in_progress/);
    }
    expect((await pull(1)).merged).toBe(false);
  });

  it('never waits on, nor refuses for, its own advance job (a github-actions run on the PR head)', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const head = await headOf(w.ci, STAGE);
    // The workflow job running `stagegate advance` shows on the PR head as a github-actions run.
    await w.actions.rest.checks.create({ ...r, name: 'stagegate advance', head_sha: head, status: 'in_progress' });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });

  it('does not take a commit status named stagegate/health for health, neither green nor red', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const head = await headOf(w.ci, STAGE);
    await w.check(head, CHECK_VERIFY, 'success');
    w.advance(31 * MIN);
    await w.mallory.rest.repos.createCommitStatus({ ...r, sha: head, state: 'success', context: CHECK_HEALTH });
    expect((await bot.pass())[0]!.summary).toBe(`waiting: no ${CHECK_HEALTH} on ${head.slice(0, 7)} yet`);
    await w.mallory.rest.repos.createCommitStatus({ ...r, sha: head, state: 'failure', context: CHECK_HEALTH });
    expect((await bot.pass())[0]!.summary).toBe(`waiting: no ${CHECK_HEALTH} on ${head.slice(0, 7)} yet`);
    await w.check(head, CHECK_HEALTH, 'success');
    // mallory's failing status does not hold the merge either: only trusted creators count.
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });
});

describe('item 3: a rollback cannot be blocked or cancelled', () => {
  it('opens its own rollback on a fresh branch when someone else holds the rollback branch, and comments once on theirs', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const theirs = await push(w.mallory, {
      parent: await mainSha(),
      files: { 'README.md': { content: '# deploy (typo fixed)\n' } },
      message: 'docs: typo',
      branch: ROLLBACK,
    });
    const pr = await w.mallory.rest.pulls.create({ ...r, head: ROLLBACK, base: 'main', title: 'docs: typo' });
    await w.greenChecks(STAGE, 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #3 opened, #1 closed/);
    const mine = await pull(3);
    expect(mine.head.ref).toBe(`${ROLLBACK}_2`);
    expect(await headOf(w.ci, ROLLBACK)).toBe(theirs);
    await w.check(mine.head.sha, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #3 (100 % v1)');
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('abort:');
    expect((await pull(pr.data.number)).state).toBe('open');
    expect((await pull(pr.data.number)).labels.map((l) => l.name)).not.toContain('stagegate:rollback');
  });

  it('keeps rolling back after someone closes the rollback PR, and never blames its own closing of the stage PR on a person', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    await w.greenChecks(STAGE, 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    await w.mallory.rest.pulls.update({ ...r, pull_number: 2, state: 'closed' });
    const again = (await bot.pass())[0]!;
    expect(again.action).toBe('rollback');
    expect(again.summary).not.toContain('closed-by-person');
    const open = (await w.pulls()).filter((p) => p.state === 'open');
    expect(open).toHaveLength(1);
    await w.check(open[0]!.head.sha, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolled back: merged #\d+ \(100 % v1\)$/);
  });
});

describe('items 1, 4, 5: base branch and someone else’s branch', () => {
  it('never merges a PR from its branch into another base (someone else opened it)', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    await w.mallory.rest.git.createRef({ ...r, ref: 'refs/heads/scratch', sha: await mainSha() });
    const pr = await w.mallory.rest.pulls.create({ ...r, head: STAGE, base: 'scratch', title: 'x' });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    const reports = [];
    for (let i = 0; i < 3; i += 1) reports.push((await bot.pass())[0]!.summary);
    expect((await pull(pr.data.number)).merged).toBe(false);
    expect(reports).toContain('merged #1 (internal → one-percent)');
    expect(await comments(pr.data.number)).toHaveLength(1);
  });

  it('with --cache, points its retargeted PR back at main and never merges the other base’s commits', async () => {
    const infra = { 'infra/unreviewed.tf': 'resource "x" "y" {}\n' };
    w = await world({}, { app: true });
    const file = `${process.env.TMPDIR ?? '/tmp'}/stagegate-adv-${process.pid}-${Date.now()}.json`;
    const { runAdvance } = await import('../../../app/bot/run.js');
    const sink = { out: [] as string[] };
    const io = {
      stdout: (t: string) => sink.out.push(t),
      stderr: () => {},
      cwd: process.cwd(),
      env: {},
    };
    const adv = () =>
      runAdvance(
        {
          owner: OWNER,
          repo: REPO,
          token: 'ghs_botTOKEN_do_not_print_4f2a9c',
          apiUrl: w!.gh.url,
          now: w!.now,
          appSlug: 'stagegate',
          trustedApps: ['stagegate-ci'],
          github: { retryUnitMs: 1, writeSpacingMs: 0 },
        },
        { watch: false, intervalMs: 1, json: false, cacheFile: file },
        io,
      );
    const c0 = await mainSha();
    await adv();
    await adv();
    // alice lands an unreviewed file on main; `release` stays at the old main.
    await w.person.rest.git.createRef({ ...r, ref: 'refs/heads/release', sha: c0 });
    await push(w.person, {
      parent: c0,
      files: { 'infra/unreviewed.tf': { content: infra['infra/unreviewed.tf'] } },
      message: 'infra',
      branch: 'main',
    });
    await w.mallory.rest.pulls.update({ ...r, pull_number: 1, base: 'release' });
    w.advance(31 * MIN);
    await w.greenChecks(STAGE);
    for (let i = 0; i < 4; i += 1) {
      await adv();
      const head = (await pull(1)).head.sha;
      await w.check(head, CHECK_VERIFY, 'success');
      await w.check(head, CHECK_HEALTH, 'success');
    }
    expect(w.gh.readFile('release', 'infra/unreviewed.tf')).toBeUndefined();
    expect(w.gh.readFile('release', 'rollouts/checkout.yaml')).toContain('stage: internal');
    expect(sink.out.join('')).toContain('retargeted #1 at main');
  });

  it('never overwrites a branch someone else made under its branch name; it takes a fresh one', async () => {
    w = await world({}, { app: true });
    const wip = await push(w.person, {
      parent: await mainSha(),
      files: { 'rollouts/checkout.yaml': { content: `${w.gh.readFile('main', 'rollouts/checkout.yaml')}# wip\n` } },
      message: 'wip: tune the one-percent stage',
      branch: STAGE,
    });
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    expect(await headOf(w.ci, STAGE)).toBe(wip);
    expect((await pull(1)).head.ref).toBe(`${STAGE}_2`);
    w.advance(31 * MIN);
    await w.greenChecks(`${STAGE}_2`);
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
  });
});

describe('item 6: hostile text is bounded and neutralised', () => {
  it('opens the rollback PR for a 65,400-character health text with an @mention, and pings nobody', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const head = await headOf(w.ci, STAGE);
    const iso = w.now().toISOString();
    await w.ci.rest.checks.create({
      ...r,
      name: CHECK_HEALTH,
      head_sha: head,
      status: 'completed',
      conclusion: 'failure',
      started_at: iso,
      completed_at: iso,
      output: { title: `@acme/oncall <img src=x> ${'x'.repeat(500)}`, summary: 'y'.repeat(60_000) },
    });
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    const rb = await pull(2);
    expect(rb.body!.length).toBeLessThan(65_536);
    expect(rb.body).not.toMatch(/@acme/);
    expect(rb.body).not.toContain('<img');
    const closing = (await comments(1)).join('\n');
    expect(closing).not.toMatch(/@acme/);
    const reason = /reason: "([^"]*)"/.exec(w.gh.readFile(ROLLBACK, 'rollouts/checkout.yaml')!)![1]!;
    expect(reason.length).toBeLessThanOrEqual(FIELD_MAX + 20);
  });
});
