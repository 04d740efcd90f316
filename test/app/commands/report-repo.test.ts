/**
 * `stagegate report --repo` (issue #16): the history and the gate's verdicts read from GitHub
 * through the bot's port (the emulator), as every other command reads them: who made each stage
 * live (the squash merge's PR), the stagegate/health runs on the rollout's PRs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import type { RolloutAnalysis } from '../../../app/report/model.js';
import { BOT_TOKEN, MIN, world, type World } from '../bot/harness.js';
import { runCli } from '../../run-cli.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('stagegate report --repo', () => {
  it('reads the stages from the default branch and the verdicts from the PRs through GitHub', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    w.advance(31 * MIN);
    await w.greenChecks(stageBranch('shop', 'checkout', 'one-percent'));
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
    const run = await runCli(
      [
        'report',
        'checkout',
        '--repo',
        'acme/deploy',
        '--app-slug',
        'stagegate',
        '--trust-app',
        'stagegate-ci',
        '--json',
      ],
      process.cwd(),
      env,
    );
    expect([run.code, run.stderr]).toEqual([0, '']);
    const a = JSON.parse(run.stdout) as RolloutAnalysis;
    expect(a.rollout).toBe('shop/checkout');
    expect(a.stages.map((s) => [s.stage, s.outcome, s.by])).toEqual([
      ['internal', 'promoted', 'unknown'],
      ['one-percent', 'live', 'stagegate[bot]'],
    ]);
    expect(a.verdicts?.map((v) => [v.pr, v.conclusion])).toEqual([[1, 'success']]);
    // Only the trusted Apps' runs count (docs/design.md §4a): without --trust-app the CI's run is not a verdict.
    const md = await runCli(
      ['report', 'checkout', '--repo', 'acme/deploy', '--app-slug', 'stagegate'],
      process.cwd(),
      env,
    );
    expect(md.stdout).toContain('## Gate verdicts (stagegate/health)\n\nNo stagegate/health run on the rollout’s PRs.');
  });
});
