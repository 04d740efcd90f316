import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import type { GitHubPort } from '../../../app/bot/port.js';
import { aroundCalls, MIN, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Crashes the bot between two port calls with probability `rate` (seeded). */
function crashing(seed: number, rate: number, count: { crashes: number }): (p: GitHubPort) => GitHubPort {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return (port) =>
    aroundCalls(port, async (_method, call) => {
      if (rnd() < rate) {
        count.crashes += 1;
        throw new Error('crash');
      }
      return call();
    });
}

async function ciRetry<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i += 1) {
    try {
      return await f();
    } catch (err) {
      if (i >= 10) throw err;
    }
  }
}

describe('the bot over real HTTP faults (emulator)', () => {
  it('walks to full through random 502s, rate limits, dropped requests and lost answers, with one PR per stage', async () => {
    const seeds = [11]; // one full walk costs ~10 s on the emulator; the 200 schedules run on the in-memory fake
    const count = { crashes: 0, faults: 0, passes: 0 };
    for (const seed of seeds) {
      w = await world();
      // Faults only on the bot's requests (CI reports checks without faults).
      w.gh.faults.random(
        seed,
        0.12,
        [
          { kind: 'status', status: 502 },
          { kind: 'secondaryRateLimit', retryAfter: 1 },
          { kind: 'drop' },
          { kind: 'dropAfter' },
        ],
        { path: /^\/(?!.*check-runs$)/ },
      );
      const crash = crashing(seed, 0.03, count);
      let done = false;
      for (let tick = 0; tick < 40 && !done; tick += 1) {
        // CI's own reads meet the same faults (the emulator cannot tell clients apart); it retries.
        const pulls = await ciRetry(() => w!.pulls());
        for (const pr of pulls.filter((p) => p.state === 'open')) {
          await w.check(pr.head.sha, CHECK_VERIFY, 'success');
          await w.check(pr.head.sha, CHECK_HEALTH, 'success');
        }
        count.passes += 1;
        const report = await w
          .bot({ wrapPort: crash })
          .pass()
          .catch(() => undefined);
        done = report?.[0]?.summary === 'complete at full';
        w.advance(20 * MIN);
      }
      count.faults += w.gh.requests.filter((r) => r.fault !== undefined).length;
      expect(done, `seed ${seed} converged`).toBe(true);
      w.gh.faults.clear();
      const pulls = await w.pulls();
      expect(pulls.map((p) => p.head.ref).sort(), `seed ${seed}: one PR per stage`).toEqual([
        'stagegate/shop/checkout/full',
        'stagegate/shop/checkout/one-percent',
      ]);
      expect(pulls.every((p) => p.merged_at !== null)).toBe(true);
      const merges = w.gh.log('main').filter((c) => /Stagegate-Stage/.test(c.message));
      expect(merges, `seed ${seed}: one merge per stage`).toHaveLength(2);
      await w.close();
      w = undefined;
    }
    console.log(
      `emulator fault schedules: ${seeds.length}, HTTP faults: ${count.faults}, crashes: ${count.crashes}, passes: ${count.passes}`,
    );
    expect(count.faults).toBeGreaterThan(5);
  }, 120_000);
});
