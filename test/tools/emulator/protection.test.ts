import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BranchProtection } from '../../../tools/emulator/index.js';
import { commitFiles, git, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: { 'alice-token': 'alice', 'bob-token': 'bob' },
    apps: { 'app-token': 'stagegate', 'ci-token': 'ci', 'evil-token': 'evil' },
    admins: ['alice'],
    allowAutoMerge: true,
    allowUpdateBranch: true,
  });
});
afterAll(async () => {
  await h.emu.close();
});

const VERIFY = 'stagegate/verify';
const bot = () => h.client('app-token');

async function protect(rules: BranchProtection | undefined): Promise<void> {
  const res = await fetch(`${h.emu.url}/_emulator/protection/main`, {
    method: rules ? 'PUT' : 'DELETE',
    body: rules ? JSON.stringify(rules) : undefined,
  });
  expect(res.status).toBeLessThan(300);
}

let n = 0;
async function openPr(files?: Record<string, string>): Promise<{ number: number; sha: string }> {
  n += 1;
  const branch = `stagegate/rules/${n}`;
  const sha = await commitFiles(bot(), branch, files ?? { [`notes/${n}.txt`]: `${n}\n` });
  const pr = (await bot().pulls.create({ ...repo, head: branch, base: 'main', title: branch })).data;
  return { number: pr.number, sha };
}

async function verify(sha: string, token = 'ci-token', conclusion: 'success' | 'failure' = 'success'): Promise<void> {
  await h
    .client(token)
    .checks.create({ ...repo, name: VERIFY, head_sha: sha, conclusion, completed_at: h.clock.now.toISOString() });
}

const refusal = async (pull: number, token = 'app-token'): Promise<[number, string]> => {
  const res = await statusOf(h.client(token).pulls.merge({ ...repo, pull_number: pull, merge_method: 'squash' }));
  return [res.status, (res.data as { message: string }).message];
};

describe('ruleset rules on merge (405 "Repository rule violations found", microsoft/winget-pkgs#252733)', () => {
  it("refuses a merge lacking an approving review and a required check, in GitHub's words, then merges once both are there", async () => {
    await protect({ requiredApprovingReviews: 1, requiredStatusChecks: [{ context: VERIFY, app: 'ci' }] });
    const pr = await openPr();
    expect(await refusal(pr.number)).toEqual([
      405,
      'Repository rule violations found\n\n' +
        'At least 1 approving review is required by reviewers with write access.\n\n' +
        'Required status check "stagegate/verify" is expected.\n\n',
    ]);
    expect((await bot().pulls.get({ ...repo, pull_number: pr.number })).data.mergeable_state).toBe('blocked');
    await h.client('alice-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    // A check of that name from another App does not count: the rule pins the ci App (integration_id).
    await verify(pr.sha, 'evil-token');
    expect(await refusal(pr.number)).toEqual([
      405,
      'Repository rule violations found\n\nRequired status check "stagegate/verify" is expected.\n\n',
    ]);
    await verify(pr.sha);
    const merged = await bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' });
    expect(merged.data.merged).toBe(true);
  });

  it('counts a failed required check as "have not succeeded" (mikelward/scripts#197)', async () => {
    await protect({ requiredStatusChecks: [{ context: VERIFY }, { context: 'lint' }] });
    const pr = await openPr();
    await verify(pr.sha, 'ci-token', 'failure');
    expect(await refusal(pr.number)).toEqual([
      405,
      'Repository rule violations found\n\n1 of 2 required status checks are expected.\n\n' +
        '1 of 2 required status checks have not succeeded.\n\n',
    ]);
  });

  it("refuses the PR author's own approval and counts only other reviewers (OA pulls/create-review)", async () => {
    await protect({ requiredApprovingReviews: 2 });
    const pr = await openPr();
    const own = await statusOf(bot().pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' }));
    expect([own.status, (own.data as { errors: string[] }).errors]).toEqual([
      422,
      ['Can not approve your own pull request'],
    ]);
    await h.client('alice-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    expect(await refusal(pr.number)).toEqual([
      405,
      'Repository rule violations found\n\nAt least 2 approving reviews are required by reviewers with write access.\n\n',
    ]);
    await h
      .client('bob-token')
      .pulls.createReview({ ...repo, pull_number: pr.number, event: 'REQUEST_CHANGES', body: 'no' });
    await h.client('bob-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    const reviews = (await bot().pulls.listReviews({ ...repo, pull_number: pr.number })).data;
    expect(reviews.map((r) => `${r.user?.login}:${r.state}`)).toEqual([
      'alice:APPROVED',
      'bob:CHANGES_REQUESTED',
      'bob:APPROVED',
    ]);
    expect((await bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' })).data.merged).toBe(
      true,
    );
  });

  it('waits on a code owner of each changed file (.github/CODEOWNERS on the base, last match wins)', async () => {
    await protect(undefined);
    await commitFiles(h.client('alice-token'), 'owners', { '.github/CODEOWNERS': '* @bob\nrollouts/ @alice\n' });
    const owners = (
      await h.client('alice-token').pulls.create({ ...repo, head: 'owners', base: 'main', title: 'owners' })
    ).data;
    await h.client('alice-token').pulls.merge({ ...repo, pull_number: owners.number });
    await protect({ requireCodeOwnerReviews: true });
    const pr = await openPr({ 'rollouts/checkout.yaml': 'stage: owned\n' });
    expect(await refusal(pr.number)).toEqual([
      405,
      'Repository rule violations found\n\nWaiting on code owner review from @alice.\n\n',
    ]);
    await h.client('bob-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    expect((await refusal(pr.number))[0]).toBe(405);
    await h.client('alice-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    expect((await bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' })).data.merged).toBe(
      true,
    );
  });

  it('answers "Changes must be made through the merge queue" with a merge queue (anza-xyz/kit#94)', async () => {
    await protect({ mergeQueue: true });
    const pr = await openPr();
    expect(await refusal(pr.number)).toEqual([
      405,
      'Repository rule violations found\n\nChanges must be made through the merge queue\n\n',
    ]);
  });

  it('lets a bypass actor merge what others may not', async () => {
    await protect({ requiredApprovingReviews: 1, mergeQueue: true, bypass: ['stagegate'] });
    const pr = await openPr();
    expect((await refusal(pr.number, 'alice-token'))[0]).toBe(405);
    expect((await bot().pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' })).data.merged).toBe(
      true,
    );
  });
});

describe('require branches to be up to date (strict)', () => {
  it("reports a behind PR's checks as expected (RakuenSoftware/aimee#2460), and update-branch merges the base in as a real commit", async () => {
    await protect({ requiredStatusChecks: [{ context: VERIFY, app: 'ci' }], strict: true });
    const first = await openPr();
    const second = await openPr();
    await verify(first.sha);
    await verify(second.sha);
    await bot().pulls.merge({ ...repo, pull_number: first.number, merge_method: 'squash' });
    expect(await refusal(second.number)).toEqual([
      405,
      'Repository rule violations found\n\nRequired status check "stagegate/verify" is expected.\n\n',
    ]);
    expect((await bot().pulls.get({ ...repo, pull_number: second.number })).data.mergeable_state).toBe('behind');
    const wrong = await statusOf(
      bot().pulls.updateBranch({ ...repo, pull_number: second.number, expected_head_sha: 'a'.repeat(40) }),
    );
    expect(wrong.status).toBe(422);
    const updated = await bot().pulls.updateBranch({
      ...repo,
      pull_number: second.number,
      expected_head_sha: second.sha,
    });
    expect([updated.status, updated.data.message]).toEqual([202, 'Updating pull request branch.']);
    const head = (await bot().pulls.get({ ...repo, pull_number: second.number })).data.head.sha;
    expect(git(h.emu, 'rev-parse', `${head}^1`, `${head}^2`).split('\n')).toEqual([
      second.sha,
      git(h.emu, 'rev-parse', 'main'),
    ]);
    const none = await statusOf(bot().pulls.updateBranch({ ...repo, pull_number: second.number }));
    expect([none.status, (none.data as { message: string }).message]).toEqual([
      422,
      'There are no new commits on the base branch.',
    ]);
    // The new head needs its own checks.
    expect((await refusal(second.number))[0]).toBe(405);
    await verify(head);
    expect((await bot().pulls.merge({ ...repo, pull_number: second.number, merge_method: 'squash' })).data.merged).toBe(
      true,
    );
  });
});

describe('reading the rules', () => {
  it('lists the rules at GET /rules/branches/{branch} for any token (OA repos/get-branch-rules) and [] for an unprotected branch', async () => {
    await protect({
      requiredApprovingReviews: 1,
      requiredStatusChecks: [{ context: VERIFY, app: 'ci' }],
      strict: true,
    });
    const ciApp = (
      await h.client('ci-token').checks.create({ ...repo, name: 'probe', head_sha: git(h.emu, 'rev-parse', 'main') })
    ).data.app!;
    const rules = (
      await h
        .client('bob-token')
        .request('GET /repos/{owner}/{repo}/rules/branches/{branch}', { ...repo, branch: 'main' })
    ).data as Array<{
      type: string;
      parameters: Record<string, unknown>;
    }>;
    expect(rules.map((r) => r.type)).toEqual(['pull_request', 'required_status_checks']);
    expect(rules[0]!.parameters.required_approving_review_count).toBe(1);
    expect(rules[1]!.parameters).toEqual({
      required_status_checks: [{ context: VERIFY, integration_id: ciApp.id }],
      strict_required_status_checks_policy: true,
    });
    const other = await bot().request('GET /repos/{owner}/{repo}/rules/branches/{branch}', { ...repo, branch: 'nope' });
    expect(other.data).toEqual([]);
  });

  it('refuses GET /branches/{b}/protection without admin (renovatebot/renovate#23885) and shows admins no classic protection', async () => {
    const app = await statusOf(bot().repos.getBranchProtection({ ...repo, branch: 'main' }));
    expect([app.status, (app.data as { message: string }).message]).toEqual([
      403,
      'Resource not accessible by integration',
    ]);
    const admin = await statusOf(h.client('alice-token').repos.getBranchProtection({ ...repo, branch: 'main' }));
    expect([admin.status, (admin.data as { message: string }).message]).toEqual([404, 'Branch not protected']);
  });
});

describe('auto-merge (enabled through GraphQL on GitHub; a test hook here)', () => {
  it('shows auto_merge on the PR and merges it by itself, as the person who enabled it, once the rules pass', async () => {
    await protect({ requiredApprovingReviews: 1 });
    const pr = await openPr();
    const enable = await fetch(`${h.emu.url}/_emulator/pulls/${pr.number}/auto-merge`, {
      method: 'PUT',
      body: JSON.stringify({ merge_method: 'squash', enabled_by: 'bob' }),
    });
    expect(enable.status).toBe(200);
    const waiting = (await bot().pulls.get({ ...repo, pull_number: pr.number })).data;
    expect([waiting.state, waiting.auto_merge?.merge_method, waiting.auto_merge?.enabled_by.login]).toEqual([
      'open',
      'squash',
      'bob',
    ]);
    await h.client('alice-token').pulls.createReview({ ...repo, pull_number: pr.number, event: 'APPROVE' });
    const done = (await bot().pulls.get({ ...repo, pull_number: pr.number })).data;
    expect([done.merged, done.merged_by?.login, done.auto_merge]).toEqual([true, 'bob', null]);
  });

  it('refuses auto-merge for a PR that can merge now ("Pull request is in clean status")', async () => {
    await protect(undefined);
    const pr = await openPr();
    const res = await fetch(`${h.emu.url}/_emulator/pulls/${pr.number}/auto-merge`, { method: 'PUT', body: '{}' });
    expect(res.status).toBe(422);
  });
});
