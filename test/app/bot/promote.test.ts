/**
 * `stagegate promote` (issue 15, people in the loop): the open stage PR merged before its bake is
 * over, with the reason in the merge commit (read by the ledger) and in the next stage's changelog
 * entry; never over a health failure, a missing static check, or a PR that is not the bot's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY, stageBranch } from '../../../constructs/conventions.js';
import { promoteEarly } from '../../../app/bot/promote.js';
import { main, type Io } from '../../../app/cli/main.js';
import { BOT_TOKEN, headOf, MIN, OWNER, push, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const r = { owner: OWNER, repo: REPO };
const STAGE = stageBranch('shop', 'checkout', 'one-percent');
const REASON = 'cohort verified by QA; pager quiet';

describe('stagegate promote', () => {
  it('merges the stage PR mid-bake with the reason in the ledger, where a bot pass would wait', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    w.advance(10 * MIN);
    const head = await headOf(w.ci, STAGE);
    await w.check(head, CHECK_VERIFY, 'success');
    await w.botClient.rest.checks.create({ ...r, name: CHECK_HEALTH, head_sha: head, status: 'in_progress' });
    expect((await bot.pass())[0]!.summary).toBe('waiting: bake 20m left');

    const report = await promoteEarly(bot.options, 'rollouts/checkout.yaml', REASON);
    expect(report).toEqual({
      rollout: 'shop/checkout',
      ok: true,
      number: 1,
      summary: 'promoted early: merged #1 (→ one-percent)',
    });
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent   # the live stage');
    const [merge] = w.gh.log('main');
    expect(merge!.message).toContain(
      `- internal promoted early by hand after 10m of its 30m bake: ${REASON}\n- ${CHECK_HEALTH} in_progress`,
    );
    expect(merge!.message).toContain('Stagegate-Stage: shop/checkout/one-percent');
    // The next stage PR's changelog entry carries the evidence of the early promotion (the ledger).
    expect((await bot.pass())[0]!.summary).toBe('opened #2 (one-percent → full)');
    const changelog = w.gh.readFile(stageBranch('shop', 'checkout', 'full'), 'rollouts/changelog/shop-checkout.md')!;
    expect(changelog).toContain(
      `- evidence for one-percent: internal promoted early by hand after 10m of its 30m bake: ${REASON}`,
    );
  });

  it('refuses without the static check or over a health failure, and then writes nothing', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    await bot.pass();
    const head = await headOf(w.ci, STAGE);
    expect((await promoteEarly(bot.options, 'rollouts/checkout.yaml', REASON)).summary).toBe(
      'not promoted: #1 is waiting for stagegate/verify',
    );
    await w.check(head, CHECK_VERIFY, 'success');
    await w.botClient.rest.checks.create({
      ...r,
      name: CHECK_HEALTH,
      head_sha: head,
      status: 'completed',
      conclusion: 'failure',
      completed_at: w.now().toISOString(),
    });
    w.gh.resetLog();
    const red = await promoteEarly(bot.options, 'rollouts/checkout.yaml', REASON);
    expect(red.ok).toBe(false);
    expect(red.summary).toMatch(
      /^not promoted: stagegate\/health failure at \S+ \(run \d+\) on #1: roll back \(stagegate abort\), not promote$/,
    );
    expect(w.gh.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('does not take a PR someone else opened on the bot’s branch for the stage PR', async () => {
    w = await world({}, { app: true });
    const tip = await headOf(w.ci, 'main');
    await push(w.mallory, {
      parent: tip,
      branch: STAGE,
      message: 'skip ahead',
      files: { 'rollouts/checkout.yaml': { content: 'stage: full\n' } },
    });
    await w.mallory.rest.pulls.create({ ...r, head: STAGE, base: 'main', title: 'x' });
    const report = await promoteEarly(w.bot().options, 'rollouts/checkout.yaml', REASON);
    expect(report.summary).toBe(
      "not promoted: shop/checkout has no open stage PR of the bot's; stagegate advance opens one",
    );
  });

  it('the command needs --reason and exits 1 when not promoted', async () => {
    w = await world();
    let err = '';
    const io: Io = {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
      cwd: process.cwd(),
      env: { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' },
    };
    expect(await main(['promote', 'checkout', '--repo', 'acme/deploy'], io)).toBe(2);
    expect(err).toContain('--reason "…" is required; it is recorded in the ledger');
    err = '';
    expect(await main(['promote', 'checkout', '--repo', 'acme/deploy', '--reason', 'x'], io)).toBe(1);
    expect(err).toBe(
      "shop/checkout: not promoted: shop/checkout has no open stage PR of the bot's; stagegate advance opens one\n",
    );
  });
});
