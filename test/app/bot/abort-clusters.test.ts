/**
 * `stagegate abort --cluster` on a wave (README "Waves across clusters", app/bot/abort-clusters.ts):
 * a person rolls back only those clusters, through the rollback PR the bot opens for
 * onClusterFailure: cluster, against the GitHub emulator.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { CHECK_VERIFY } from '../../../constructs/conventions.js';
import { main } from '../../../app/cli/main.js';
import { BOT_TOKEN, OWNER, REPO, world, type World, cliIo } from './harness.js';

const WAVE = readFileSync(new URL('../../fixtures/waves/storefront.yaml', import.meta.url), 'utf8');
const PATH = 'rollouts/storefront.yaml';
const EU = 'generated/eu-1/storefront.k8s.yaml';
const US = 'generated/us-1/storefront.k8s.yaml';
const CHANGELOG = 'rollouts/changelog/shop-storefront.md';
/** The wave live at ten-percent in both clusters. */
const LIVE = WAVE.replace('stage: eu-ten', 'stage: ten-percent');
/** Three clusters, us-1 rolled back alone before. */
const THREE = LIVE.replace('clusters: [eu-1, us-1]', 'clusters: [eu-1, us-1, ap-1]').replace(
  '  stages:',
  '  abort: { reason: us-1 red, at: "2026-12-02T10:00:00Z", clusters: [us-1] }\n  stages:',
);
const generatedFor = (text: string) =>
  Object.fromEntries(compile([{ path: PATH, text }]).map((c) => [`generated/${c.file}`, c.content]));

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function abort(args: string[], env: Record<string, string> = {}) {
  const a = cliIo({ GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w!.gh.url, STAGEGATE_RETRY_UNIT_MS: '1', ...env });
  const code = await main(['abort', ...args, '--repo', `${OWNER}/${REPO}`], a);
  return { code, out: a.out.join(''), err: a.err.join('') };
}

describe('stagegate abort --cluster', () => {
  it('rolls back us-1 alone through one rollback PR (eu-1’s file untouched), and the ledger says who, where and why', async () => {
    w = await world({ [PATH]: LIVE, ...generatedFor(LIVE) });
    const euBefore = w.gh.readFile('main', EU)!;
    expect(
      await abort(['storefront', '--cluster', 'us-1', '--reason', 'pager: us-1 500s'], { GITHUB_ACTOR: 'alice' }),
    ).toEqual({
      code: 0,
      out: 'shop/storefront: rolling back us-1: #1 opened (pager: us-1 500s)\n',
      err: '',
    });
    const pulls = await w.pulls();
    expect(pulls.map((p) => p.number)).toEqual([1]);
    const { data: pr } = await w.ci.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 });
    expect(pr.title).toContain('in us-1');
    const files = await w.ci.rest.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: 1 });
    expect(files.data.map((f) => f.filename).sort()).toEqual([CHANGELOG, US, PATH].sort());
    await w.check(pulls[0]!.head.sha, CHECK_VERIFY, 'success');
    const pass = (await w.bot().pass()).find((r) => r.rollout === 'shop/storefront')!;
    expect(pass.summary).toBe('rolled back us-1: merged #1 (100 % v1 in us-1)');
    expect(w.gh.readFile('main', PATH)).toMatch(
      /abort:\n {4}reason: "pager: us-1 500s"\n {4}at: "[^"]+"\n {4}clusters: \[us-1\]\n/,
    );
    expect(w.gh.readFile('main', EU)).toBe(euBefore);
    expect(w.gh.readFile('main', US)).toMatch(/subset: stable\n\s+weight: 100\n/);
    const ledger = w.gh.readFile('main', CHANGELOG)!;
    expect(ledger).toContain('## rollback of us-1 at ten-percent');
    expect(ledger).toContain('- pager: us-1 500s\n');
    expect(ledger).toContain('- evidence: requested by alice through stagegate abort --cluster us-1\n');
  });

  it('adds to the clusters rolled back before (spec.clusters’ order); without GITHUB_ACTOR the ledger names the token’s login', async () => {
    w = await world({ [PATH]: THREE, ...generatedFor(THREE) });
    const added = await abort(['storefront', '--cluster', 'ap-1', '--reason', 'ap-1 latency']);
    expect(added.out).toBe('shop/storefront: rolling back us-1, ap-1: #1 opened (ap-1 latency)\n');
    const [pr] = await w.pulls();
    const head = w.gh.readFile(pr!.head.sha, PATH)!;
    expect(head).toMatch(
      /abort:\n {4}reason: ap-1 latency\n {4}at: \S+\n {4}clusters:\n {6}- us-1\n {6}- ap-1\n {2}stages:/,
    );
    // The token's login, without GITHUB_ACTOR.
    expect(w.gh.readFile(pr!.head.sha, CHANGELOG)).toMatch(
      /- evidence: requested by \S+ through stagegate abort --cluster ap-1\n/,
    );
    expect(w.gh.readFile(pr!.head.sha, 'generated/eu-1/storefront.k8s.yaml')).toBe(w.gh.readFile('main', EU));
  });

  it('plain abort replaces a per-cluster abort with the whole rollout', async () => {
    w = await world({ [PATH]: THREE, ...generatedFor(THREE) });
    const whole = await abort(['storefront', '--reason', 'all of it']);
    expect(whole.out).toBe('shop/storefront: rolling back: #1 opened (all of it)\n');
    const [pr] = await w.pulls();
    const head = w.gh.readFile(pr!.head.sha, PATH)!;
    expect(head).toMatch(/abort:\n {4}reason: all of it\n {4}at: \S+\n {2}stages:/);
  });

  it.each([
    [
      'a rollout without spec.clusters',
      ['checkout', '--cluster', 'eu-1'],
      4,
      'shop/checkout: not rolled back: shop/checkout runs in one cluster (no spec.clusters); drop --cluster to roll back the rollout\n',
    ],
    [
      'an unknown cluster',
      ['storefront', '--cluster', 'us1'],
      4,
      'shop/storefront: not rolled back: cluster "us1" is not in spec.clusters (eu-1, us-1, ap-1); did you mean "us-1"?\n',
    ],
    [
      'every cluster',
      ['storefront', '--cluster', 'eu-1', '--cluster', 'ap-1'],
      4,
      'shop/storefront: not rolled back: that rolls back every cluster of spec.clusters (eu-1, us-1, ap-1); drop --cluster to roll back the whole rollout\n',
    ],
    [
      'a cluster rolled back before, with another',
      ['storefront', '--cluster', 'us-1', '--cluster', 'ap-1'],
      4,
      'shop/storefront: not rolled back: us-1 is already rolled back; name only ap-1\n',
    ],
  ])('refuses %s, and opens no PR', async (_what, args, code, err) => {
    w = await world({ [PATH]: THREE, ...generatedFor(THREE) });
    expect(await abort([...args, '--reason', 'why'])).toEqual({ code, out: '', err });
    expect(await w.pulls()).toEqual([]);
  });

  it('tells a cluster already rolled back, as abort tells an aborted rollout (exit 0, no PR)', async () => {
    w = await world({ [PATH]: THREE, ...generatedFor(THREE) });
    expect(await abort(['storefront', '--cluster', 'us-1', '--reason', 'again'])).toEqual({
      code: 0,
      out: 'shop/storefront: already rolled back in us-1: us-1 red\n',
      err: '',
    });
    expect(await w.pulls()).toEqual([]);
  });

  it('adopts its own open rollback PR for the same clusters, and refuses other clusters while it is open', async () => {
    w = await world({ [PATH]: LIVE, ...generatedFor(LIVE) });
    expect((await abort(['storefront', '--cluster', 'us-1', '--reason', 'us-1 red'])).code).toBe(0);
    const again = await abort(['storefront', '--cluster', 'us-1', '--reason', 'us-1 red']);
    expect(again).toEqual({ code: 0, out: 'shop/storefront: rolling back us-1: #1 opened (us-1 red)\n', err: '' });
    expect(await abort(['storefront', '--cluster', 'eu-1', '--reason', 'eu-1 red'])).toEqual({
      code: 4,
      out: '',
      err: 'shop/storefront: not rolled back: rollback PR #1 is open (it rolls back us-1); merge or close it first\n',
    });
    expect((await w.pulls()).map((p) => p.number)).toEqual([1]);
  });

  it('plain abort widens its own open rollback PR of some clusters to the whole rollout', async () => {
    w = await world({ [PATH]: LIVE, ...generatedFor(LIVE) });
    expect((await abort(['storefront', '--cluster', 'us-1', '--reason', 'us-1 red'])).code).toBe(0);
    expect(await abort(['storefront', '--reason', 'all of it'])).toEqual({
      code: 0,
      out: 'shop/storefront: rebuilt rollback #1 (all of it)\n',
      err: '',
    });
    const [pr] = await w.pulls();
    expect((await w.pulls()).length).toBe(1);
    expect(w.gh.readFile(pr!.head.sha, PATH)).toMatch(
      /\n {2}abort:\n {4}reason: "all of it"\n {4}at: "[^"]+"\n {2}traffic:/,
    );
    for (const file of [EU, US]) expect(w.gh.readFile(pr!.head.sha, file)).toMatch(/subset: stable\n\s+weight: 100\n/);
    await w.check(pr!.head.sha, CHECK_VERIFY, 'success');
    const pass = (await w.bot().pass()).find((r) => r.rollout === 'shop/storefront')!;
    expect(pass.summary).toBe('rolled back: merged #1 (100 % v1)');
  });

  it('refuses an empty --cluster as a usage error', async () => {
    w = await world({ [PATH]: THREE, ...generatedFor(THREE) });
    const r = await abort(['storefront', '--cluster', ' ', '--reason', 'why']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--cluster needs a cluster name (one of spec.clusters)');
  });
});
