/**
 * `stagegate status` (issue 15): read-only, against the emulator as the GitHub App. It shows the
 * planner's trust decisions (docs/design.md §4a): someone else's PR on a bot branch is listed as
 * ignored, never as the rollout's PR, and only the trusted App's health run is evidence.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY, rollbackBranch } from '../../../constructs/conventions.js';
import { readOnly, readStatus } from '../../../app/bot/status.js';
import type { Io } from '../../../app/cli/main.js';
import { BOT_TOKEN, CI_APP, headOf, INTENT, MIN, OWNER, push, REPO, world, type World } from '../bot/harness.js';
import { runCli } from '../../run-cli.js';

const r = { owner: OWNER, repo: REPO };
let w: World;
let stageHead: string;

async function run(argv: string[], cwd = process.cwd(), env: Io['env'] = {}) {
  return runCli(argv, cwd, {
    GITHUB_TOKEN: BOT_TOKEN,
    GITHUB_API_URL: w?.gh.url,
    STAGEGATE_RETRY_UNIT_MS: '1',
    ...env,
  });
}

async function byMethod(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const q of w.gh.requests) out[q.method] = (out[q.method] ?? 0) + 1;
  return out;
}

beforeAll(async () => {
  w = await world({}, { app: true });
  expect((await w.bot().pass())[0]!.summary).toBe('opened #1 (internal → one-percent)');
  stageHead = (await w.pulls())[0]!.head.sha;
  w.advance(10 * MIN);
  const iso = w.now().toISOString();
  // The gate runs as the bot's App; its run title is the verdict with its first reason (app/gate/check-run.ts).
  await w.botClient.rest.checks.create({
    ...r,
    name: CHECK_HEALTH,
    head_sha: stageHead,
    status: 'in_progress',
    started_at: iso,
    output: { title: 'baking, healthy so far: 33 % of the bake window', summary: 'canary 0.10 % 5xx' },
  });
  await w.check(stageHead, CHECK_VERIFY, 'success');
  // An App nobody trusts reports a failure later: it must not be shown as the verdict.
  w.advance(MIN);
  await w.other.rest.checks.create({
    ...r,
    name: CHECK_HEALTH,
    head_sha: stageHead,
    status: 'completed',
    conclusion: 'failure',
    completed_at: w.now().toISOString(),
    output: { title: 'fail: not from a trusted App', summary: 'x' },
  });
  // Mallory opens a PR on the bot's rollback branch: ignored, never "rolling back".
  const tip = await headOf(w.ci, 'main');
  await push(w.mallory, {
    parent: tip,
    branch: rollbackBranch('shop', 'checkout'),
    message: 'roll back, trust me',
    files: { 'rollouts/checkout.yaml': { content: INTENT.replace('stage: internal', 'stage: full') } },
  });
  await w.mallory.rest.pulls.create({ ...r, head: rollbackBranch('shop', 'checkout'), base: 'main', title: 'x' });
});
afterAll(async () => {
  await w?.close();
});

describe('stagegate status --repo', () => {
  it('shows the live stage, the bot’s PR and what it waits for, the trusted health, timebox; Mallory’s PR ignored', async () => {
    const [s] = await readStatus(w.bot().options);
    expect(s).toEqual({
      rollout: 'shop/checkout',
      path: 'rollouts/checkout.yaml',
      phase: 'waiting',
      stage: 'internal',
      position: { index: 1, of: 3 },
      weight: 0,
      cohort: true,
      nextStage: 'one-percent',
      canary: 'v2',
      stable: 'v1',
      liveSince: '2026-03-02T09:00:00.000Z',
      bakeLeftMs: 19 * MIN,
      bakeEndsAt: '2026-03-02T09:30:00.000Z',
      timeboxEndsAt: { stage: '2026-03-03T09:00:00.000Z', rollout: '2026-03-09T09:00:00.000Z' },
      timeboxLeftMs: { stage: 24 * 60 * MIN - 11 * MIN, rollout: 7 * 24 * 60 * MIN - 11 * MIN },
      pr: { number: 1, kind: 'stage', url: expect.stringContaining('/pull/1'), state: 'open', paused: false },
      next: { action: 'wait', reason: 'bake', detail: 'bake 19m left' },
      health: {
        verdict: 'in_progress',
        at: '2026-03-02T09:10:00Z',
        evidence: 'baking, healthy so far: 33 % of the bake window',
        run: expect.any(Number),
        url: expect.stringContaining('/runs/'),
      },
      ignored: [{ number: 2, author: 'mallory', branch: 'stagegate/shop/checkout/rollback' }],
    });
  });

  it('makes no write request: every request it sends is a GET (counted by method in the emulator log)', async () => {
    w.gh.resetLog();
    const r1 = await run(['status', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate', '--trust-app', CI_APP]);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const methods = await byMethod();
    expect(Object.keys(methods)).toEqual(['GET']);
    expect(methods.GET).toBeGreaterThan(3);
    // The same state makes a bot pass write (it tells Mallory once that her PR is ignored): the count can fail.
    w.gh.resetLog();
    expect((await w.bot().pass())[0]!.summary).toBe('waiting: commented on #2 (ignored)');
    expect((await byMethod()).POST).toBe(1);
  });

  it('with --cache FILE a repeated status asks less (content by sha remembered), still GET only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-status-cache-'));
    const args = ['status', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate', '--trust-app', CI_APP];
    try {
      w.gh.resetLog();
      expect((await run([...args, '--cache', join(dir, 'c.json')])).code).toBe(0);
      const first = w.gh.requests.length;
      w.gh.resetLog();
      expect((await run([...args, '--cache', join(dir, 'c.json')])).code).toBe(0);
      const second = w.gh.requests;
      expect(second.length).toBeLessThan(first);
      expect(second.filter((q) => q.method !== 'GET')).toEqual([]);
      expect(second.filter((q) => q.status === 304).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a table for people and one JSON document with --json', async () => {
    const args = ['status', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate', '--trust-app', CI_APP];
    const text = await run(args);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('acme/deploy: 1 rollout(s)');
    expect(lines[2]).toMatch(/^rollout +stage +weight +phase +pr +waiting for \/ next +health +timebox left$/);
    expect(lines[3]).toMatch(/^shop\/checkout +internal \(1\/3\) +0 % \+ cohort +\S+ +#1 +/);
    expect(text.stdout).toContain(
      "shop/checkout: ignored #2 on stagegate/shop/checkout/rollback by mallory (not the bot's PR; never merged or adopted)",
    );
    expect(text.stdout).toMatch(/shop\/checkout: health run \d+: baking, healthy so far: 33 % of the bake window/);
    const json = await run([...args, '--json']);
    const doc = JSON.parse(json.stdout) as {
      source: string;
      rollouts: Array<{ rollout: string; pr: { number: number } }>;
    };
    expect(doc.source).toBe('acme/deploy');
    expect(doc.rollouts.map((x) => [x.rollout, x.pr.number])).toEqual([['shop/checkout', 1]]);
  });

  it('exits 4 when GitHub cannot be read, without printing the token', async () => {
    const r1 = await run(['status', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate'], process.cwd(), {
      GITHUB_API_URL: 'http://127.0.0.1:9',
    });
    expect(r1.code).toBe(4);
    expect(r1.stdout).toBe('');
    expect(r1.stderr).not.toContain(BOT_TOKEN);
    expect(r1.stderr).toContain('failed');
  });

  it('refuses every write through its port, whatever calls it', async () => {
    const port = readOnly(w.bot().options.port);
    await expect(port.comment(1, 'hi')).rejects.toThrow('stagegate status is read-only; it never calls comment');
    await expect(port.merge(1, { sha: stageHead, method: 'squash', title: 't', message: 'm' })).rejects.toThrow(
      'stagegate status is read-only; it never calls merge',
    );
  });
});

describe('stagegate status --rollouts (a checkout)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'stagegate-status-'));
  beforeAll(() => {
    mkdirSync(join(cwd, 'rollouts'));
    writeFileSync(join(cwd, 'rollouts/checkout.yaml'), INTENT.replace('stage: internal', 'stage: one-percent'));
    writeFileSync(
      join(cwd, 'rollouts/cart.yaml'),
      INTENT.replace('name: checkout', 'name: cart').replace(
        'stage: internal   # the live stage',
        'stage: one-percent\n  abort: { reason: "5xx on canary", at: "2026-03-02T10:00:00Z" }',
      ),
    );
    writeFileSync(join(cwd, 'rollouts/broken.yaml'), INTENT.replace('stage: internal', 'stage: nowhere'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('shows what the intents say: stage, weight, aborted; an invalid intent is an error row with its location', async () => {
    const r1 = await run(['status', '--rollouts', 'rollouts', '--json'], cwd);
    expect(r1.code).toBe(1);
    const doc = JSON.parse(r1.stdout) as { rollouts: Array<Record<string, unknown>> };
    expect(doc.rollouts.map((x) => [x.rollout, x.phase, x.stage ?? null, x.weight ?? null])).toEqual([
      ['rollouts/broken.yaml', 'error', null, null],
      ['shop/cart', 'aborted', 'one-percent', 0],
      ['shop/checkout', 'progressing', 'one-percent', 1],
    ]);
    expect(doc.rollouts[1]!.next).toEqual({
      action: 'none',
      detail: 'aborted: 5xx on canary (since 2026-03-02T10:00:00Z)',
    });
    expect(r1.stderr).toMatch(/^rollouts\/broken\.yaml: rollouts\/broken\.yaml:\d+:\d+/);
    expect(r1.stderr).toContain('nowhere');
  });

  it('refuses --repo with --rollouts', async () => {
    const r1 = await run(['status', '--repo', 'a/b', '--rollouts', 'rollouts'], cwd);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('give --repo (GitHub) or --rollouts (a checkout), not both');
  });
});
