/**
 * `stagegate status` and the dashboard on a wave across clusters (issue 15, README "Waves across
 * clusters"): each cluster's weight as its generated/<cluster>/ file on main says, which cluster the
 * live stage reaches, which one the wave waits on, and which were rolled back.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { CHECK_HEALTH, CHECK_VERIFY, rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { githubDashboard } from '../../../app/bot/dashboard-github.js';
import { syncDashboard } from '../../../app/bot/dashboard.js';
import { readStatus, type RolloutStatus } from '../../../app/bot/status.js';
import { BOT_TOKEN, CI_APP, headOf, MIN, OWNER, push, REPO, world, type World } from '../bot/harness.js';
import { runCli } from '../../run-cli.js';

const WAVE = readFileSync(new URL('../../fixtures/waves/storefront.yaml', import.meta.url), 'utf8');
const PATH = 'rollouts/storefront.yaml';
const r = { owner: OWNER, repo: REPO };
const generatedFor = (text: string) =>
  Object.fromEntries(compile([{ path: PATH, text }]).map((c) => [`generated/${c.file}`, c.content]));

let w: World;
beforeAll(async () => {
  w = await world({ [PATH]: WAVE, ...generatedFor(WAVE) }, { app: true });
});
afterAll(async () => {
  await w?.close();
});

const wave = async (): Promise<RolloutStatus> =>
  (await readStatus(w.bot().options)).find((s) => s.rollout === 'shop/storefront')!;

/** The trusted CI App posts the wave's verdict as the gate words it (app/gate/waves.ts, check-run.ts). */
async function health(branch: string, title: string, conclusion?: 'failure'): Promise<void> {
  const sha = (await w.pulls()).find((p) => p.head.ref === branch && p.state === 'open')!.head.sha;
  await w.check(sha, CHECK_VERIFY, 'success');
  await w.ci.rest.checks.create({
    ...r,
    name: CHECK_HEALTH,
    head_sha: sha,
    started_at: w.now().toISOString(),
    ...(conclusion
      ? { status: 'completed', conclusion, completed_at: w.now().toISOString() }
      : { status: 'in_progress' }),
    output: { title, summary: title },
  });
}

async function statusCli(): Promise<{ json: { rollouts: RolloutStatus[] }; table: string }> {
  const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
  const args = ['status', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate', '--trust-app', CI_APP];
  // The command runs on the machine's clock: months after the test's, so its stages show held.
  const json = await runCli([...args, '--json'], process.cwd(), env);
  const table = await runCli(args, process.cwd(), env);
  return { json: JSON.parse(json.stdout), table: table.stdout };
}

describe('status of a wave across clusters', () => {
  it('shows each cluster’s weight from its generated file, reached or not, in the table and --json', async () => {
    const bot = w.bot();
    expect((await bot.pass()).find((x) => x.rollout === 'shop/storefront')!.summary).toBe(
      'opened #2 (eu-ten → ten-percent)',
    );
    const s = await wave();
    expect(s.weight).toBe(10);
    expect(s.clusters).toEqual([
      {
        cluster: 'eu-1',
        file: 'generated/eu-1/storefront.k8s.yaml',
        weight: 10,
        cohort: false,
        reached: true,
        rolledBack: false,
      },
      {
        cluster: 'us-1',
        file: 'generated/us-1/storefront.k8s.yaml',
        weight: 0,
        cohort: false,
        reached: false,
        rolledBack: false,
      },
    ]);
    const { json, table } = await statusCli();
    expect(json.rollouts.find((x) => x.rollout === 'shop/storefront')!.clusters).toEqual(s.clusters);
    expect(table).toMatch(/^shop\/storefront +eu-ten \(1\/4\) +eu-1 10 %, us-1 0 % +held +#2 /m);
    expect(table).toContain('  shop/storefront: clusters eu-1 10 %, us-1 0 % (not reached)\n');
  });

  it('names the cluster the wave waits on, from the trusted verdict, in status and the dashboard', async () => {
    w.advance(61 * MIN);
    await w.greenChecks(stageBranch('shop', 'storefront', 'ten-percent'));
    expect((await w.bot().pass()).find((x) => x.rollout === 'shop/storefront')!.summary).toBe(
      'merged #2 (eu-ten → ten-percent)',
    );
    expect((await w.bot().pass()).find((x) => x.rollout === 'shop/storefront')!.summary).toBe(
      'opened #3 (ten-percent → half)',
    );
    await health(stageBranch('shop', 'storefront', 'half'), 'hold: us-1: too few canary requests (12 of 300)');
    const s = await wave();
    expect(s.waitsOn).toBe('us-1');
    expect(s.clusters!.map((c) => [c.cluster, c.weight, c.reached, c.verdict])).toEqual([
      ['eu-1', 10, true, undefined],
      ['us-1', 10, true, 'hold'],
    ]);
    const { table } = await statusCli();
    expect(table).toContain('  shop/storefront: clusters eu-1 10 %, us-1 10 % (waits on it); the wave waits on us-1\n');
    const bot = w.bot();
    const dash = githubDashboard(
      { ...r, token: BOT_TOKEN, baseUrl: w.gh.url, retryUnitMs: 1, writeSpacingMs: 0 },
      bot.adapter,
    );
    const made = await syncDashboard(bot.options, dash, 'stagegate[bot]');
    const body = (await w.ci.rest.issues.get({ ...r, issue_number: made.number })).data.body ?? '';
    expect(body).toContain(
      '| shop/storefront | ten-percent (2/4) | eu-1 10 %, us-1 10 % (waits on it) | waiting | #3 | us-1: bake, until ',
    );
  });

  it('shows every cluster rolled back and the red one failed, after the wave’s rollback', async () => {
    await health(stageBranch('shop', 'storefront', 'half'), 'fail: us-1: 5xx ratio 4.10 % > 1.00 %', 'failure');
    expect((await w.bot().pass()).find((x) => x.rollout === 'shop/storefront')!.summary).toMatch(
      /^rolling back: #\d+ opened/,
    );
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'storefront'))!;
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect((await w.bot().pass()).find((x) => x.rollout === 'shop/storefront')!.summary).toMatch(
      /^rolled back: merged/,
    );
    const s = await wave();
    expect(s.phase).toBe('aborted');
    expect(s.clusters!.map((c) => [c.cluster, c.weight, c.rolledBack, c.verdict])).toEqual([
      ['eu-1', 0, true, undefined],
      ['us-1', 0, true, 'fail'],
    ]);
    const { table } = await statusCli();
    expect(table).toContain('  shop/storefront: clusters eu-1 0 % (rolled back), us-1 0 % (rolled back; failed)\n');
  });

  it('reads a generated file that is not what the intent compiles to, and says so', async () => {
    const tip = await headOf(w.ci, 'main');
    const file = 'generated/us-1/storefront.k8s.yaml';
    // Someone copies the us-1 file of the half stage (50 %) onto main by hand.
    const edited = generatedFor(WAVE.replace('stage: eu-ten', 'stage: half'))[file]!;
    expect(edited).toMatch(/subset: canary\n\s+weight: 50\n/);
    await push(w.person, { parent: tip, branch: 'main', message: 'hand edit', files: { [file]: { content: edited } } });
    const us = (await wave()).clusters!.find((c) => c.cluster === 'us-1')!;
    expect(us).toMatchObject({ weight: 50, stale: true });
    const { table } = await statusCli();
    expect(table).toContain('us-1 50 % (rolled back; failed; generated file differs from the intent)');
  });
});

describe('status --rollouts of a wave (a checkout)', () => {
  it('reads each cluster’s weight from the checkout’s generated/<cluster>/ files', async () => {
    const text = WAVE.replace('stage: eu-ten', 'stage: ten-percent');
    const files: Record<string, string> = { [PATH]: text, ...generatedFor(text) };
    // us-1's file left behind at eu-ten (0 %): stale, and shown as what it holds.
    files['generated/us-1/storefront.k8s.yaml'] = generatedFor(WAVE)['generated/us-1/storefront.k8s.yaml']!;
    const s = await statusOfCheckout(files);
    expect(s.clusters!.map((c) => [c.cluster, c.weight, c.reached, c.stale ?? false])).toEqual([
      ['eu-1', 10, true, false],
      ['us-1', 0, true, true],
    ]);
  });
});

describe('status of a wave aborted by a person', () => {
  it('marks no cluster failed for a reason a person wrote, even one that reads like the gate’s title', async () => {
    const text = WAVE.replace(
      'stage: eu-ten',
      'stage: ten-percent\n  abort: { reason: "fail: eu-1: test", at: "2026-03-02T09:00:00Z" }',
    );
    const s = await statusOfCheckout({ [PATH]: text, ...generatedFor(text) });
    expect(s.clusters!.map((c) => [c.cluster, c.weight, c.rolledBack, c.verdict ?? null])).toEqual([
      ['eu-1', 0, true, null],
      ['us-1', 0, true, null],
    ]);
  });
});

describe('status of a wave with onClusterFailure: cluster', () => {
  it('shows the red cluster rolled back alone, out of the wave, while the other goes on', async () => {
    await w.close();
    const text = WAVE.replace('  stages:', '  onClusterFailure: cluster\n  stages:');
    w = await world({ [PATH]: text, ...generatedFor(text) }, { app: true });
    const pass = async () => (await w.bot().pass()).find((x) => x.rollout === 'shop/storefront')!.summary;
    expect(await pass()).toBe('opened #2 (eu-ten → ten-percent)');
    w.advance(61 * MIN);
    await w.greenChecks(stageBranch('shop', 'storefront', 'ten-percent'));
    expect(await pass()).toBe('merged #2 (eu-ten → ten-percent)');
    expect(await pass()).toBe('opened #3 (ten-percent → half)');
    await health(stageBranch('shop', 'storefront', 'half'), 'fail: us-1: 5xx ratio 4.10 % > 1.00 %', 'failure');
    expect(await pass()).toMatch(/^rolling back us-1: #4 opened/);
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'storefront'))!;
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect(await pass()).toBe('rolled back us-1: merged #4 (100 % v1 in us-1)');
    const s = await wave();
    expect(s.clusters!.map((c) => [c.cluster, c.weight, c.reached, c.rolledBack, c.verdict])).toEqual([
      ['eu-1', 10, true, false, undefined],
      ['us-1', 0, false, true, 'fail'],
    ]);
    const { table } = await statusCli();
    expect(table).toContain('  shop/storefront: clusters eu-1 10 %, us-1 0 % (rolled back; failed)\n');
  });
});

/** `stagegate status --rollouts rollouts --json` in a checkout of `files`: the one rollout's status. */
async function statusOfCheckout(files: Record<string, string>): Promise<RolloutStatus> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-status-waves-'));
  try {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
    const out = await runCli(['status', '--rollouts', 'rollouts', '--json'], dir, {});
    expect(out.code).toBe(0);
    const [s] = JSON.parse(out.stdout).rollouts as RolloutStatus[];
    return s!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
