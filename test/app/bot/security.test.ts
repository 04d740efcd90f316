import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import { main, type Io } from '../../../app/cli/main.js';
import { EXIT } from '../../../app/cli/command.js';
import { BOT_TOKEN, MIN, world, type World, REPO_REF as r, pushEvilScript } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function io(env: Record<string, string>): Io & { all: () => string } {
  const chunks: string[] = [];
  return {
    all: () => chunks.join(''),
    stdout: (t) => chunks.push(t),
    stderr: (t) => chunks.push(t),
    cwd: process.cwd(),
    env,
  };
}

describe('what the bot refuses', () => {
  it("refuses with one comment, and never merges, a stage PR carrying a person's commit outside rollouts/ and generated/", async () => {
    w = await world();
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    const branch = stageBranch('shop', 'checkout', 'one-percent');
    // alice pushes onto the bot's branch through the Git Data API.
    await pushEvilScript(w, branch);

    w.advance(31 * MIN);
    await w.greenChecks(branch);
    const first = (await bot.pass())[0]!;
    expect(first.action).toBe('refuse');
    expect(first.summary).toContain(`was written by alice, not stagegate-bot`);
    expect(first.summary).toContain('file scripts/evil.sh is outside rollouts/ and generated/');
    expect((await bot.pass())[0]!.action).toBe('refuse');
    const comments = (await w.ci.rest.issues.listComments({ ...r, issue_number: 1 })).data;
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('stagegate will not merge this PR');
    const pr = (await w.ci.rest.pulls.get({ ...r, pull_number: 1 })).data;
    expect([pr.state, pr.merged]).toEqual(['open', false]);
  });
});

describe('the token', () => {
  it('never appears in output, logs or errors, on success or any error path', async () => {
    w = await world();
    const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
    const runs: Array<{ code: number; text: string }> = [];
    const run = async (e: Record<string, string>, extra: string[] = []) => {
      const x = io(e);
      runs.push({ code: await main(['advance', '--repo', 'acme/deploy', ...extra], x), text: x.all() });
      return runs.at(-1)!;
    };
    expect((await run(env, ['--json'])).code).toBe(0);
    const wrong = 'ghs_WRONG_token_7c1e0d_never_print';
    const denied = await run({ ...env, GITHUB_TOKEN: wrong });
    expect(denied.code).toBe(EXIT.error);
    expect(denied.text).toContain('(HTTP 401); check GITHUB_TOKEN');
    expect(denied.text).not.toContain(wrong);
    w.gh.faults.add({ kind: 'status', status: 500, times: Number.POSITIVE_INFINITY });
    const broken = await run(env);
    expect(broken.text).toContain('HTTP 500');
    w.gh.faults.clear();
    w.gh.faults.add({ kind: 'secondaryRateLimit', retryAfter: 1, times: 10 });
    const limited = await run(env);
    expect(limited.text).toContain('secondary rate limit');
    w.gh.faults.clear();
    w.gh.faults.add({ kind: 'drop', times: 10 });
    await run(env);
    w.gh.faults.clear();
    const closed = await run({ ...env, GITHUB_API_URL: 'http://127.0.0.1:9' });
    expect(closed.code).toBe(EXIT.error);
    expect(runs).toHaveLength(6);
    for (const x of runs) expect(x.text).not.toContain(BOT_TOKEN);
    for (const x of runs) expect(x.text).not.toMatch(/authorization/i);
  });

  it('asks for the token when GITHUB_TOKEN is missing, without echoing the environment', async () => {
    const x = io({ GITHUB_API_URL: 'http://127.0.0.1:9' });
    expect(await main(['advance', '--repo', 'acme/deploy'], x)).toBe(2);
    expect(x.all()).toContain('GITHUB_TOKEN is not set');
  });
});
