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
import { MIN, world, type World } from './harness.js';

const WAVE = readFileSync(new URL('../../fixtures/waves/storefront.yaml', import.meta.url), 'utf8');
const PATH = 'rollouts/storefront.yaml';
const generatedFor = (text: string) =>
  Object.fromEntries(compile([{ path: PATH, text }]).map((c) => [`generated/${c.file}`, c.content]));

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('the bot on a two-cluster wave', () => {
  it('promotes eu-ten → ten-percent with both clusters’ files, then rolls the whole wave back on red health', async () => {
    w = await world({ [PATH]: WAVE, ...generatedFor(WAVE) });
    const bot = w.bot();
    const report = async () => (await bot.pass()).find((r) => r.rollout === 'shop/storefront')!.summary;
    expect(await report()).toBe('opened #2 (eu-ten → ten-percent)');
    w.advance(61 * MIN);
    await w.greenChecks(stageBranch('shop', 'storefront', 'ten-percent'));
    expect(await report()).toBe('merged #2 (eu-ten → ten-percent)');
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
