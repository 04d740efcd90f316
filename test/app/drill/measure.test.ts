/**
 * `stagegate drill --measure` (issue #16): the times of a drill read back from GitHub (drill PR
 * merge → first red stagegate/health → rollback merged → 100 % stable in the generated
 * VirtualService), and a drill without a rollback past its deadline marked failed exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_VERIFY, rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { main } from '../../../app/cli/main.js';
import { measureDrill } from '../../../app/drill/measure.js';
import { startWebhookSink } from '../../../tools/demo/webhook.js';
import { openDrill } from '../../../app/drill/open.js';
import { BOT_TOKEN, headOf, MIN, OWNER, push, REPO, type World, cliIo } from '../bot/harness.js';
import { drillBranch } from '../../../app/drill/record.js';
import { STAGED_PATH, stagedWorld } from './staged.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const ABORT = { kind: 'abort', httpStatus: 503, percent: 100 } as const;
const STAGE = stageBranch('shop-staging', 'checkout-staging', 'one-percent');

async function mergedDrill(world: World): Promise<number> {
  const bot = world.bot();
  const d = await openDrill(bot.options, STAGED_PATH, ABORT);
  await bot.pass();
  await world.person.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: d.number!, merge_method: 'squash' });
  return d.number!;
}

describe('stagegate drill --measure', () => {
  it('measures fault → first red → rollback merged → 100 % stable from the PRs and the history', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const n = await mergedDrill(w);
    const live = w.now().toISOString();
    const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
    expect((await measureDrill(bot.options, STAGED_PATH)).summary).toBe(
      `drill #${n} running for 0s (deadline 1h): first red —, rollback merged —, 100 % stable —`,
    );
    w.advance(MIN);
    await bot.pass(); // rebuilds the stage PR on the drilled intent
    w.advance(2 * MIN);
    await w.greenChecks(STAGE, 'failure');
    w.advance(30_000);
    await bot.pass();
    const rb = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop-staging', 'checkout-staging'))!;
    w.advance(30_000);
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    await bot.pass();
    const m = await measureDrill(bot.options, STAGED_PATH);
    expect(m).toEqual({
      rollout: 'shop-staging/checkout-staging',
      outcome: 'rolled-back',
      drillPr: n,
      stage: 'internal',
      faultLiveAt: live,
      firstRedAt: new Date(Date.parse(live) + 3 * MIN).toISOString(),
      toFirstRedMs: 3 * MIN,
      rollbackMergedAt: new Date(Date.parse(live) + 4 * MIN).toISOString(),
      toRollbackMergedMs: 4 * MIN,
      stableAt: new Date(Date.parse(live) + 4 * MIN).toISOString(),
      toStableMs: 4 * MIN,
      // Predicted from the drill's own alert (constructs/drill-alert.ts `drillFiringMs`) vs measured.
      predictedFiringMs: 4 * MIN,
      deadlineMs: 60 * MIN,
      summary: `drill #${n} rolled back: first red 3m, rollback merged 4m, 100 % stable 4m after the fault went live (plan: the drill alert fires within 4m = 2 scrapes 1m + evaluation 1m + for 2m, red at the gate's next run)`,
    });
    // The ledger: the rollback's merge commit on main records the drill's times.
    const [head] = (await w.ci.rest.repos.listCommits({ owner: OWNER, repo: REPO, sha: 'main', per_page: 1 })).data;
    expect(head!.commit.message).toContain(
      [
        `- drill #${n}: fault live ${live} at internal`,
        "- drill: first red 3m, rollback merged 4m, 100 % stable 4m (this commit) after the fault went live; plan: the drill alert fires within 4m = 2 scrapes 1m + evaluation 1m + for 2m, red at the gate's next run",
        '',
        'Stagegate-Rollback: shop-staging/checkout-staging/internal',
      ].join('\n'),
    );
    const json = cliIo(env);
    expect(await main(['drill', 'checkout-staging', '--measure', '--json', '--repo', 'acme/deploy'], json)).toBe(0);
    expect(JSON.parse(json.out.join(''))).toEqual(m);
  });

  it('marks a drill with no rollback past its deadline as failed: one label, one comment', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const n = await mergedDrill(w);
    w.advance(61 * MIN);
    const m = await measureDrill(bot.options, STAGED_PATH);
    expect([m.outcome, m.summary]).toEqual([
      'failed',
      `drill #${n} FAILED: no rollback 1h1m after the fault went live (deadline 1h); first red —, rollback merged —, 100 % stable —`,
    ]);
    await measureDrill(bot.options, STAGED_PATH);
    const pr = (await w.pulls()).find((p) => p.number === n)!;
    expect(pr.labels.map((l) => l.name).sort()).toEqual(['stagegate', 'stagegate:drill-failed']);
    const comments = (await w.ci.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: n })).data;
    expect(comments.map((c) => c.body!.split('\n')[1])).toEqual([`**Failed drill.** ${m.summary}.`]);
  });

  it('notifies $STAGEGATE_NOTIFY_URL once that a drill failed, when --measure labels it', async () => {
    w = await stagedWorld();
    const n = await mergedDrill(w);
    w.advance(61 * MIN);
    const got: Array<{ event: string; rollout: string; text: string }> = [];
    const sink = await startWebhookSink((e) => got.push({ event: e.event, rollout: e.rollout, text: e.text }));
    try {
      const env = {
        GITHUB_TOKEN: BOT_TOKEN,
        GITHUB_API_URL: w.gh.url,
        STAGEGATE_RETRY_UNIT_MS: '1',
        STAGEGATE_NOTIFY_URL: sink.url,
      };
      const argv = ['drill', 'checkout-staging', '--measure', '--repo', 'acme/deploy'];
      expect(await main(argv, cliIo(env))).toBe(1);
      expect(await main(argv, cliIo(env))).toBe(1);
      expect(got).toEqual([
        {
          event: 'drill-failed',
          rollout: 'shop-staging/checkout-staging',
          text: `shop-staging/checkout-staging: drill #${n} failed: no rollback within its deadline`,
        },
      ]);
    } finally {
      await sink.close();
    }
  });

  it('takes "fault live" from a drill PR into the default branch only, never one merged into another branch', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const n = await mergedDrill(w);
    const live = w.now().toISOString();
    // A writer opens a second PR from the drill branch into a side branch and merges it later (review F6).
    const main = await headOf(w.person, 'main');
    await w.person.rest.git.createRef({ owner: OWNER, repo: REPO, ref: 'refs/heads/side', sha: main });
    const drill = drillBranch({ namespace: 'shop-staging', name: 'checkout-staging' });
    await push(w.person, { parent: main, files: { 'notes.txt': { content: 'x\n' } }, message: 'side', branch: drill });
    w.advance(5 * MIN);
    const side = await w.person.rest.pulls.create({ owner: OWNER, repo: REPO, head: drill, base: 'side', title: 's' });
    await w.person.rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: side.data.number,
      merge_method: 'squash',
    });
    const m = await measureDrill(bot.options, STAGED_PATH);
    expect([m.drillPr, m.faultLiveAt]).toEqual([n, live]);
  });

  it('does not count a red earlier than the drill alert could fire (its for) as the drill’s first red', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const n = await mergedDrill(w);
    w.advance(30_000);
    await bot.pass(); // rebuilds the stage PR on the drilled intent
    w.advance(30_000);
    // Red 1m after the fault went live: the drill alert is pending for 2m first, so this red is somebody else's (F5).
    await w.greenChecks(STAGE, 'failure');
    w.advance(30_000);
    await bot.pass();
    const rb = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop-staging', 'checkout-staging'))!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    await bot.pass();
    const m = await measureDrill(bot.options, STAGED_PATH);
    expect([m.outcome, m.toFirstRedMs, m.ignoredRedMs]).toEqual(['rolled-back', undefined, MIN]);
    expect(m.summary).toBe(
      `drill #${n} rolled back: first red —, rollback merged 1m30s, 100 % stable 1m30s after the fault went live (plan: the drill alert fires within 4m = 2 scrapes 1m + evaluation 1m + for 2m, red at the gate's next run; a red 1m after the fault went live is not counted: the drill alert cannot fire before its for 2m)`,
    );
    const [head] = (await w.ci.rest.repos.listCommits({ owner: OWNER, repo: REPO, sha: 'main', per_page: 1 })).data;
    expect(head!.commit.message).toContain('- drill: first red —, rollback merged 1m30s,');
  });
});
