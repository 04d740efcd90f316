/**
 * The dashboard's retry box (issue 15): an aborted rollout gets a box that opens the retry PR. A box
 * carries no text, so it retries the version the intent records (the aborted one) and the issue says
 * what to run for a new one; a person merges the PR. Like every box it acts only for a person with
 * write access or more (GET /collaborators/{user}/permission).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_VERIFY, rollbackBranch } from '../../../constructs/conventions.js';
import { githubDashboard } from '../../../app/bot/dashboard-github.js';
import { parseTicks, syncDashboard } from '../../../app/bot/dashboard.js';
import { retryBranch } from '../../../app/bot/retry.js';
import { BOT_TOKEN, INTENT, MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const r = { owner: OWNER, repo: REPO };
const ZW = '\u200b';

async function issueBody(n: number): Promise<string> {
  return (await w!.ci.rest.issues.get({ ...r, issue_number: n })).data.body ?? '';
}
async function tick(n: number, action: string, as = w!.person): Promise<void> {
  const body = await issueBody(n);
  const line = body.split('\n').find((l) => l.includes(`stagegate:tick:${action}:shop/checkout`))!;
  await as.rest.issues.update({ ...r, issue_number: n, body: body.replace(line, line.replace('- [ ]', '- [x]')) });
}

describe('the dashboard’s retry box', () => {
  it('is offered once aborted; below write access a tick only says so; a writer’s tick opens the retry PR', async () => {
    w = await world({}, { app: true, emulator: { permissions: { mallory: 'triage' } } });
    const bot = w.bot();
    const dash = githubDashboard(
      { ...r, token: BOT_TOKEN, baseUrl: w.gh.url, retryUnitMs: 1, writeSpacingMs: 0 },
      bot.adapter,
    );
    const sync = (actor?: string) => syncDashboard(bot.options, dash, 'stagegate[bot]', actor);
    await bot.pass();
    await sync();
    expect(await issueBody(2)).not.toContain('stagegate:tick:retry');
    await tick(2, 'abort');
    expect((await sync('alice')).acted[0]).toMatch(/^abort `shop\/checkout` by @\u200balice: rolling back: #3 opened/);
    const rb = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'checkout'))!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    expect((await bot.pass())[0]!.summary).toBe('rolled back: merged #3 (100 % v1)');

    w.advance(30 * MIN);
    await sync();
    const body = await issueBody(2);
    expect(body).toContain(
      '- [ ] retry `shop/checkout` with canary `v2` again from the first stage (opens the retry PR; a person merges it) <!-- stagegate:tick:retry:shop/checkout -->\n' +
        '  - a new version instead: `stagegate retry shop/checkout --canary VERSION`\n',
    );
    expect(body).not.toContain('stagegate:tick:abort');

    await tick(2, 'retry', w.mallory);
    expect((await sync('mallory')).acted).toEqual([
      `retry \`shop/checkout\` by @${ZW}mallory: ignored, needs write access or more`,
    ]);
    expect((await w.pulls()).map((p) => p.number).sort()).toEqual([1, 3]);
    expect(parseTicks(await issueBody(2))).toEqual([]);

    await tick(2, 'retry');
    expect((await sync('alice')).acted).toEqual([
      `retry \`shop/checkout\` by @${ZW}alice: retry #4 opened (v2 from internal); merge it to start`,
    ]);
    const ref = retryBranch({ namespace: 'shop', name: 'checkout' });
    expect((await w.pulls()).find((p) => p.number === 4)!.head.ref).toBe(ref);
    // The intent as it was before the abort: same canary, first stage, no spec.abort.
    expect(w.gh.readFile(ref, 'rollouts/checkout.yaml')).toBe(INTENT);
    expect(w.gh.readFile(ref, 'rollouts/changelog/shop-checkout.md')).toMatch(
      new RegExp(
        `## retry: v2 from internal\\n\\n- aborted attempt: v2 at internal, \\S+: ticked on the dashboard by @${ZW}alice\\n` +
          `- canary v2 again; starts at internal \\(cohort x-stagegate-cohort\\)\\n- ticked on the dashboard by @${ZW}alice\\n$`,
      ),
    );
    expect(await issueBody(2)).toContain(
      `### Last actions\n\n- retry \`shop/checkout\` by @${ZW}alice: retry #4 opened`,
    );
  });
});
