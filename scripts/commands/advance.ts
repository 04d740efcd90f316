/**
 * `stagegate advance --repo OWNER/NAME [--watch] [--interval 60s] [--json]`: one reconcile pass
 * of the bot over every rollout (or a loop of them). GITHUB_TOKEN and GITHUB_API_URL are read
 * here, once; nothing below this file touches the environment.
 */
import { UsageError, type Command, type Io } from '../cli.js';
import { parseDuration } from '../../constructs/duration.js';
import { reconcile, type RolloutReport } from '../bot/reconcile.js';
import { botFromSettings, parseRepo, type BotSettings } from '../bot/setup.js';

/** Reads the bot's settings from the environment; the token is never echoed. */
export function settingsFromEnv(repoFlag: unknown, env: Io['env']): BotSettings {
  if (typeof repoFlag !== 'string') throw new UsageError('--repo OWNER/NAME is required');
  const repo = parseRepo(repoFlag);
  if (!repo) throw new UsageError(`--repo must be OWNER/NAME (got "${repoFlag}")`);
  const token = env.GITHUB_TOKEN;
  if (!token) throw new UsageError('GITHUB_TOKEN is not set; export a token (a GitHub App installation token) for the bot');
  const unit = env.STAGEGATE_RETRY_UNIT_MS === undefined ? undefined : Number(env.STAGEGATE_RETRY_UNIT_MS);
  return {
    ...repo, token, apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    ...(unit !== undefined && Number.isFinite(unit) ? { github: { retryUnitMs: unit, writeSpacingMs: unit } } : {}),
  };
}

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

export const advanceCommand: Command = {
  name: 'advance',
  summary: 'one reconcile pass of the stage bot (--watch to loop); GITHUB_TOKEN / GITHUB_API_URL from env',
  usage: 'advance --repo OWNER/NAME [--watch] [--interval 60s] [--json]',
  options: { repo: { type: 'string' }, watch: { type: 'boolean' }, interval: { type: 'string' } },
  async run({ values }, io) {
    const settings = settingsFromEnv(values.repo, io.env);
    let intervalMs = 60_000;
    if (typeof values.interval === 'string') {
      try {
        intervalMs = parseDuration(values.interval);
      } catch (err) {
        throw new UsageError(`--interval: ${(err as Error).message}`);
      }
    }
    return runAdvance(settings, { watch: values.watch === true, intervalMs, json: values.json === true }, io);
  },
};
