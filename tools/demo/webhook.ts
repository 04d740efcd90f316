/**
 * The demo's notification receiver: a webhook on 127.0.0.1 that keeps every JSON body the bot
 * posts (app/bot/notify.ts), so the story shows what a team's channel would see.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RolloutEvent } from '../../app/bot/notify.js';

export interface WebhookSink {
  readonly url: string;
  readonly received: RolloutEvent[];
  close(): Promise<void>;
}

export async function startWebhookSink(onEvent: (e: RolloutEvent) => void = () => {}): Promise<WebhookSink> {
  const received: RolloutEvent[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      try {
        const event = JSON.parse(body) as RolloutEvent;
        received.push(event);
        onEvent(event);
        res.statusCode = 204;
      } catch {
        res.statusCode = 400;
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
