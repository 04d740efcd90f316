/**
 * The loop behind `stagegate advance`: passes of `reconcile`, one line (or one JSON document) per
 * pass, an injectable sleep so tests never wait for real time. No CLI imports (no cycle).
 */
import type { Io } from '../cli.js';
import { reconcile, type RolloutReport } from './reconcile.js';
import { botFromSettings, type BotSettings } from './setup.js';

export interface AdvanceFlags {
  readonly watch: boolean;
  readonly intervalMs: number;
  readonly json: boolean;
}

export function formatReport(r: RolloutReport): string {
  return `${r.rollout}: ${r.summary}`;
}

/** Runs one pass (or loops); returns the exit code. `sleep` resolves early when `io.signal` aborts. */
export async function runAdvance(settings: BotSettings, flags: AdvanceFlags, io: Io, sleep = abortableSleep): Promise<number> {
  const { options, adapter } = botFromSettings({ ...settings, github: { log: (l) => io.stderr(`${l}\n`), ...settings.github } });
  let code = 0;
  for (let pass = 1; ; pass += 1) {
    try {
      const reports = await reconcile(options);
      code = reports.some((r) => r.action === 'error') ? 1 : 0;
      if (flags.json) io.stdout(`${JSON.stringify({ ok: code === 0, pass, reports, requests: adapter.stats })}\n`);
      else for (const r of reports) io.stdout(`${formatReport(r)}\n`);
    } catch (err) {
      if (!flags.watch) throw new Error(`reconcile pass failed; nothing half-done is lost, run advance again`, { cause: err });
      io.stderr(`stagegate advance: pass ${pass} failed (${(err as Error).message}); retrying next interval\n`);
      code = 1;
    }
    if (!flags.watch || io.signal?.aborted) return code;
    await sleep(flags.intervalMs, io.signal);
    if (io.signal?.aborted) return code;
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

