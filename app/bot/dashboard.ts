/**
 * The rollout dashboard issue (issue 15): one issue per repository, opened by the bot, holding the
 * `stagegate status` table and a checkbox per thing a person may do (promote early, pause, resume,
 * abort, retry). It is edited only when its text changes — every time in it is absolute (bake ends,
 * timebox ends), so a pass where nothing happened renders the same bytes and sends no write.
 *
 * A ticked box acts only for a person whose permission (GET /collaborators/{user}/permission) is
 * write or more — the same check the bot's approvals use (github.ts `canWrite`). REST does not say
 * who edited an issue body, so the person is the `issues` event's sender (`--actor`); without one,
 * ticks are not acted on. Each act is the ordinary command — `promote` merges the bot's PR with the
 * reason in the ledger, `abort` opens the rollback PR, `retry` the retry PR a person merges — so
 * Git stays the truth; the next render
 * clears the box and records what happened under "Last actions". Every writer can edit the body
 * too, so a tick counts only on the bot's own box for the rollout's state now, and nothing the bot
 * writes again is copied from the body's text (dashboard-body.ts; review F1).
 */
import { PR_LABEL_PAUSE } from '../../constructs/conventions.js';
import { openRollback, type ReconcileOptions } from './reconcile.js';
import { promoteEarly } from './promote.js';
import { openRetry } from './retry.js';
import { readStatus, type RolloutStatus } from './status.js';
import {
  type Act,
  actLine,
  assemble,
  boxesOf,
  lastActionsOf,
  LAST_ACTIONS_MAX,
  mergePieces,
  pieceOf,
  piecesOf,
  renderDashboard,
  type TickAction,
  tickedLines,
} from './dashboard-body.js';
import { plainText } from './text.js';

export { DASHBOARD_KEY, parseTicks, renderDashboard, type Tick, type TickAction } from './dashboard-body.js';
export const DASHBOARD_TITLE = 'stagegate: rollout dashboard';

/** One ticked act, through the same code as the command or label a person would use. */
async function actOn(
  opts: ReconcileOptions,
  dash: DashboardPort,
  action: TickAction,
  s: RolloutStatus,
  reason: string,
): Promise<string> {
  switch (action) {
    case 'promote':
      return (await promoteEarly(opts, s.path, reason)).summary;
    case 'abort':
      return (await openRollback(opts, s.path, reason)).summary;
    case 'retry':
      if (s.phase !== 'aborted' || s.canary === undefined) return 'not done: the rollout is not aborted';
      return (await openRetry(opts, s.path, s.canary, { sameVersion: true, reason })).summary;
    case 'pause':
    case 'resume': {
      const pr = s.pr?.state === 'open' ? s.pr : undefined;
      if (!pr) return "not done: no open PR of the bot's to label";
      await dash.setPaused(pr.number, action === 'pause');
      return action === 'pause'
        ? `#${pr.number} labelled ${PR_LABEL_PAUSE}`
        : `${PR_LABEL_PAUSE} removed from #${pr.number}`;
    }
    default:
      return 'not done: unknown action';
  }
}

/** What the dashboard needs from GitHub besides the bot's port. */
export interface DashboardPort {
  /** The bot's open dashboard issue (created by `botLogin`, carrying the marker), if any. */
  find(botLogin: string): Promise<{ readonly number: number; readonly body: string } | undefined>;
  create(title: string, body: string): Promise<number>;
  update(number: number, body: string): Promise<void>;
  /** Adds or removes `stagegate:pause` on a PR of the bot's. */
  setPaused(number: number, paused: boolean): Promise<void>;
  /** Permission write or more (GET /collaborators/{user}/permission). */
  canWrite(login: string): Promise<boolean>;
}

export interface DashboardReport {
  readonly number: number;
  readonly written: 'created' | 'edited' | 'unchanged';
  readonly acted: readonly string[];
}

/**
 * One dashboard pass: act on ticked boxes (when `actor` may), then render and write only if the
 * text changed. `botLogin` is the bot's identity (the issue is its own; nobody else's counts).
 */
export interface SyncOptions {
  /**
   * A port wrapper that shows only the named rollouts (app/cli/only.ts `onlyRollouts`). Given, a run
   * with an actor (the `issues` event of a tick) reads and re-renders only the ticked rollouts, and
   * keeps every other row as the last full pass wrote it: a tick then costs its rollouts' reads, not
   * the whole fleet's (issue 15, "Scale"; README "The rollout dashboard issue"). @default every rollout
   */
  readonly narrow?: (ids: readonly string[]) => (port: ReconcileOptions['port']) => ReconcileOptions['port'];
}

/**
 * One dashboard pass: act on ticked boxes (when `actor` may), then render and write only if the
 * text changed. `botLogin` is the bot's identity (the issue is its own; nobody else's counts).
 */
export async function syncDashboard(
  opts: ReconcileOptions,
  dash: DashboardPort,
  botLogin: string,
  actor?: string,
  sync: SyncOptions = {},
): Promise<DashboardReport> {
  const existing = await dash.find(botLogin);
  const ticks = existing ? tickedLines(existing.body) : [];
  const who = actor === undefined ? undefined : plainText(actor, 40);
  const allowed = ticks.length > 0 && who !== undefined && (await dash.canWrite(who));
  const partial = existing !== undefined && who !== undefined && sync.narrow !== undefined;
  // Only what a writer ticked is read again in a tick's run; nothing at all for anyone else's.
  const refreshed = new Set(partial && allowed ? ticks.map((t) => t.rollout) : []);
  const read = (): Promise<RolloutStatus[]> =>
    !partial
      ? readStatus(opts)
      : refreshed.size === 0
        ? Promise.resolve([])
        : readStatus({ ...opts, port: sync.narrow!([...refreshed])(opts.port) });
  let statuses = await read();
  const acts: Act[] = [];
  const act = (action: TickAction, s: RolloutStatus, reason: string) => actOn(opts, dash, action, s, reason);
  for (const t of ticks) {
    const s = statuses.find((x) => x.rollout === t.rollout);
    const by = who === undefined ? {} : { who };
    const said = (outcome: string) => acts.push({ action: t.action, rollout: t.rollout, ...by, outcome });
    if (who === undefined) said('ignored (who ticked it is known only from the issues event: --actor)');
    else if (!allowed) said('ignored, needs write access or more');
    else if (!s) said('ignored, no such rollout');
    // Only a box the bot renders for the rollout as it stands counts: the body is editable text
    // (dashboard-body.ts), so a line made to look like a box, or a box for a state gone by, is not one.
    else if (!boxesOf(s).includes(t.line)) said('ignored, not a box the dashboard offers for it now');
    else said(await act(t.action, s, `ticked on the dashboard by @\u200b${who}`));
  }
  if (ticks.length > 0) statuses = await read();
  const last = [...acts, ...(existing ? lastActionsOf(existing.body) : [])].slice(0, LAST_ACTIONS_MAX);
  const acted = acts.map(actLine);
  const body =
    partial && existing
      ? assemble(mergePieces(piecesOf(existing.body), statuses.map(pieceOf), refreshed), last)
      : renderDashboard(statuses, last);
  if (!existing) return { number: await dash.create(DASHBOARD_TITLE, body), written: 'created', acted };
  if (existing.body === body) return { number: existing.number, written: 'unchanged', acted };
  await dash.update(existing.number, body);
  return { number: existing.number, written: 'edited', acted };
}
