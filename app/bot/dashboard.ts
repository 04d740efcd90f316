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
 * clears the box and records what happened under "Last actions".
 */
import { PR_LABEL_PAUSE } from '../../constructs/conventions.js';
import { openRollback, type ReconcileOptions } from './reconcile.js';
import { marker } from './planner.js';
import { promoteEarly } from './promote.js';
import { openRetry } from './retry.js';
import { describeClusters } from './cluster-status.js';
import { readStatus, type RolloutStatus } from './status.js';
import { boundBody, markdownText, plainText } from './text.js';

export const DASHBOARD_KEY = 'dashboard';
export const DASHBOARD_TITLE = 'stagegate: rollout dashboard';

export type TickAction = 'promote' | 'abort' | 'pause' | 'resume' | 'retry';
export interface Tick {
  readonly action: TickAction;
  readonly rollout: string;
}

const TICK = /^- \[[xX]\] .*<!-- stagegate:tick:(promote|abort|pause|resume|retry):([a-z0-9-]+\/[a-z0-9-]+) -->\s*$/gm;

/** The ticked boxes of a dashboard body (only the bot's own marker form counts; the body is the bot's issue). */
export function parseTicks(body: string): Tick[] {
  return [...body.matchAll(TICK)].map((m) => ({ action: m[1] as TickAction, rollout: m[2]! }));
}

function time(iso: string | undefined): string {
  return iso === undefined ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`;
}

function cell(text: string): string {
  return markdownText(text, 200);
}

/** What the rollout waits for, without a relative time (so an idle pass renders the same text). */
function waitingFor(s: RolloutStatus): string {
  const what =
    s.next.action === 'wait' && s.next.reason === 'bake' ? `bake, until ${time(s.bakeEndsAt)}` : s.next.detail;
  return s.waitsOn ? `${s.waitsOn}: ${what}` : what;
}

/**
 * Boxes offered for a rollout: promote while its stage PR waits, pause / resume its open PR (the
 * `stagegate:pause` label, README "Humans stay in charge"), abort while it runs.
 */
function boxes(s: RolloutStatus): string[] {
  const out: string[] = [];
  const id = s.rollout;
  if (s.pr?.state === 'open' && s.pr.paused)
    out.push(`- [ ] resume \`${id}\` (remove ${PR_LABEL_PAUSE} from #${s.pr.number}) ${marker(`tick:resume:${id}`)}`);
  else if (s.pr?.state === 'open')
    out.push(`- [ ] pause \`${id}\` (label #${s.pr.number} ${PR_LABEL_PAUSE}) ${marker(`tick:pause:${id}`)}`);
  if (s.pr?.kind === 'stage' && s.pr.state === 'open' && (s.phase === 'waiting' || s.phase === 'held'))
    out.push(`- [ ] promote \`${id}\` early (merge #${s.pr.number} now) ${marker(`tick:promote:${id}`)}`);
  if (s.phase !== 'aborted' && s.phase !== 'finished' && s.phase !== 'rolling-back' && s.phase !== 'error')
    out.push(`- [ ] abort \`${id}\` (open the rollback PR: 100 % stable) ${marker(`tick:abort:${id}`)}`);
  // A box carries no text, so it retries the version the intent records (the aborted one) and
  // says what to run for a new one (docs/design.md §4b; README "The rollout dashboard issue").
  if (s.phase === 'aborted' && s.canary !== undefined) {
    const canary = markdownText(s.canary, 100);
    out.push(
      `- [ ] retry \`${id}\` with canary \`${canary}\` again from the first stage (opens the retry PR; a person merges it) ${marker(`tick:retry:${id}`)}`,
      `  - a new version instead: \`stagegate retry ${id} --canary VERSION\``,
    );
  }
  return out;
}

/** One rollout's part of the body: its table row and its boxes. */
export interface Piece {
  readonly id: string;
  readonly row: string;
  readonly boxes: readonly string[];
}

const TABLE_RULE = '|---|---|---|---|---|---|---|---|';

function pieceOf(s: RolloutStatus): Piece {
  const stage = s.stage === undefined ? '-' : `${s.stage} (${s.position!.index}/${s.position!.of})`;
  // A wave: every cluster's weight from its generated/<cluster>/ file, rolled back or not reached yet.
  const weight = s.clusters
    ? describeClusters(s.clusters)
    : s.weight === undefined
      ? '-'
      : `${s.weight} %${s.cohort ? ' + cohort' : ''}`;
  const pr = s.pr ? `#${s.pr.number}${s.pr.kind === 'rollback' ? ' (rollback)' : ''}` : '-';
  const health = s.health ? `${s.health.verdict}${s.health.evidence ? `: ${s.health.evidence}` : ''}` : '-';
  const timebox = s.timeboxEndsAt
    ? `stage ${time(s.timeboxEndsAt.stage)}, rollout ${time(s.timeboxEndsAt.rollout)}`
    : '-';
  const row = `| ${cell(s.rollout)} | ${cell(stage)} | ${cell(weight)} | ${s.phase} | ${pr} | ${cell(waitingFor(s))} | ${cell(health)} | ${timebox} |`;
  return { id: s.rollout, row, boxes: boxes(s) };
}

/** The issue body: the table, the boxes, the last actions. Pure; depends on no clock. */
export function renderDashboard(statuses: readonly RolloutStatus[], lastActions: readonly string[]): string {
  return assemble(statuses.map(pieceOf), lastActions);
}

function assemble(pieces: readonly Piece[], lastActions: readonly string[]): string {
  const actions = pieces.flatMap((p) => p.boxes);
  return boundBody(
    [
      marker(DASHBOARD_KEY),
      'Every rollout of this repository, kept up to date by stagegate (`stagegate status` prints the same).',
      '',
      '| rollout | stage | weight | phase | PR | waiting for | health | timebox ends |',
      TABLE_RULE,
      ...pieces.map((p) => p.row),
      '',
      '### Act',
      '',
      'Tick a box to act; it counts for people with write access or more, and each act is a PR or a merge like any other.',
      '',
      ...(actions.length > 0 ? actions : ['Nothing to act on.']),
      '',
      ...(lastActions.length > 0 ? ['### Last actions', '', ...lastActions.map((l) => `- ${l}`), ''] : []),
    ].join('\n'),
  );
}

/**
 * The rows and boxes of a body the bot rendered, every box unticked: a tick's run refreshes only
 * the rollouts ticked and keeps the others as the last full pass wrote them (issue 15, "Scale").
 */
export function piecesOf(body: string): Piece[] {
  const lines = body.split('\n');
  const pieces = new Map<string, { row: string; boxes: string[] }>();
  let i = lines.indexOf(TABLE_RULE) + 1;
  for (; i > 0 && i < lines.length && lines[i]!.startsWith('| '); i += 1) {
    const row = lines[i]!;
    pieces.set(row.slice(2, row.indexOf(' | ')), { row, boxes: [] });
  }
  let owner: { boxes: string[] } | undefined;
  for (; i > 0 && i < lines.length && !lines[i]!.startsWith('### Last actions'); i += 1) {
    const line = lines[i]!;
    const box = /^- \[[ xX]\] .*<!-- stagegate:tick:[a-z]+:(\S+) -->\s*$/.exec(line);
    if (box) {
      owner = pieces.get(box[1]!);
      owner?.boxes.push(line.replace(/^- \[[xX]\]/, '- [ ]'));
    } else if (line.startsWith('  - ')) owner?.boxes.push(line);
    else owner = undefined;
  }
  return [...pieces].map(([id, p]) => ({ id, ...p }));
}

/** `kept` with the rollouts in `refreshed` replaced by `fresh` (dropped when gone), new ones last. */
function mergePieces(kept: readonly Piece[], fresh: readonly Piece[], refreshed: ReadonlySet<string>): Piece[] {
  const byId = new Map(fresh.map((p) => [p.id, p]));
  const out = kept.flatMap((p) => (refreshed.has(p.id) ? (byId.has(p.id) ? [byId.get(p.id)!] : []) : [p]));
  const seen = new Set(out.map((p) => p.id));
  return [...out, ...fresh.filter((p) => !seen.has(p.id))];
}

/** Lines of "Last actions" kept from the current body (so a render without new acts keeps them). */
function lastActionsOf(body: string): string[] {
  const at = body.indexOf('### Last actions\n');
  if (at < 0) return [];
  return body
    .slice(at)
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2));
}

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
  const ticks = existing ? parseTicks(existing.body) : [];
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
  const acted: string[] = [];
  const act = (action: TickAction, s: RolloutStatus, reason: string) => actOn(opts, dash, action, s, reason);
  for (const t of ticks) {
    const s = statuses.find((x) => x.rollout === t.rollout);
    const what = `${t.action} \`${t.rollout}\``;
    if (who === undefined) acted.push(`${what}: ignored (who ticked it is known only from the issues event: --actor)`);
    else if (!allowed) acted.push(`${what} by @\u200b${markdownText(who, 40)}: ignored, needs write access or more`);
    else if (!s) acted.push(`${what}: ignored, no such rollout`);
    else {
      const reason = `ticked on the dashboard by @\u200b${who}`;
      const summary = await act(t.action, s, reason);
      acted.push(`${what} by @\u200b${markdownText(who, 40)}: ${markdownText(summary, 300)}`);
    }
  }
  if (ticks.length > 0) statuses = await read();
  const last = [...acted, ...(existing ? lastActionsOf(existing.body) : [])].slice(0, 10);
  const body =
    partial && existing
      ? assemble(mergePieces(piecesOf(existing.body), statuses.map(pieceOf), refreshed), last)
      : renderDashboard(statuses, last);
  if (!existing) return { number: await dash.create(DASHBOARD_TITLE, body), written: 'created', acted };
  if (existing.body === body) return { number: existing.number, written: 'unchanged', acted };
  await dash.update(existing.number, body);
  return { number: existing.number, written: 'edited', acted };
}
