/**
 * Issues that are not pull requests (for the bot's dashboard issue): created, listed, read and
 * edited in the shapes of OA issues/create, list-for-repo, get and update (validateResponses is on),
 * numbered in one sequence with the pull requests, as GitHub does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { commitFiles, harness, repo, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('plain issues', () => {
  it('shares the numbering with PRs, lists by creator and state, and edits the body', async () => {
    h = await harness({ users: { bot: 'stagegate-bot', alice: 'alice' } });
    const bot = h.client('bot');
    await commitFiles(bot, 'feature', { 'x.txt': 'x' });
    const pr = (await bot.rest.pulls.create({ ...repo, head: 'feature', base: 'main', title: 'pr' })).data;
    const issue = (await bot.rest.issues.create({ ...repo, title: 'dashboard', body: 'one' })).data;
    expect([pr.number, issue.number]).toEqual([1, 2]);
    expect(issue.user?.login).toBe('stagegate-bot');
    await h.client('alice').rest.issues.create({ ...repo, title: 'by alice' });
    const mine = (await bot.rest.issues.listForRepo({ ...repo, creator: 'stagegate-bot' })).data;
    expect(mine.map((i) => [i.number, i.title, i.body])).toEqual([[2, 'dashboard', 'one']]);
    const edited = (await bot.rest.issues.update({ ...repo, issue_number: 2, body: 'two' })).data;
    expect(edited.body).toBe('two');
    expect((await bot.rest.issues.get({ ...repo, issue_number: 2 })).data.body).toBe('two');
    await bot.rest.issues.update({ ...repo, issue_number: 2, state: 'closed' });
    expect((await bot.rest.issues.listForRepo({ ...repo, state: 'open' })).data.map((i) => i.number)).toEqual([3]);
    const missing = await bot.rest.issues.create({ ...repo, title: '' }).catch((e: { status: number }) => e.status);
    expect(missing).toBe(422);
  });
});
