import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_VERIFY, rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { main } from '../../../app/cli/main.js';
import { BOT_TOKEN, MIN, world, type World, cliIo } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('rollback', () => {
  it('closes the stage PR on red health, opens a rollback PR and merges it on verify alone', async () => {
    w = await world();
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    w.advance(10 * MIN); // mid-bake
    await w.greenChecks(stageBranch('shop', 'checkout', 'one-percent'), 'failure');
    expect((await bot.pass())[0]!.summary).toMatch(
      /^rolling back: #2 opened, #1 closed \(stagegate\/health failed on #1 during internal: stagegate\/health: failure\)$/,
    );
    w.advance(MIN);
    expect((await bot.pass())[0]!.summary).toBe('waiting: rollback #2: waiting for stagegate/verify');
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'checkout'))!;
    expect(rollback.labels.map((l) => l.name).sort()).toEqual(['stagegate', 'stagegate:rollback']);
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #2 (100 % v1)');
    expect((await bot.pass())[0]!.summary).toMatch(/^aborted: aborted: stagegate\/health failed/);

    const intent = w.gh.readFile('main', 'rollouts/checkout.yaml')!;
    expect(intent).toMatch(/abort:\n\s+reason: "stagegate\/health failed on #1 during internal/);
    expect(intent).toContain('stage: internal   # the live stage');
    expect(intent).toContain('- { name: internal, cohort: true, bake: 30m }');
    const vs = w.gh.readFile('main', 'generated/checkout.k8s.yaml')!;
    expect(vs).not.toContain('x-stagegate-cohort');
    expect(vs).toMatch(/subset: stable\n\s+weight: 100/);
    expect(vs).not.toMatch(/subset: canary\n\s+weight: [1-9]/);
    const pulls = await w.pulls();
    expect(pulls.map((p) => [p.number, p.state, p.merged_at !== null])).toEqual([
      [2, 'closed', true],
      [1, 'closed', false],
    ]);
    expect(w.gh.readFile('main', 'rollouts/changelog/shop-checkout.md')).toContain('## rollback at internal');
  });

  it('opens the rollback PR by hand with stagegate abort and merges it on the next pass', async () => {
    w = await world();
    const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
    const a = cliIo(env);
    expect(await main(['abort', 'checkout', '--repo', 'acme/deploy', '--reason', 'pager: checkout 500s'], a)).toBe(0);
    expect(a.out.join('')).toBe('shop/checkout: rolling back: #1 opened (pager: checkout 500s)\n');
    const rb = (await w.pulls())[0]!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    const b = cliIo(env);
    expect(await main(['advance', '--repo', 'acme/deploy'], b)).toBe(0);
    expect(b.out.join('')).toBe('shop/checkout: rolled back: merged #1 (100 % v1)\n');
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('reason: "pager: checkout 500s"');
  });
});
