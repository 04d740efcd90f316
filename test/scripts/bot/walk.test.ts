import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import { MIN, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => { await w?.close(); w = undefined; });

describe('the stage bot against the emulator', () => {
  it('walks a rollout through every stage to full, merging each PR only after green checks outlast the bake', async () => {
    w = await world();
    const bot = w.bot();
    const lines: string[] = [];
    const pass = async () => { const r = await bot.pass(); lines.push(...r.map((x) => `${x.rollout}: ${x.summary}`)); return r[0]!; };

    expect((await pass()).summary).toBe('opened #1 (internal → one-percent)');
    const b1 = stageBranch('shop', 'checkout', 'one-percent');
    w.advance(MIN);
    await w.greenChecks(b1);
    expect((await pass()).summary).toBe('waiting: bake 29m left');
    w.advance(30 * MIN); // window ended; the earlier health run is too old to count
    expect((await pass()).summary).toMatch(/^waiting: stagegate\/health last reported at .* before the bake window ended/);
    await w.greenChecks(b1);
    expect((await pass()).summary).toBe('merged #1 (internal → one-percent)');
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent # the live stage');

    expect((await pass()).summary).toBe('opened #2 (one-percent → full)');
    const b2 = stageBranch('shop', 'checkout', 'full');
    w.advance(59 * MIN);
    await w.greenChecks(b2);
    expect((await pass()).summary).toBe('waiting: bake 1m left');
    w.advance(2 * MIN);
    await w.greenChecks(b2);
    expect((await pass()).summary).toBe('merged #2 (one-percent → full)');
    expect((await pass()).summary).toBe('complete at full');

    const main = w.gh.readFile('main', 'rollouts/checkout.yaml')!;
    expect(main).toContain('# Test intent: three stages, short bakes.');
    expect(main).toContain('stage: full');
    const vs = w.gh.readFile('main', 'generated/checkout.k8s.yaml')!;
    expect(vs).toMatch(/subset: canary\n\s+weight: 100/);
    const changelog = w.gh.readFile('main', 'rollouts/changelog/shop-checkout.md')!;
    expect(changelog).toContain('## internal → one-percent');
    expect(changelog).toContain('## one-percent → full');
    expect(changelog).toContain('evidence for one-percent: internal baked 30m');
    const pulls = await w.pulls();
    expect(pulls.map((p) => [p.number, p.state, p.merged_at !== null])).toEqual([[2, 'closed', true], [1, 'closed', true]]);
    const trailers = w.gh.log('main').map((c) => /Stagegate-Stage: (.*)/.exec(c.message)?.[1]).filter(Boolean);
    expect(trailers).toEqual(['shop/checkout/full', 'shop/checkout/one-percent']);
  });
});
