import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY } from '../../../constructs/conventions.js';
import { runAdvance } from '../../../app/bot/run.js';
import { main } from '../../../app/cli/main.js';
import { BOT_TOKEN, MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('stagegate advance', () => {
  it('loops with --watch on an injected sleep, one line per rollout per pass, until aborted', async () => {
    w = await world();
    const out: string[] = [];
    const controller = new AbortController();
    let passes = 0;
    const sleep = async (ms: number): Promise<void> => {
      passes += 1;
      expect(ms).toBe(60_000);
      w!.advance(31 * MIN);
      const pr = (await w!.pulls()).find((p) => p.state === 'open');
      if (pr) {
        await w!.check(pr.head.sha, CHECK_VERIFY, 'success');
        await w!.check(pr.head.sha, CHECK_HEALTH, 'success');
      }
      if (passes === 2) controller.abort();
    };
    const code = await runAdvance(
      {
        owner: OWNER,
        repo: REPO,
        token: BOT_TOKEN,
        apiUrl: w.gh.url,
        now: w.now,
        github: { retryUnitMs: 1, writeSpacingMs: 0 },
      },
      { watch: true, intervalMs: 60_000, json: false },
      {
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
        cwd: process.cwd(),
        env: {},
        signal: controller.signal,
      },
      sleep,
    );
    expect(code).toBe(0);
    expect(out).toEqual([
      'shop/checkout: opened #1 (internal → one-percent)\n',
      'shop/checkout: merged #1 (internal → one-percent)\n',
    ]);
  });

  it('prints one JSON document per pass with --json', async () => {
    w = await world();
    const out: string[] = [];
    const code = await main(['advance', '--repo', `${OWNER}/${REPO}`, '--json'], {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      cwd: process.cwd(),
      env: { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' },
    });
    expect(code).toBe(0);
    const doc = JSON.parse(out.join('')) as {
      ok: boolean;
      reports: Array<{ rollout: string; action: string; number: number }>;
    };
    expect(doc.ok).toBe(true);
    expect(doc.reports).toEqual([
      {
        rollout: 'shop/checkout',
        path: 'rollouts/checkout.yaml',
        action: 'open',
        summary: 'opened #1 (internal → one-percent)',
        number: 1,
      },
    ]);
  });

  it('rejects a malformed --repo and --interval as usage errors', async () => {
    const out: string[] = [];
    const io = {
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => out.push(t),
      cwd: process.cwd(),
      env: { GITHUB_TOKEN: 'x' },
    };
    expect(await main(['advance', '--repo', 'nope'], io)).toBe(2);
    expect(await main(['advance', '--repo', 'a/b', '--interval', 'soon'], io)).toBe(2);
    expect(out.join('')).toContain('--repo must be OWNER/NAME (got "nope")');
    expect(out.join('')).toContain('--interval: "soon" is not a duration');
  });
});
