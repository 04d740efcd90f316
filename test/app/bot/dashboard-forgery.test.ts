/**
 * The dashboard body is editable by every writer (review F1): nothing the bot writes again may come
 * from that text. A ticked box counts only as the bot's own box for the rollout's state now, and
 * "Last actions" are re-rendered from the bot's hidden entries, so a planted tick acts at most once,
 * for the person whose edit it was, and is never rendered back to act again under the next
 * writer's name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rollbackBranch } from '../../../constructs/conventions.js';
import { parseTicks, syncDashboard } from '../../../app/bot/dashboard.js';
import { githubDashboard } from '../../../app/bot/dashboard-github.js';
import { BOT_TOKEN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const r = { owner: OWNER, repo: REPO };
const ZW = '\u200b';
const PAUSE_BOX = '- [ ] pause `shop/checkout` (label #1 stagegate:pause) <!-- stagegate:tick:pause:shop/checkout -->';

async function setUp() {
  w = await world({}, { app: true, emulator: { permissions: { bob: 'write' } } });
  const bot = w.bot();
  const dash = githubDashboard(
    { ...r, token: BOT_TOKEN, baseUrl: w.gh.url, retryUnitMs: 1, writeSpacingMs: 0 },
    bot.adapter,
  );
  await bot.pass();
  const sync = (actor?: string) => syncDashboard(bot.options, dash, 'stagegate[bot]', actor);
  await sync();
  return { bot, sync };
}
const body = async () => (await w!.ci.rest.issues.get({ ...r, issue_number: 2 })).data.body ?? '';
const edit = async (text: string) => w!.person.rest.issues.update({ ...r, issue_number: 2, body: text });
const labels = async () => (await w!.ci.rest.pulls.get({ ...r, pull_number: 1 })).data.labels.map((l) => l.name);

describe('a dashboard body edited by a writer', () => {
  it('a ticked box planted under Last actions acts once, for its writer, and is not rendered back for the next', async () => {
    const { sync } = await setUp();
    // alice plants the bot's own pause box, ticked, under Last actions: it is her edit, so it is her act.
    await edit(`${await body()}### Last actions\n\n${PAUSE_BOX.replace('- [ ]', '- [x]')}\n`);
    expect((await sync('alice')).acted).toEqual([
      `pause \`shop/checkout\` by @${ZW}alice: #1 labelled stagegate:pause`,
    ]);
    const after = await body();
    expect(parseTicks(after)).toEqual([]);
    expect(after).toContain(
      `### Last actions\n\n- pause \`shop/checkout\` by @${ZW}alice: #1 labelled stagegate:pause\n`,
    );
    // Someone resumes by hand; bob's next edit of the issue must not pause it again in his name.
    await w!.person.rest.issues.removeLabel({ ...r, issue_number: 1, name: 'stagegate:pause' });
    expect((await sync('bob')).acted).toEqual([]);
    expect(await labels()).not.toContain('stagegate:pause');
  });

  it('a tick on a line that is not the bot’s box for that marker (text "pause", marker abort) does nothing', async () => {
    const { sync } = await setUp();
    const forged = '- [x] pause `shop/checkout` (label #1 stagegate:pause) <!-- stagegate:tick:abort:shop/checkout -->';
    await edit((await body()).replace(PAUSE_BOX, forged));
    expect((await sync('alice')).acted).toEqual([
      `abort \`shop/checkout\` by @${ZW}alice: ignored, not a box the dashboard offers for it now`,
    ]);
    expect((await w!.pulls()).map((p) => p.head.ref)).not.toContain(rollbackBranch('shop', 'checkout'));
    expect(await body()).not.toContain(forged.slice(6));
    expect(await body()).toContain(PAUSE_BOX);
  });
});
