/**
 * `stagegate report --post` (issue #16, "posted on the last PR"): one comment with a hidden
 * marker on the rollout's newest PR of the bot's own, edited in place when the report changed and
 * left alone (reads only) when it did not; never on a PR someone else opened or wrote into.
 * Through the real @octokit/rest client against the emulator; requests counted in its log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import {
  BOT_TOKEN,
  headOf,
  MIN,
  push,
  pushEvilScript,
  REPO_REF,
  ROLLBACK,
  STAGE,
  world,
  type World,
} from '../bot/harness.js';
import { runCli } from '../../run-cli.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const MARKER = '<!-- stagegate:report:shop/checkout -->';
const ARGS = ['report', 'checkout', '--repo', 'acme/deploy', '--app-slug', 'stagegate', '--post'];

async function post(world: World, extra: string[] = []) {
  const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: world.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
  world.gh.requests.length = 0;
  const run = await runCli([...ARGS, ...extra], process.cwd(), env);
  const count = (method: string, path: RegExp) =>
    world.gh.requests.filter((r) => r.method === method && path.test(r.path)).length;
  const writes = world.gh.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
  return { ...run, count, writes };
}

async function reportComments(world: World, n: number) {
  const { data } = await world.ci.rest.issues.listComments({ owner: 'acme', repo: 'deploy', issue_number: n });
  return data.filter((c) => c.body?.includes(MARKER)).map((c) => ({ user: c.user?.login, body: c.body ?? '' }));
}

describe('stagegate report --post', () => {
  it('posts one marked comment on the last PR, edits it when the report changed, writes nothing when unchanged', async () => {
    w = await world({}, { app: true });
    const bot = w.bot();
    expect((await bot.pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');

    const first = await post(w);
    expect([first.code, first.stdout, first.stderr]).toEqual([0, 'shop/checkout: posted the report on #1\n', '']);
    expect(first.writes).toEqual(['POST /repos/acme/deploy/issues/1/comments']);
    const posted = await reportComments(w, 1);
    expect(posted.map((c) => c.user)).toEqual(['stagegate[bot]']);
    expect(posted[0]!.body.startsWith(`${MARKER}\n# Rollout report: shop/checkout\n`)).toBe(true);
    // A comment cannot embed the SVG: it names the file instead (README, "Post-release report").
    expect(posted[0]!.body).toContain(
      'Chart: `shop-checkout-requests.svg`, written by `stagegate report --out DIR` (an SVG file cannot be embedded in a PR comment).',
    );
    expect(posted[0]!.body).not.toContain('![');

    const again = await post(w);
    expect([again.code, again.stdout]).toEqual([0, 'shop/checkout: the report is unchanged on #1\n']);
    expect(again.writes).toEqual([]);
    // Only reads: the comments of #1 (the bot's observation and the marker search), nothing written.
    expect(again.count('GET', /\/issues\/1\/comments$/)).toBeGreaterThan(0);

    w.advance(31 * MIN);
    await w.greenChecks(stageBranch('shop', 'checkout', 'one-percent'));
    expect((await bot.pass())[0]!.summary).toBe('merged #1 (internal → one-percent)');
    const edited = await post(w);
    expect([edited.code, edited.stdout]).toEqual([0, 'shop/checkout: edited the report on #1\n']);
    expect(edited.count('POST', /comments$/)).toBe(0);
    expect(edited.count('PATCH', /^\/repos\/acme\/deploy\/issues\/comments\/\d+$/)).toBe(1);
    const now = await reportComments(w, 1);
    expect(now).toHaveLength(1);
    expect(now[0]!.body).toContain('| one-percent | 1 % |');
    expect(now[0]!.body).not.toBe(posted[0]!.body);
  });

  it('skips a PR someone else opened, refuses the bot’s own once someone else wrote into it', async () => {
    w = await world({}, { app: true });
    expect((await w.bot().pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    // alice opens a PR on the rollback branch: the rollout's newest PR, not the bot's.
    await push(w.person, {
      parent: await headOf(w.person, 'main'),
      files: { 'rollouts/checkout.yaml': { content: 'x: 1\n' } },
      message: 'alice edits',
      branch: ROLLBACK,
    });
    await w.person.rest.pulls.create({ ...REPO_REF, head: ROLLBACK, base: 'main', title: 'mine' });
    const skipped = await post(w);
    expect([skipped.code, skipped.stdout]).toEqual([0, 'shop/checkout: posted the report on #1\n']);
    expect(skipped.stderr).toBe('stagegate report: not posting on #2: it was opened by alice, not by stagegate[bot]\n');
    expect(skipped.writes).toEqual(['POST /repos/acme/deploy/issues/1/comments']);
    expect(await reportComments(w, 2)).toEqual([]);

    // alice pushes onto the bot's stage branch: #1 is no longer only the bot's (docs/design.md, trust model).
    await pushEvilScript(w, STAGE);
    const refused = await post(w);
    expect([refused.code, refused.stdout]).toEqual([1, '']);
    expect(refused.stderr).toMatch(
      new RegExp(
        '^stagegate report: not posting on #2: it was opened by alice, not by stagegate\\[bot\\]\n' +
          'stagegate report: not posting on #1: commit [0-9a-f]{7} was written by alice, not stagegate\\[bot\\]\n' +
          "stagegate report: no PR of shop/checkout is stagegate\\[bot\\]'s own \\(its stage and rollback branches\\); the report is posted only there\n$",
      ),
    );
    expect(refused.writes).toEqual([]);
  });

  it('bounds the comment under GitHub’s 65,536 characters: the verdicts table cut with a line saying how many rows', async () => {
    w = await world({}, { app: true });
    expect((await w.bot().pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
    const head = (await w.pulls())[0]!.head.sha;
    // 260 stagegate/health runs of the CI App, each title (the verdict's summary) near the 300 characters a row keeps.
    for (let i = 0; i < 260; i++) {
      w.advance(1000);
      await w.ci.rest.checks.create({
        ...REPO_REF,
        name: 'stagegate/health',
        head_sha: head,
        status: 'completed',
        conclusion: 'failure',
        completed_at: w.now().toISOString(),
        output: { title: `fail ${i}: ${'errors '.repeat(45)}`, summary: 'from the test' },
      });
    }
    const run = await post(w, ['--trust-app', 'stagegate-ci']);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, 'shop/checkout: posted the report on #1\n', '']);
    expect(run.count('POST', /\/issues\/1\/comments$/)).toBe(1);
    const [c] = await reportComments(w, 1);
    const size = [...c!.body].length;
    expect(size).toBeLessThanOrEqual(65_536);
    expect(size).toBeGreaterThan(60_000);
    const kept = c!.body.split('\n').filter((l) => l.startsWith('| #1 | failure |')).length;
    expect(kept).toBeGreaterThan(100);
    expect(c!.body).toContain(`\n\n… ${260 - kept} more rows (the full table: \`stagegate report\` without --post)\n`);
  });

  it('needs --repo', async () => {
    const run = await runCli(['report', 'checkout', '--post'], process.cwd(), {});
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'stagegate report: --post needs --repo OWNER/NAME: the report is posted through GitHub',
    );
  });
});
