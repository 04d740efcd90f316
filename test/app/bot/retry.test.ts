/**
 * `stagegate retry` (issue 15, people in the loop): after an abort, a PR that starts a new canary
 * version at the first stage; the aborted attempt stays in the changelog and the history; the bot
 * never merges the retry PR, and takes over once a person has.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_VERIFY, rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { setAbort, setStage } from '../../../app/bot/edit-intent.js';
import { openRetry, retryBranch, retryIntent } from '../../../app/bot/retry.js';
import { readStatus } from '../../../app/bot/status.js';
import { main, type Io } from '../../../app/cli/main.js';
import { BOT_TOKEN, INTENT, MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const r = { owner: OWNER, repo: REPO };
const ABORT = { reason: 'canary 5xx 4 %', at: '2026-03-02T09:10:00Z' };

describe('retryIntent', () => {
  it('drops spec.abort, sets the canary and the first stage, and keeps every other byte', () => {
    const aborted = setAbort(setStage(INTENT, 'one-percent'), ABORT);
    expect(aborted).toContain('abort:');
    expect(retryIntent(aborted, 'v3', 'internal')).toBe(INTENT.replace('canary: v2', 'canary: v3'));
  });

  it('quotes a version YAML would read as a number', () => {
    expect(retryIntent(setAbort(INTENT, ABORT), '1.10', 'internal')).toBe(
      INTENT.replace('canary: v2', 'canary: "1.10"'),
    );
  });
});

describe('stagegate retry', () => {
  it('after a rollback, opens the retry PR; the bot leaves it to a person, then starts v3 at the first stage', async () => {
    w = await world();
    const bot = w.bot();
    await bot.pass();
    w.advance(10 * MIN);
    await w.greenChecks(stageBranch('shop', 'checkout', 'one-percent'), 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(/^rolling back: #2 opened, #1 closed/);
    const rb = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'checkout'))!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #2 (100 % v1)');

    w.advance(60 * MIN);
    expect(await openRetry(bot.options, 'rollouts/checkout.yaml', 'v2')).toEqual({
      rollout: 'shop/checkout',
      ok: false,
      summary: 'not retried: --canary must be a new version (v2 was aborted)',
    });
    expect(await openRetry(bot.options, 'rollouts/checkout.yaml', 'v3')).toEqual({
      rollout: 'shop/checkout',
      ok: true,
      number: 3,
      summary: 'retry #3 opened (v3 from internal); merge it to start',
    });
    const ref = retryBranch({ namespace: 'shop', name: 'checkout' });
    expect(w.gh.readFile(ref, 'rollouts/checkout.yaml')).toBe(INTENT.replace('canary: v2', 'canary: v3'));
    const changelog = w.gh.readFile(ref, 'rollouts/changelog/shop-checkout.md')!;
    expect(changelog).toContain('## rollback at internal');
    expect(changelog).toMatch(
      /## retry: v3 from internal\n\n- aborted attempt: v2 at internal, \S+: stagegate\/health failed on #1 during internal[^\n]*\n- canary v2 → v3; starts at internal \(cohort x-stagegate-cohort\)\n$/,
    );
    expect(w.gh.readFile(ref, 'generated/checkout.k8s.yaml')).toContain('version: v3');

    // The bot never touches the retry PR: the rollout stays aborted until a person merges it.
    expect((await bot.pass())[0]!.summary).toMatch(/^aborted: /);
    expect((await w.pulls()).find((p) => p.number === 3)!.state).toBe('open');
    await w.person.rest.pulls.merge({ ...r, pull_number: 3, merge_method: 'squash' });
    expect((await bot.pass())[0]!.summary).toBe('opened #4 (internal → one-percent)');
    expect(w.gh.readFile(stageBranch('shop', 'checkout', 'one-percent'), 'rollouts/checkout.yaml')).toContain(
      'canary: v3',
    );
    // A new attempt: its bake and timebox count from the retry's merge, not from the first attempt.
    const [s] = await readStatus(bot.options);
    expect([s!.phase, s!.stage, s!.canary, s!.liveSince]).toEqual(['waiting', 'internal', 'v3', w.now().toISOString()]);
    expect(s!.timeboxLeftMs).toEqual({ stage: 24 * 60 * MIN, rollout: 7 * 24 * 60 * MIN });
  });

  it('refuses a rollout that is not aborted; the command needs --canary', async () => {
    w = await world();
    expect((await openRetry(w.bot().options, 'rollouts/checkout.yaml', 'v3')).summary).toBe(
      'not retried: shop/checkout is not aborted (live at internal)',
    );
    let err = '';
    const io: Io = {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
      cwd: process.cwd(),
      env: { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' },
    };
    expect(await main(['retry', 'checkout', '--repo', 'acme/deploy'], io)).toBe(2);
    expect(err).toContain('--canary VERSION is required: a retry starts a new canary version');
  });
});
