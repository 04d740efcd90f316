/**
 * The rollout dashboard issue (issue 15), against the emulator as the GitHub App: one issue, edited
 * only when its text changes; a ticked box acts only for a person with write access or more
 * (GET /collaborators/{user}/permission), and the act is the ordinary merge with its reason recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY, stageBranch } from '../../../constructs/conventions.js';
import { parseTicks, syncDashboard } from '../../../app/bot/dashboard.js';
import { githubDashboard } from '../../../app/bot/dashboard-github.js';
import { main, type Io } from '../../../app/cli/main.js';
import { BOT_TOKEN, CI_APP, headOf, MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const r = { owner: OWNER, repo: REPO };

function dashboardOf(world: World) {
  const bot = world.bot();
  const dash = githubDashboard(
    { ...r, token: BOT_TOKEN, baseUrl: world.gh.url, retryUnitMs: 1, writeSpacingMs: 0 },
    bot.adapter,
  );
  return { bot, sync: (actor?: string) => syncDashboard(bot.options, dash, 'stagegate[bot]', actor) };
}

async function issueBody(n: number): Promise<string> {
  return (await w!.ci.rest.issues.get({ ...r, issue_number: n })).data.body ?? '';
}
async function tick(n: number, action: 'promote' | 'abort' | 'pause' | 'resume', as = w!.person): Promise<void> {
  const body = await issueBody(n);
  const line = body.split('\n').find((l) => l.includes(`stagegate:tick:${action}:shop/checkout`))!;
  await as.rest.issues.update({ ...r, issue_number: n, body: body.replace(line, line.replace('- [ ]', '- [x]')) });
}
const writes = () => w!.gh.requests.filter((q) => q.method !== 'GET' && q.path.includes('/issues'));

describe('the rollout dashboard issue', () => {
  it('is created once with the table and boxes, and not edited while nothing changes (even as time passes)', async () => {
    w = await world({}, { app: true, emulator: { permissions: { mallory: 'triage' } } });
    const { bot, sync } = dashboardOf(w);
    await bot.pass();
    const first = await sync();
    expect(first).toEqual({ number: 2, written: 'created', acted: [] });
    const body = await issueBody(2);
    expect(body).toContain(
      '| shop/checkout | internal (1/3) | 0 % + cohort | waiting | #1 | bake, until 2026-03-02 09:30Z |',
    );
    expect(body).toContain('| stage 2026-03-03 09:00Z, rollout 2026-03-09 09:00Z |');
    expect(parseTicks(body)).toEqual([]);
    expect(body).toContain(
      '- [ ] promote `shop/checkout` early (merge #1 now) <!-- stagegate:tick:promote:shop/checkout -->',
    );
    w.advance(5 * MIN);
    w.gh.resetLog();
    expect(await sync()).toEqual({ number: 2, written: 'unchanged', acted: [] });
    expect(writes()).toEqual([]);
    const issues = (await w.ci.rest.issues.listForRepo({ ...r, state: 'all' })).data;
    expect(issues.map((i) => i.number)).toEqual([2]);
  });

  it('a tick by someone below write access does nothing but say so; by a writer it promotes, reason in the ledger', async () => {
    w = await world({}, { app: true, emulator: { permissions: { mallory: 'triage' } } });
    const { bot, sync } = dashboardOf(w);
    await bot.pass();
    await sync();
    w.advance(10 * MIN);
    const head = await headOf(w.ci, stageBranch('shop', 'checkout', 'one-percent'));
    await w.check(head, CHECK_VERIFY, 'success');
    await w.botClient.rest.checks.create({ ...r, name: CHECK_HEALTH, head_sha: head, status: 'in_progress' });

    await tick(2, 'promote', w.mallory);
    const refused = await sync('mallory');
    expect(refused.acted).toEqual(['promote `shop/checkout` by @\u200bmallory: ignored, needs write access or more']);
    expect(refused.written).toBe('edited');
    expect((await w.pulls()).find((p) => p.number === 1)!.merged_at).toBeNull();
    expect(parseTicks(await issueBody(2))).toEqual([]); // the box is cleared, the refusal recorded
    expect(await issueBody(2)).toContain('### Last actions\n\n- promote `shop/checkout` by @\u200bmallory: ignored');

    await tick(2, 'promote');
    const done = await sync('alice');
    expect(done.acted).toEqual(['promote `shop/checkout` by @\u200balice: promoted early: merged #1 (→ one-percent)']);
    const [merge] = w.gh.log('main');
    expect(merge!.message).toContain(
      '- internal promoted early by hand after 10m of its 30m bake: ticked on the dashboard by @\u200balice',
    );
    expect(await issueBody(2)).toContain(
      '| shop/checkout | one-percent (2/3) | 1 % + cohort | progressing | - | the next pass opens the PR one-percent → full |',
    );
  });

  it('pause and resume label the bot’s PR (the bot then stops and goes on), for a writer', async () => {
    w = await world({}, { app: true });
    const { bot, sync } = dashboardOf(w);
    await bot.pass();
    await sync();
    await tick(2, 'pause');
    expect((await sync('alice')).acted).toEqual(['pause `shop/checkout` by @\u200balice: #1 labelled stagegate:pause']);
    expect((await bot.pass())[0]!.summary).toBe('paused: #1 carries stagegate:pause');
    expect(await issueBody(2)).toContain('| shop/checkout | internal (1/3) | 0 % + cohort | paused | #1 |');
    expect(await issueBody(2)).toContain('- [ ] resume `shop/checkout` (remove stagegate:pause from #1)');
    await tick(2, 'resume');
    expect((await sync('alice')).acted).toEqual([
      'resume `shop/checkout` by @\u200balice: stagegate:pause removed from #1',
    ]);
    expect((await bot.pass())[0]!.summary).toMatch(/^waiting: /);
  });

  it('a tick without --actor is not acted on: REST does not say who edited the body', async () => {
    w = await world({}, { app: true });
    const { bot, sync } = dashboardOf(w);
    await bot.pass();
    await sync();
    await tick(2, 'abort');
    expect((await sync()).acted).toEqual([
      'abort `shop/checkout`: ignored (who ticked it is known only from the issues event: --actor)',
    ]);
    expect((await w.pulls()).map((p) => p.number)).toEqual([1]);
  });

  it('advance --dashboard keeps it and prints its number; --actor needs --dashboard', async () => {
    w = await world({}, { app: true });
    let out = '';
    const io: Io = {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        out += t;
      },
      cwd: process.cwd(),
      env: { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' },
    };
    const args = ['advance', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate', '--trust-app', CI_APP];
    expect(await main([...args, '--dashboard'], io)).toBe(0);
    expect(out).toBe('shop/checkout: opened #1 (internal → one-percent)\ndashboard: #2 created\n');
    out = '';
    expect(await main([...args, '--actor', 'alice'], io)).toBe(2);
    expect(out).toContain('--actor goes with --dashboard');
  });
});
