import { describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY, DEFAULT_REQUIRED_CHECKS } from '../../../constructs/conventions.js';
import { parseIntent } from '../../../constructs/spec/index.js';
import { reconcile, type ReconcileOptions } from '../../../app/bot/reconcile.js';
import type { GitHubPort } from '../../../app/bot/port.js';
import { FakeGitHub, WRITES } from './fake-github.js';
import { aroundCalls, INTENT, MIN } from './harness.js';
import { seededRandom as prng } from '../../../tools/random.js';

class Crash extends Error {}
class ApiFault extends Error {}

interface Counters {
  faults: number;
  crashes: number;
}

/** The port, failing between any two calls: a crash, a request lost before or after it applied. */
function faulty(port: GitHubPort, rnd: () => number, on: { enabled: boolean }, n: Counters): GitHubPort {
  return aroundCalls(port, async (method, call) => {
    if (on.enabled) {
      const r = rnd();
      if (r < 0.04) {
        n.crashes += 1;
        throw new Crash(`crash before ${method}`);
      }
      if (r < 0.08) {
        n.faults += 1;
        throw new ApiFault(`${method}: connection dropped`);
      }
    }
    const result = await call();
    if (on.enabled && WRITES.has(method) && rnd() < 0.08) {
      n.faults += 1;
      throw new ApiFault(`${method}: answer lost after it applied`);
    }
    return result;
  });
}

const model = (() => {
  const r = parseIntent('rollouts/checkout.yaml', INTENT);
  if (!r.ok) throw new Error('fixture');
  return r.model;
})();
const bakeOf = (stage: string): number => model.stages.find((s) => s.name === stage)!.bakeMs ?? 0;

async function schedule(seed: number, n: Counters): Promise<{ converged: boolean; red: boolean; full: boolean }> {
  const rnd = prng(seed);
  const t0 = Date.parse('2026-03-02T09:00:00Z');
  let t = t0;
  const now = (): Date => new Date(t);
  const gh = new FakeGitHub(now, { 'rollouts/checkout.yaml': INTENT, 'generated/checkout.k8s.yaml': 'seed\n' });
  const on = { enabled: true };
  // A third of the schedules turn health red at some point of the rollout.
  const redAfter = rnd() < 0.33 ? t0 + Math.floor(rnd() * 90) * MIN : Number.POSITIVE_INFINITY;
  let red = false;
  const options: ReconcileOptions = {
    port: faulty(gh, rnd, on, n),
    now,
    mergeMethod: 'squash',
    repoUrl: 'https://github.test/acme/deploy',
    config: {
      requiredChecks: DEFAULT_REQUIRED_CHECKS,
      healthCheck: CHECK_HEALTH,
      allowedPrefixes: ['rollouts/', 'generated/'],
    },
    regenerate: (_p, text) => ({
      file: 'checkout.k8s.yaml',
      content: `# from intent\n${/stage: (\S+)/.exec(text)?.[1]}\n${text.includes('abort:') ? 'abort' : ''}\n`,
    }),
  };
  {
    let last = '';
    for (let tick = 0; tick < 120; tick += 1) {
      if (tick === 80) on.enabled = false; // faults stop; the bot must converge from whatever is left
      for (const pr of gh.openNow()) {
        if (!gh.runs.some((r) => r.headSha === pr.headSha && r.name === CHECK_VERIFY))
          gh.report(pr.headSha, CHECK_VERIFY, 'success');
        if (pr.headRef.endsWith('/rollback')) continue;
        const failing = t >= redAfter;
        red ||= failing;
        gh.report(pr.headSha, CHECK_HEALTH, failing ? 'failure' : 'success');
      }
      try {
        const [report] = await reconcile(options);
        // A rollout's failure is reported, not thrown; only the injected ones are expected.
        if (report!.action === 'error' && !/crash before|connection dropped|answer lost after/.test(report!.summary)) {
          throw new Error(`seed ${seed}: unexpected failure: ${report!.summary}`);
        }
        last = report!.summary;
      } catch (err) {
        if (!(err instanceof Crash) && !(err instanceof ApiFault) && !(err as { cause?: unknown }).cause) throw err;
      }
      const main = gh.readMain('rollouts/checkout.yaml')!;
      if (
        !on.enabled &&
        gh.openNow().length === 0 &&
        (last === 'complete at full' || /^aborted/.test(last)) &&
        (main.includes('stage: full') || main.includes('abort:'))
      )
        break;
      t += 10 * MIN;
    }
    // Invariants.
    const byHead = new Map<string, number>();
    for (const p of gh.pulls) byHead.set(p.head, (byHead.get(p.head) ?? 0) + 1);
    for (const [head, count] of byHead) expect(count, `seed ${seed}: PRs on ${head}`).toBe(1);
    const stageMerges = gh.merges.filter((m) => !m.head.endsWith('/rollback'));
    expect(new Set(stageMerges.map((m) => m.head)).size, `seed ${seed}: double merge`).toBe(stageMerges.length);
    let liveSince = t0;
    for (const m of stageMerges) {
      const to = m.head.split('/').at(-1)!;
      const from = model.stages[model.stages.findIndex((s) => s.name === to) - 1]!.name;
      const windowEnds = liveSince + bakeOf(from);
      expect(m.at.getTime(), `seed ${seed}: merged ${to} before the bake ended`).toBeGreaterThanOrEqual(windowEnds);
      const health = m.checks.filter((r) => r.name === CHECK_HEALTH);
      expect(health.at(-1)?.conclusion, `seed ${seed}: latest health`).toBe('success');
      expect(Date.parse(health.at(-1)!.completedAt!), `seed ${seed}: health after window`).toBeGreaterThanOrEqual(
        windowEnds,
      );
      expect(
        health.some((r) => r.conclusion === 'failure'),
        `seed ${seed}: merged despite red health`,
      ).toBe(false);
      expect(m.checks.some((r) => r.name === CHECK_VERIFY && r.conclusion === 'success')).toBe(true);
      liveSince = m.at.getTime();
    }
    const main = gh.readMain('rollouts/checkout.yaml')!;
    if (red) expect(main, `seed ${seed}: lost rollback`).toContain('abort:');
    expect(gh.merges.filter((m) => m.head.endsWith('/rollback')).length).toBeLessThanOrEqual(1);
    const converged = gh.openNow().length === 0 && (main.includes('abort:') || /stage: full/.test(main));
    return { converged, red, full: main.includes('stage: full') && !main.includes('abort:') };
  }
}

describe('the bot under random API faults and crashes', () => {
  it('keeps its promises over 200 seeded fault schedules and always converges', async () => {
    const n: Counters = { faults: 0, crashes: 0 };
    let converged = 0;
    let reds = 0;
    let full = 0;
    const SCHEDULES = 200;
    for (let seed = 1; seed <= SCHEDULES; seed += 1) {
      const r = await schedule(seed, n);
      if (r.converged) converged += 1;
      if (r.red) reds += 1;
      if (r.full) full += 1;
    }
    console.log(
      `fault schedules: ${SCHEDULES}, faults injected: ${n.faults}, crashes: ${n.crashes}, rolled back: ${reds}, reached full: ${full}, converged: ${converged}`,
    );
    expect(n.faults).toBeGreaterThan(SCHEDULES);
    expect(n.crashes).toBeGreaterThan(SCHEDULES / 2);
    expect(converged).toBe(SCHEDULES);
    expect(full + reds).toBe(SCHEDULES);
    expect(full).toBeGreaterThan(SCHEDULES / 2);
  }, 60_000);
});
