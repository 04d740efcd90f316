/**
 * The bot on a wave across clusters (README "Waves across clusters"): a stage PR and a rollback
 * PR carry every cluster's generated file, so generated/<cluster>/ on main is always what synth
 * writes for the merged intent.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { CHECK_VERIFY } from '../../../constructs/conventions.js';
import { CHECK_HEALTH } from '../../../constructs/conventions.js';
import { parseIntent } from '../../../constructs/spec/index.js';
import { openRetry, retryBranch } from '../../../app/bot/retry.js';
import { healthCheckRun } from '../../../app/gate/check-run.js';
import type { Verdict } from '../../../app/gate/evaluate.js';
import { combineVerdicts } from '../../../app/gate/waves.js';
import { MIN, OWNER, REPO, world, type World } from './harness.js';

const WAVE = readFileSync(new URL('../../fixtures/waves/storefront.yaml', import.meta.url), 'utf8');
const PATH = 'rollouts/storefront.yaml';
const EU = 'generated/eu-1/storefront.k8s.yaml';
const US = 'generated/us-1/storefront.k8s.yaml';
/** The same wave, with a red cluster rolling back that cluster alone. */
const BY_CLUSTER = WAVE.replace('  stages:', '  onClusterFailure: cluster\n  stages:');
const generatedFor = (text: string) =>
  Object.fromEntries(compile([{ path: PATH, text }]).map((c) => [`generated/${c.file}`, c.content]));

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** A world on `text` whose bot opened and, on green checks, merged eu-ten → ten-percent; `report`: a pass's summary. */
async function mergedTenPercent(text: string): Promise<{ world: World; report: () => Promise<string> }> {
  const at = await world({ [PATH]: text, ...generatedFor(text) });
  w = at; // closed by afterEach even when an expectation below fails
  const bot = at.bot();
  const report = async () => (await bot.pass()).find((r) => r.rollout === 'shop/storefront')!.summary;
  expect(await report()).toBe('opened #2 (eu-ten → ten-percent)');
  at.advance(61 * MIN);
  await at.greenChecks(stageBranch('shop', 'storefront', 'ten-percent'));
  expect(await report()).toBe('merged #2 (eu-ten → ten-percent)');
  return { world: at, report };
}

describe('the bot on a two-cluster wave', () => {
  it('promotes eu-ten → ten-percent with both clusters’ files, then rolls the whole wave back on red health', async () => {
    const merged = await mergedTenPercent(WAVE);
    w = merged.world;
    const report = merged.report;
    const promoted = w.gh.readFile('main', PATH)!;
    expect(promoted).toContain('stage: ten-percent');
    // us-1 joined the wave at 10 %: its file on main is synth's for the merged intent.
    for (const [file, content] of Object.entries(generatedFor(promoted)))
      expect(w.gh.readFile('main', file)).toBe(content);
    expect(w.gh.readFile('main', 'generated/us-1/storefront.k8s.yaml')).toMatch(/subset: canary\n\s+weight: 10\n/);

    expect(await report()).toBe('opened #3 (ten-percent → half)');
    w.advance(10 * MIN);
    await w.greenChecks(stageBranch('shop', 'storefront', 'half'), 'failure');
    expect(await report()).toMatch(/^rolling back: #4 opened, #3 closed/);
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'storefront'))!;
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect(await report()).toBe('rolled back: merged #4 (100 % v1)');
    const aborted = w.gh.readFile('main', PATH)!;
    for (const [file, content] of Object.entries(generatedFor(aborted))) {
      expect(w.gh.readFile('main', file)).toBe(content);
      expect(content).toMatch(/subset: stable\n\s+weight: 100\n/);
    }
  });
});

/** The one-cluster verdict a cluster's gate gives. */
const verdict = (kind: Verdict['kind'], reason: string): Verdict => ({
  rollout: 'shop/storefront',
  kind,
  summary: `${kind}: ${reason}`,
  reasons: [reason],
  alerts: [],
  baking: false,
  at: '2026-12-02T10:00:00.000Z',
});

/**
 * CI posts the wave gate's stagegate/health run (app/gate/waves.ts combineVerdicts → check-run.ts,
 * the code `stagegate gate` runs) on the open PR of `branch`, with each cluster's verdict.
 */
async function waveHealth(w: World, branch: string, text: string, kinds: Record<string, Verdict['kind']>) {
  const open = (await w.pulls()).find((p) => p.head.ref === branch && p.state === 'open')!;
  const parsed = parseIntent(PATH, text);
  if (!parsed.ok) throw new Error('fixture');
  const clusters = Object.entries(kinds).map(([cluster, kind]) => ({
    cluster,
    verdict: verdict(kind, kind === 'fail' ? 'errors: canary 9.8 % vs stable 0.2 %' : 'healthy'),
  }));
  const run = healthCheckRun(combineVerdicts(parsed.model, w.now(), clusters));
  await w.check(open.head.sha, CHECK_VERIFY, 'success');
  const iso = w.now().toISOString();
  await w.ci.rest.checks.create({
    owner: OWNER,
    repo: REPO,
    name: CHECK_HEALTH,
    head_sha: open.head.sha,
    status: 'completed',
    conclusion: run.conclusion!,
    started_at: iso,
    completed_at: iso,
    output: { title: run.title, summary: run.summary },
  });
  return open;
}

describe('the bot on a two-cluster wave: onClusterFailure', () => {
  it('cluster: a red us-1 is rolled back alone (eu-1’s file untouched), eu-1 goes on, and the rollout is not done', async () => {
    const merged = await mergedTenPercent(BY_CLUSTER);
    w = merged.world;
    const report = merged.report;
    expect(await report()).toBe('opened #3 (ten-percent → half)');
    const euBefore = w.gh.readFile('main', EU)!;
    w.advance(10 * MIN);
    await waveHealth(w, stageBranch('shop', 'storefront', 'half'), w.gh.readFile('main', PATH)!, {
      'us-1': 'fail',
      'eu-1': 'pass',
    });
    expect(await report()).toBe(
      'rolling back us-1: #4 opened, #3 closed (stagegate/health failed on #3 during ten-percent: fail: us-1: errors: canary 9.8 % vs stable 0.2 %)',
    );
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'storefront'))!;
    const files = await w.ci.rest.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: rollback.number });
    // eu-1's manifest is not in the rollback PR: only us-1 goes back to stable.
    expect(files.data.map((f) => f.filename).sort()).toEqual(
      ['rollouts/changelog/shop-storefront.md', US, PATH].sort(),
    );
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect(await report()).toBe('rolled back us-1: merged #4 (100 % v1 in us-1)');
    const intent = w.gh.readFile('main', PATH)!;
    expect(intent).toMatch(
      /abort:\n {4}reason: "stagegate\/health failed on #3 during ten-percent: fail: us-1: [^"]+"\n {4}at: "[^"]+"\n {4}clusters: \[us-1\]\n/,
    );
    expect(w.gh.readFile('main', EU)).toBe(euBefore);
    expect(w.gh.readFile('main', US)).toMatch(/subset: stable\n\s+weight: 100\n/);
    const changelog = w.gh.readFile('main', 'rollouts/changelog/shop-storefront.md')!;
    expect(changelog).toContain('## rollback of us-1 at ten-percent');
    expect(changelog).toMatch(/- at [^:]+:\d\d:\d\d\.\d+Z: us-1 on 100 % stable; eu-1 go on at ten-percent\n/);

    // eu-1 goes on; us-1 stays out of the later stages (stable in their PRs) until a retry.
    expect(await report()).toBe('opened #5 (ten-percent → half)');
    const half = (await w.pulls()).find((p) => p.number === 5)!;
    expect(w.gh.readFile(half.head.sha, EU)).toMatch(/subset: canary\n\s+weight: 50\n/);
    expect(w.gh.readFile(half.head.sha, US)).toMatch(/subset: stable\n\s+weight: 100\n/);
    w.advance(61 * MIN);
    await waveHealth(w, stageBranch('shop', 'storefront', 'half'), intent, { 'eu-1': 'pass' });
    expect(await report()).toBe('merged #5 (ten-percent → half)');
    expect(await report()).toBe('opened #6 (half → full)');
    w.advance(61 * MIN);
    await waveHealth(w, stageBranch('shop', 'storefront', 'full'), w.gh.readFile('main', PATH)!, { 'eu-1': 'pass' });
    expect(await report()).toBe('merged #6 (half → full)');
    expect(w.gh.readFile('main', EU)).toMatch(/subset: canary\n\s+weight: 100\n/);
    expect(w.gh.readFile('main', US)).toMatch(/subset: stable\n\s+weight: 100\n/);
    // Not "complete": us-1 is rolled back, so the rollout waits for a retry.
    expect(await report()).toBe(
      'aborted: full is live in eu-1, but us-1 is rolled back (stagegate/health failed on #3 during ten-percent: fail: us-1: errors: canary 9.8 % vs stable 0.2 %); stagegate retry starts the rollout over',
    );
  });

  it('rollout (the default): the same red us-1 rolls back the whole wave', async () => {
    const merged = await mergedTenPercent(WAVE);
    w = merged.world;
    const report = merged.report;
    expect(await report()).toBe('opened #3 (ten-percent → half)');
    await waveHealth(w, stageBranch('shop', 'storefront', 'half'), w.gh.readFile('main', PATH)!, {
      'us-1': 'fail',
      'eu-1': 'pass',
    });
    expect(await report()).toMatch(
      /^rolling back: #4 opened, #3 closed \(stagegate\/health failed on #3 during ten-percent: fail: us-1: /,
    );
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'storefront'))!;
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect(await report()).toBe('rolled back: merged #4 (100 % v1)');
    expect(w.gh.readFile('main', PATH)).not.toContain('clusters: [us-1]\n  stage');
    for (const file of [EU, US]) expect(w.gh.readFile('main', file)).toMatch(/subset: stable\n\s+weight: 100\n/);
  });

  it('cluster: when every reached cluster is red, nothing vouches for the canary and the whole wave rolls back', async () => {
    w = await world({ [PATH]: BY_CLUSTER, ...generatedFor(BY_CLUSTER) });
    const bot = w.bot();
    const report = async () => (await bot.pass()).find((r) => r.rollout === 'shop/storefront')!.summary;
    expect(await report()).toBe('opened #2 (eu-ten → ten-percent)');
    // eu-ten reaches eu-1 alone: its red leaves no healthy cluster.
    await waveHealth(w, stageBranch('shop', 'storefront', 'ten-percent'), BY_CLUSTER, { 'eu-1': 'fail' });
    expect(await report()).toMatch(/^rolling back: #3 opened, #2 closed /);
    const rollback = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'storefront'))!;
    await w.check(rollback.head.sha, CHECK_VERIFY, 'success');
    expect(await report()).toBe('rolled back: merged #3 (100 % v1)');
    for (const file of [EU, US]) expect(w.gh.readFile('main', file)).toMatch(/subset: stable\n\s+weight: 100\n/);
  });

  it('cluster: a retry of a wave with us-1 rolled back starts the new canary over in every cluster', async () => {
    const rolled = BY_CLUSTER.replace('stage: eu-ten', 'stage: full').replace(
      '  onClusterFailure: cluster\n',
      '  onClusterFailure: cluster\n  abort: { reason: us-1 red, at: "2026-12-02T10:00:00Z", clusters: [us-1] }\n',
    );
    w = await world({ [PATH]: rolled, ...generatedFor(rolled) });
    const bot = w.bot();
    expect(await openRetry(bot.options, PATH, 'v3')).toEqual({
      rollout: 'shop/storefront',
      ok: true,
      number: 1,
      summary: 'retry #1 opened (v3 from eu-ten); merge it to start',
    });
    const head = retryBranch({ namespace: 'shop', name: 'storefront' });
    const intent = w.gh.readFile(head, PATH)!;
    expect(intent).not.toContain('abort');
    expect(intent).toMatch(/canary: v3\n[\s\S]*stage: eu-ten\n/);
    for (const [file, content] of Object.entries(generatedFor(intent))) expect(w.gh.readFile(head, file)).toBe(content);
    expect(w.gh.readFile(head, 'rollouts/changelog/shop-storefront.md')).toContain(
      '- aborted attempt: v2 at full (rolled back in us-1), 2026-12-02T10:00:00Z: us-1 red\n',
    );
  });
});
