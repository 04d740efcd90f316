import { afterEach, describe, expect, it } from 'vitest';
import { stageBranch } from '../../../constructs/conventions.js';
import { MIN, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('the stage bot against the emulator', () => {
  it('walks a rollout through every stage to full, merging each PR only after green checks outlast the bake', async () => {
    w = await world();
    const bot = w.bot();
    const lines: string[] = [];
    const pass = async () => {
      const r = await bot.pass();
      lines.push(...r.map((x) => `${x.rollout}: ${x.summary}`));
      return r[0]!;
    };
    // Each stage meets one secondary rate limit (honoured through retry-after) and one 502 (retried);
    // both on requests only the bot makes, so the log can tell them apart from CI's.
    const limits = () => {
      w!.gh.faults.add({ kind: 'secondaryRateLimit', retryAfter: 2, match: { method: 'GET', path: /\/commits$/ } });
      w!.gh.faults.add({ kind: 'status', status: 502, match: { method: 'GET', path: /\/check-runs$/ } });
    };
    const stageLog: Array<{ stage: string; from: number }> = [{ stage: 'internal', from: 0 }];
    limits();

    expect((await pass()).summary).toBe('opened #1 (internal → one-percent)');
    const b1 = stageBranch('shop', 'checkout', 'one-percent');
    w.advance(MIN);
    await w.greenChecks(b1);
    expect((await pass()).summary).toBe('waiting: bake 29m left');
    w.advance(30 * MIN); // window ended; the earlier health run is too old to count
    expect((await pass()).summary).toMatch(
      /^waiting: stagegate\/health last reported at .* before the bake window ended/,
    );
    await w.greenChecks(b1);
    expect((await pass()).summary).toBe('merged #1 (internal → one-percent)');
    expect(w.gh.readFile('main', 'rollouts/checkout.yaml')).toContain('stage: one-percent   # the live stage');
    stageLog.push({ stage: 'one-percent', from: w.gh.requests.length });
    limits();

    expect((await pass()).summary).toBe('opened #2 (one-percent → full)');
    const b2 = stageBranch('shop', 'checkout', 'full');
    w.advance(59 * MIN);
    await w.greenChecks(b2);
    expect((await pass()).summary).toBe('waiting: bake 1m left');
    w.advance(2 * MIN);
    await w.greenChecks(b2);
    expect((await pass()).summary).toBe('merged #2 (one-percent → full)');
    expect((await pass()).summary).toBe('complete at full');

    // The request log of the whole rollout, per stage: the bot's requests only (CI's are its own).
    const rows = stageLog.map((s, i) => {
      const slice = w!.gh.requests
        .slice(s.from, stageLog[i + 1]?.from ?? w!.gh.requests.length)
        .filter((r) => r.login === 'stagegate-bot' || r.fault !== undefined);
      return {
        stage: s.stage,
        requests: slice.length,
        notModified: slice.filter((r) => r.status === 304).length,
        rateLimited: slice.filter((r) => r.rateLimited).length,
        retried5xx: slice.filter((r) => r.status >= 500).length,
        writes: slice.filter((r) => r.method !== 'GET').length,
      };
    });
    console.log(
      `request log per stage (bot only):\n${rows.map((r) => `  ${r.stage.padEnd(12)} requests ${r.requests}, 304 ${r.notModified}, rate-limited ${r.rateLimited}, 5xx retried ${r.retried5xx}, writes ${r.writes}`).join('\n')}`,
    );
    for (const r of rows) {
      expect(r.rateLimited, r.stage).toBe(1);
      expect(r.retried5xx, r.stage).toBe(1);
      // Polls go out conditional; what never changes (blobs, trees, PR commits) is not asked twice.
      expect(r.notModified, r.stage).toBeGreaterThan(0);
    }
    expect(bot.adapter.stats.rateLimited).toBe(2);
    expect(lines.every((l) => !l.includes('error'))).toBe(true);
    expect(bot.adapter.stats.notModified).toBe(rows.reduce((a, r) => a + r.notModified, 0));

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
    expect(pulls.map((p) => [p.number, p.state, p.merged_at !== null])).toEqual([
      [2, 'closed', true],
      [1, 'closed', true],
    ]);
    const trailers = w.gh
      .log('main')
      .map((c) => /Stagegate-Stage: (.*)/.exec(c.message)?.[1])
      .filter(Boolean);
    expect(trailers).toEqual(['shop/checkout/full', 'shop/checkout/one-percent']);
  });
});
