import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
let head: string;
let prNumber: number;
beforeAll(async () => {
  h = await harness();
  const o = h.client();
  head = await commitFiles(o, 'stagegate/shop/checkout/half', { 'rollouts/checkout.yaml': 'stage: half\n' });
  prNumber = (await o.pulls.create({ ...repo, title: 'half', head: 'stagegate/shop/checkout/half', base: 'main' })).data
    .number;
});
afterAll(async () => {
  await h.emu.close();
});

describe('check runs', () => {
  it('creates a run, completes it with a timestamp from the injected clock, and counts only the latest per name', async () => {
    const o = h.client();
    const first = await o.checks.create({ ...repo, name: 'stagegate/health', head_sha: head, status: 'in_progress' });
    expect([first.status, first.data.status, first.data.conclusion, first.data.started_at]).toEqual([
      201,
      'in_progress',
      null,
      '2026-03-01T12:00:00Z',
    ]);
    h.clock.advance(5 * 60_000);
    const failed = await o.checks.update({
      ...repo,
      check_run_id: first.data.id,
      conclusion: 'failure',
      output: { title: 'red', summary: 'errors 4 %' },
    });
    expect([failed.data.status, failed.data.conclusion, failed.data.completed_at, failed.data.output.title]).toEqual([
      'completed',
      'failure',
      '2026-03-01T12:05:00Z',
      'red',
    ]);
    h.clock.advance(60_000);
    await o.checks.create({
      ...repo,
      name: 'stagegate/health',
      head_sha: head,
      status: 'completed',
      conclusion: 'success',
    });
    await o.checks.create({ ...repo, name: 'stagegate/verify', head_sha: head, status: 'queued' });

    const latest = await o.checks.listForRef({ ...repo, ref: head });
    expect(latest.data.total_count).toBe(2);
    expect(latest.data.check_runs.map((r) => `${r.name}:${r.status}:${r.conclusion}`).sort()).toEqual([
      'stagegate/health:completed:success',
      'stagegate/verify:queued:null',
    ]);
    const all = await o.checks.listForRef({ ...repo, ref: head, check_name: 'stagegate/health', filter: 'all' });
    expect(all.data.check_runs.map((r) => r.conclusion)).toEqual(['success', 'failure']);
    const queued = await o.checks.listForRef({ ...repo, ref: 'stagegate/shop/checkout/half', status: 'queued' });
    expect(queued.data.check_runs.map((r) => r.name)).toEqual(['stagegate/verify']);
    expect(queued.data.check_runs[0].pull_requests.map((p) => p.number)).toEqual([prNumber]);
  });

  it('refuses a completed run without a conclusion and a run on an unknown commit', async () => {
    const o = h.client();
    expect((await statusOf(o.checks.create({ ...repo, name: 'x', head_sha: head, status: 'completed' }))).status).toBe(
      422,
    );
    expect((await statusOf(o.checks.create({ ...repo, name: 'x', head_sha: 'd'.repeat(40) }))).status).toBe(422);
    expect((await statusOf(o.checks.update({ ...repo, check_run_id: 424242, status: 'in_progress' }))).status).toBe(
      404,
    );
  });
});

describe('commit statuses', () => {
  it('reads "pending" with total_count 0 when a commit has no statuses, as GitHub does', async () => {
    const o = h.client();
    const combined = await o.repos.getCombinedStatusForRef({ ...repo, ref: 'main' });
    expect([combined.data.state, combined.data.total_count, combined.data.statuses]).toEqual(['pending', 0, []]);
  });

  it('combines the latest status per context: failure wins, then pending, else success', async () => {
    const o = h.client();
    await o.repos.createCommitStatus({ ...repo, sha: head, state: 'pending', context: 'ci/build' });
    expect((await o.repos.getCombinedStatusForRef({ ...repo, ref: head })).data.state).toBe('pending');
    await o.repos.createCommitStatus({ ...repo, sha: head, state: 'success', context: 'ci/build' });
    expect((await o.repos.getCombinedStatusForRef({ ...repo, ref: head })).data).toMatchObject({
      state: 'success',
      total_count: 1,
    });
    await o.repos.createCommitStatus({ ...repo, sha: head, state: 'error', context: 'ci/lint', description: 'boom' });
    const combined = await o.repos.getCombinedStatusForRef({ ...repo, ref: head });
    expect([combined.data.state, combined.data.total_count]).toEqual(['failure', 2]);
    const all = await o.repos.listCommitStatusesForRef({ ...repo, ref: head });
    expect(all.data.map((st) => `${st.context}:${st.state}`)).toEqual([
      'ci/lint:error',
      'ci/build:success',
      'ci/build:pending',
    ]);
    expect(
      (await statusOf(o.repos.createCommitStatus({ ...repo, sha: 'e'.repeat(40), state: 'success' }))).status,
    ).toBe(422);
    const pr = (await o.pulls.get({ ...repo, pull_number: prNumber })).data;
    expect(pr.mergeable_state).toBe('unstable');
  });
});

describe('comments and labels', () => {
  it('posts and lists comments on a PR and 404s an unknown issue', async () => {
    const o = h.client();
    const posted = await o.issues.createComment({ ...repo, issue_number: prNumber, body: 'stalled past timebox' });
    expect([posted.status, posted.data.user?.login, posted.data.body]).toEqual([
      201,
      'stagegate-bot',
      'stalled past timebox',
    ]);
    const list = await o.issues.listComments({ ...repo, issue_number: prNumber });
    expect(list.data.map((c) => c.body)).toEqual(['stalled past timebox']);
    expect((await statusOf(o.issues.createComment({ ...repo, issue_number: 999, body: 'x' }))).status).toBe(404);
  });

  it('creates repository labels, refuses duplicates, adds labels to a PR (creating missing ones) and removes them', async () => {
    const o = h.client();
    const made = await o.issues.createLabel({
      ...repo,
      name: 'stagegate:stalled',
      color: 'd93f0b',
      description: 'past timebox',
    });
    expect([made.status, made.data.color]).toEqual([201, 'd93f0b']);
    const dup = await statusOf(o.issues.createLabel({ ...repo, name: 'stagegate:stalled', color: 'd93f0b' }));
    expect(dup.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }],
    });

    const added = await o.issues.addLabels({
      ...repo,
      issue_number: prNumber,
      labels: ['stagegate:stalled', 'stagegate'],
    });
    expect(added.data.map((l) => l.name)).toEqual(['stagegate:stalled', 'stagegate']);
    expect((await o.issues.listLabelsForRepo({ ...repo })).data.map((l) => l.name)).toEqual([
      'stagegate:stalled',
      'stagegate',
    ]);
    expect((await o.pulls.get({ ...repo, pull_number: prNumber })).data.labels.map((l) => l.name)).toEqual([
      'stagegate:stalled',
      'stagegate',
    ]);
    expect((await o.pulls.list({ ...repo })).data[0].labels.map((l) => `${l.name}:${l.description}`)).toEqual([
      'stagegate:stalled:past timebox',
      'stagegate:',
    ]);

    const left = await o.issues.removeLabel({ ...repo, issue_number: prNumber, name: 'stagegate:stalled' });
    expect(left.data.map((l) => l.name)).toEqual(['stagegate']);
    expect((await o.issues.listLabelsOnIssue({ ...repo, issue_number: prNumber })).data.map((l) => l.name)).toEqual([
      'stagegate',
    ]);
    const gone = await statusOf(o.issues.removeLabel({ ...repo, issue_number: prNumber, name: 'stagegate:stalled' }));
    expect([gone.status, gone.message]).toEqual([404, expect.stringContaining('Label does not exist')]);
  });
});
