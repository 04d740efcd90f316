/**
 * The bot bench's passes for issue 15, "Scale" (tools/bench/bot.ts runs them last, stage PRs open
 * and health in progress): `stagegate status` and the dashboard issue, with a new installation
 * token per run as the documented workflow has (GitHub ties ETags to the token).
 */
import { ResponseCache } from '../../app/bot/cache.js';
import { runAdvance } from '../../app/bot/run.js';
import { botFromSettings, cacheScope, type BotSettings } from '../../app/bot/setup.js';
import { readStatus } from '../../app/bot/status.js';
import { onlyRollouts } from '../../app/cli/only.js';
import type { Emulator } from '../emulator/index.js';
import type { BotPassKind } from './bot.js';
import { PERSON, tickFirst } from './bot-ci.js';

export async function fleetPasses(ctx: {
  readonly emulator: Emulator;
  readonly settings: BotSettings;
  readonly cacheFile: string;
  readonly dir: string;
  /** Runs `work` and records the bot's counted requests as pass `kind`. */
  readonly counted: (kind: BotPassKind, work: () => Promise<unknown>) => Promise<void>;
  readonly log?: (l: string) => void;
}): Promise<void> {
  const { emulator, settings, cacheFile, dir, counted, log } = ctx;
  await counted('status-cold', () => readStatus(botFromSettings({ ...settings, token: 'bench-run-token-4' }).options));
  await counted('status-actions', async () => {
    const cache = await ResponseCache.load(cacheFile, cacheScope(settings), (l) => log?.(l));
    await readStatus(botFromSettings({ ...settings, token: 'bench-run-token-5', cache }).options);
  });
  const quietIo = { stdout: () => {}, stderr: (l: string) => log?.(l.trimEnd()), cwd: dir, env: {} };
  const advance = async (token: string, dashboard: boolean, tick?: 'all' | 'ticked') => {
    const code = await runAdvance(
      // A tick's run is the issues event's: the quick --skip-open pass plus the dashboard.
      { ...settings, token, ...(tick ? { wrapPort: onlyRollouts([], true)! } : {}) },
      {
        watch: false,
        intervalMs: 0,
        json: false,
        cacheFile,
        ...(dashboard ? { dashboard: tick ? { actor: PERSON, refresh: tick } : {} } : {}),
      },
      quietIo,
    );
    if (code !== 0) throw new Error(`bench: advance${dashboard ? ' --dashboard' : ''} exited ${code}`);
  };
  await counted('full-late', () => advance('bench-run-token-6', false));
  await counted('dashboard-first', () => advance('bench-run-token-7', true));
  await counted('dashboard-hourly', () => advance('bench-run-token-8', true));
  await tickFirst(emulator, 'pause');
  await counted('dashboard-tick-all', () => advance('bench-run-token-9', true, 'all'));
  await tickFirst(emulator, 'resume');
  await counted('dashboard-tick', () => advance('bench-run-token-10', true, 'ticked'));
}
