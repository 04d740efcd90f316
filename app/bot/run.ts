/**
 * The loop behind `stagegate advance`: passes of `reconcile`, one line (or one JSON document) per
 * pass, an injectable sleep so tests never wait for real time. No CLI imports (no cycle).
 */
import type { Io } from '../cli/command.js';
import { onlyRollouts } from '../cli/only.js';
import { botIdentity, reconcile, type RolloutReport } from './reconcile.js';
import { ResponseCache } from './cache.js';
import type { GitHubStats } from './github.js';
import type { Notifier } from './notify.js';
import { syncDashboard, type DashboardReport } from './dashboard.js';
import { githubDashboard } from './dashboard-github.js';
import { botFromSettings, cacheScope, type BotSettings } from './setup.js';

export interface AdvanceFlags {
  readonly watch: boolean;
  readonly intervalMs: number;
  readonly json: boolean;
  /**
   * JSON file of remembered answers kept between processes (GitHub Actions: with actions/cache),
   * so polls go out with ETags and content read once by sha is not read again. Loaded before
   * the first pass (ignored, with a line on stderr, when corrupt or for another repository) and
   * written atomically after every pass.
   */
  readonly cacheFile?: string;
  /**
   * Notifications (app/bot/notify.ts): its port wrapper gathers the events of the pass's
   * successful writes; they are posted after each pass, even a failed one (what succeeded stays true).
   */
  readonly notifier?: Notifier;
  /**
   * Keep the rollout dashboard issue after each pass (app/bot/dashboard.ts); `actor` is who edited
   * it (the issues event's sender), the only person whose ticks may act.
   */
  readonly dashboard?: {
    readonly actor?: string;
    /**
     * `ticked` (the default): a tick's run (with an actor) reads only the ticked rollouts and keeps
     * the other rows (dashboard.ts SyncOptions); `all` re-reads every rollout (the bench's baseline).
     */
    readonly refresh?: 'ticked' | 'all';
  };
}

export function formatReport(r: RolloutReport): string {
  return `${r.rollout}: ${r.summary}`;
}

/** Runs one pass (or loops); returns the exit code. `sleep` resolves early when `io.signal` aborts. */
export async function runAdvance(
  settings: BotSettings,
  flags: AdvanceFlags,
  io: Io,
  sleep = abortableSleep,
): Promise<number> {
  const warn = (line: string): void => io.stderr(`stagegate advance: ${line}\n`);
  const cache =
    flags.cacheFile === undefined
      ? settings.cache
      : await ResponseCache.load(flags.cacheFile, cacheScope(settings), warn);
  const notifier = flags.notifier;
  const inner = settings.wrapPort;
  const wrapPort = notifier
    ? (port: Parameters<NonNullable<BotSettings['wrapPort']>>[0]) => notifier.wrap(inner ? inner(port) : port)
    : inner;
  const { options, adapter } = botFromSettings({
    ...settings,
    ...(wrapPort ? { wrapPort } : {}),
    ...(cache ? { cache } : {}),
    github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
  });
  let code = 0;
  for (let pass = 1; ; pass += 1) {
    const before = { ...adapter.stats };
    let failure: unknown;
    try {
      const reports = await reconcile(options);
      code = reports.some((r) => r.action === 'error') ? 1 : 0;
      let dashboard: DashboardReport | undefined;
      if (flags.dashboard) {
        // Every rollout, whatever --only / --skip-open narrowed the pass to: the adapter itself (notified).
        const dashOptions = { ...options, port: notifier ? notifier.wrap(adapter) : adapter };
        const { botLogin } = await botIdentity(dashOptions);
        const dash = githubDashboard(
          {
            owner: settings.owner,
            repo: settings.repo,
            token: settings.token,
            baseUrl: settings.apiUrl,
            ...settings.github,
          },
          adapter,
        );
        const narrow = (ids: readonly string[]) => onlyRollouts(ids)!;
        dashboard = await syncDashboard(
          dashOptions,
          dash,
          botLogin,
          flags.dashboard.actor,
          flags.dashboard.refresh === 'all' ? {} : { narrow },
        );
      }
      const requests = { ...adapter.stats, pass: passStats(before, adapter.stats) };
      if (flags.json)
        io.stdout(
          `${JSON.stringify({ ok: code === 0, pass, reports, ...(dashboard ? { dashboard } : {}), requests })}\n`,
        );
      else {
        for (const r of reports) io.stdout(`${formatReport(r)}\n`);
        if (dashboard) {
          for (const a of dashboard.acted) io.stdout(`dashboard: ${a}\n`);
          io.stdout(`dashboard: #${dashboard.number} ${dashboard.written}\n`);
        }
      }
    } catch (err) {
      failure = err;
      code = 1;
    }
    if (notifier) await notifier.flush();
    // Saved even after a failed pass: what was learnt stays true (answers by sha, ETags).
    if (flags.cacheFile !== undefined) {
      await adapter.cache
        .save(flags.cacheFile)
        .catch((err: unknown) =>
          warn(
            `${(err as Error).message} (${((err as Error).cause as Error | undefined)?.message ?? 'unknown cause'})`,
          ),
        );
    }
    if (failure !== undefined) {
      if (!flags.watch)
        throw new Error(`reconcile pass failed; nothing half-done is lost, run advance again`, { cause: failure });
      io.stderr(`stagegate advance: pass ${pass} failed (${(failure as Error).message}); retrying next interval\n`);
    }
    if (!flags.watch || io.signal?.aborted) return code;
    await sleep(flags.intervalMs, io.signal);
    if (io.signal?.aborted) return code;
  }
}

/** This pass's share of the adapter's running counters. */
function passStats(before: GitHubStats, after: GitHubStats): GitHubStats {
  return {
    requests: after.requests - before.requests,
    notModified: after.notModified - before.notModified,
    rateLimited: after.rateLimited - before.rateLimited,
    remembered: after.remembered - before.remembered,
  };
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
