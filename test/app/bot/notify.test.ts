/**
 * Notifications (issue 15): the bot's successful writes become events (a port wrapper; the
 * planner is untouched), posted after the pass to one webhook, Slack-compatible or plain JSON,
 * retried with backoff, never carrying the token.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECK_HEALTH, CHECK_VERIFY, rollbackBranch, stageBranch } from '../../../constructs/conventions.js';
import { Notifier, notificationBody, type RolloutEvent } from '../../../app/bot/notify.js';
import { main, type Io } from '../../../app/cli/main.js';
import { BOT_TOKEN, MIN, world, type World } from './harness.js';

interface Hook {
  readonly url: string;
  readonly received: Array<{ headers: IncomingHttpHeaders; body: string; path: string }>;
  close(): Promise<void>;
}

/** A webhook on 127.0.0.1 answering `statuses` in turn (then 200). */
async function webhook(statuses: number[] = []): Promise<Hook> {
  const received: Hook['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body, path: req.url ?? '' });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/s3cr3tWebhookPath`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let w: World | undefined;
let hook: Hook | undefined;
afterEach(async () => {
  await w?.close();
  await hook?.close();
  w = undefined;
  hook = undefined;
});

const events = (h: Hook) => h.received.map((q) => JSON.parse(q.body) as RolloutEvent & { repository: string });

describe('notifications from the bot', () => {
  it('stage opened, promoted, held past its timebox, rolling back and rolled back, each once after its write', async () => {
    w = await world({}, { app: true });
    hook = await webhook();
    const notifier = new Notifier({ url: hook.url, format: 'json', repository: 'acme/deploy', now: w.now });
    const bot = w.bot({ wrapPort: (p) => notifier.wrap(p) });
    const pass = async () => {
      const [r] = await bot.pass();
      await notifier.flush();
      return r!.summary;
    };
    expect(await pass()).toBe('opened #1 (internal → one-percent)');
    w.advance(31 * MIN);
    await w.greenChecks(stageBranch('shop', 'checkout', 'one-percent'));
    expect(await pass()).toBe('merged #1 (internal → one-percent)');
    expect(await pass()).toBe('opened #2 (one-percent → full)');
    expect(await pass()).toMatch(/^waiting: bake/);
    w.advance(25 * 60 * MIN);
    expect(await pass()).toMatch(/^stalled: #2 stage one-percent has been live longer than its timebox \(24h\)/);
    expect(await pass()).toMatch(/^waiting: /); // labelled and commented once: no second event
    await w.greenChecks(stageBranch('shop', 'checkout', 'full'), 'failure');
    expect(await pass()).toMatch(/^rolling back: #3 opened, #2 closed/);
    const rb = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop', 'checkout'))!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    expect(await pass()).toBe('rolled back: merged #3 (100 % v1)');

    expect(events(hook).map((e) => [e.event, e.rollout, e.stage ?? null, e.pr.number])).toEqual([
      ['stage-opened', 'shop/checkout', 'one-percent', 1],
      ['promoted', 'shop/checkout', 'one-percent', 1],
      ['stage-opened', 'shop/checkout', 'full', 2],
      ['held', 'shop/checkout', 'full', 2],
      ['rollback-opened', 'shop/checkout', null, 3],
      ['rolled-back', 'shop/checkout', null, 3],
    ]);
    const held = events(hook)[3]!;
    expect(held.text).toBe(
      `shop/checkout: held past its timebox on #2: stage one-percent has been live longer than its timebox (24h); still waiting: no ${CHECK_HEALTH} on ${held.text.match(/on ([0-9a-f]{7}) yet/)![1]} yet`,
    );
    expect(events(hook)[0]).toEqual({
      repository: 'acme/deploy',
      event: 'stage-opened',
      rollout: 'shop/checkout',
      stage: 'one-percent',
      pr: { number: 1, url: expect.stringMatching(/\/acme\/deploy\/pull\/1$/) },
      text: 'shop/checkout: #1 proposes stage one-percent',
      at: '2026-03-02T09:00:00.000Z',
    });
  });

  it('retries a 500 and a 503 with doubling backoff and delivers on the 200; a 400 is not retried and costs one line naming only the host', async () => {
    hook = await webhook([500, 503, 200, 400]);
    const waits: number[] = [];
    const lines: string[] = [];
    const n = new Notifier({
      url: hook.url,
      format: 'json',
      repository: 'acme/deploy',
      backoffMs: 250,
      sleep: async (ms) => {
        waits.push(ms);
      },
      log: (l) => lines.push(l),
    });
    const event = { pr: { number: 1, url: 'https://github.com/acme/deploy/pull/1' }, text: 'x', at: '' };
    (n.pending as RolloutEvent[]).push({ ...event, event: 'promoted', rollout: 'shop/a', stage: 'full' });
    expect(await n.flush()).toBe(1);
    expect(hook.received.map((q) => q.body)).toEqual(Array(3).fill(hook.received[0]!.body));
    expect(waits).toEqual([250, 500]);
    (n.pending as RolloutEvent[]).push({ ...event, event: 'promoted', rollout: 'shop/b', stage: 'full' });
    expect(await n.flush()).toBe(0);
    expect(hook.received).toHaveLength(4);
    expect(lines).toEqual([`notification promoted for shop/b not delivered to ${new URL(hook.url).host} (HTTP 400)`]);
  });

  it('advance posts Slack bodies to STAGEGATE_NOTIFY_URL; neither the token nor the webhook URL shows anywhere', async () => {
    w = await world();
    hook = await webhook([500]);
    let out = '';
    const io: Io = {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        out += t;
      },
      cwd: process.cwd(),
      env: {
        GITHUB_TOKEN: BOT_TOKEN,
        GITHUB_API_URL: w.gh.url,
        STAGEGATE_RETRY_UNIT_MS: '1',
        STAGEGATE_NOTIFY_URL: hook.url,
        STAGEGATE_NOTIFY_FORMAT: 'slack',
      },
    };
    expect(await main(['advance', '--repo', 'acme/deploy'], io)).toBe(0);
    expect(out).toBe('shop/checkout: opened #1 (internal → one-percent)\n');
    expect(hook.received).toHaveLength(2); // the 500, then the retry
    const body = JSON.parse(hook.received[1]!.body) as { text: string };
    expect(body.text).toMatch(
      /^stagegate acme\/deploy: shop\/checkout: <http:\/\/127\.0\.0\.1:\d+\/acme\/deploy\/pull\/1\|#1> proposes stage one-percent$/,
    );
    for (const q of hook.received) {
      expect(q.body).not.toContain(BOT_TOKEN);
      expect(JSON.stringify(q.headers)).not.toContain(BOT_TOKEN);
      expect(q.headers.authorization).toBeUndefined();
    }
    expect(out).not.toContain('s3cr3tWebhookPath');
  });

  it('abort by hand notifies that the rollout is rolling back', async () => {
    w = await world();
    hook = await webhook();
    const io: Io = {
      stdout: () => {},
      stderr: () => {},
      cwd: process.cwd(),
      env: { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_NOTIFY_URL: hook.url },
    };
    expect(await main(['abort', 'checkout', '--repo', 'acme/deploy', '--reason', 'pager'], io)).toBe(0);
    expect(events(hook).map((e) => [e.event, e.rollout, e.pr.number, e.text])).toEqual([
      ['rollback-opened', 'shop/checkout', 1, 'shop/checkout: rolling back to stable (#1)'],
    ]);
  });

  it('escapes Slack markup in the text, so nothing outside the bot can ping a channel', () => {
    const body = notificationBody(
      {
        event: 'held',
        rollout: 'shop/a',
        stage: 'full',
        pr: { number: 7, url: 'https://github.com/acme/deploy/pull/7' },
        text: 'shop/a: held past its timebox on #7: waiting for <!channel> & co',
        at: '',
      },
      'slack',
      'acme/deploy',
    );
    expect(body).toEqual({
      text: 'stagegate acme/deploy: shop/a: held past its timebox on <https://github.com/acme/deploy/pull/7|#7>: waiting for &lt;!channel&gt; &amp; co',
    });
  });
});
