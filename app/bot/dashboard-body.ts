/**
 * The dashboard issue's body (app/bot/dashboard.ts), pure: rendering it, and reading back the few
 * things a run takes from the last one. The body is editable by more than the bot: GitHub lets the
 * issue's author and everyone with write access or more edit an issue
 * ("Edit and delete anyone's comments on commits, pull requests, and issues" is a write-role action,
 * https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization#permissions-for-each-role),
 * and the `issues` event of an edit names only who sent it and the body before it (@octokit/openapi
 * generated/api.github.com.json, schema `webhook-issues-edited`: `sender` required, `changes.body.from`
 * "The previous version of the body"; https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues).
 * The bot's run for that event sees the body as it is now, every writer's lines in it, and acts as the sender.
 * So nothing the bot writes again is copied from that text (review F1):
 * - a ticked box counts only when its line is exactly the box the bot renders for that rollout in
 *   its state now ({@link boxesOf}, checked in syncDashboard), wherever in the body it stands;
 * - "Last actions" are re-rendered from a hidden entry list ({@link lastActionsOf}), every field
 *   escaped again, so a line planted there, ticked marker and all, is gone after one render;
 * - a tick's run keeps the other rollouts' rows and boxes ({@link piecesOf}) only re-rendered: each
 *   cell escaped again, each box rebuilt from its marker and kept only if that equals its line.
 */
import { PR_LABEL_PAUSE } from '../../constructs/conventions.js';
import { marker } from './planner.js';
import { describeClusters } from './cluster-status.js';
import type { RolloutStatus } from './status.js';
import { boundBody, markdownText, plainText } from './text.js';

export const DASHBOARD_KEY = 'dashboard';

export type TickAction = 'promote' | 'abort' | 'pause' | 'resume' | 'retry';
const ACTIONS: readonly TickAction[] = ['promote', 'abort', 'pause', 'resume', 'retry'];
export interface Tick {
  readonly action: TickAction;
  readonly rollout: string;
}
/** A ticked line as found in the body, `- [ ]` again, for comparing with the box the bot renders. */
export interface TickedLine extends Tick {
  readonly line: string;
}

const ID = /^[a-z0-9-]{1,63}\/[a-z0-9-]{1,63}$/;
const TICK = /^- \[[xX]\] .*<!-- stagegate:tick:(promote|abort|pause|resume|retry):([a-z0-9-]+\/[a-z0-9-]+) -->$/;
const BOX = /^- \[[ xX]\] .*<!-- stagegate:tick:(promote|abort|pause|resume|retry):([a-z0-9-]+\/[a-z0-9-]+) -->$/;

/** The body's lines; a body saved from the browser comes back with CRLF line ends. */
function linesOf(body: string): string[] {
  return body.split('\n').map((l) => l.trimEnd());
}
const untick = (line: string) => line.replace(/^- \[[xX]\]/, '- [ ]');

/** The ticked boxes of a body, once each, with their lines. */
export function tickedLines(body: string): TickedLine[] {
  const out = new Map<string, TickedLine>();
  for (const line of linesOf(body)) {
    const m = TICK.exec(line);
    if (m && !out.has(line)) out.set(line, { action: m[1] as TickAction, rollout: m[2]!, line: untick(line) });
  }
  return [...out.values()];
}

/** The ticked boxes of a dashboard body (the bot's own marker form; whether it is the bot's box is syncDashboard's check). */
export function parseTicks(body: string): Tick[] {
  return tickedLines(body).map(({ action, rollout }) => ({ action, rollout }));
}

/** What a box says besides its rollout: the PR it labels or merges, the canary it retries. */
interface BoxArgs {
  readonly pr?: number;
  readonly canary?: string;
}

/** One box (and the retry box's hint line), or [] when `a` lacks what the action's box names. */
function boxLines(action: TickAction, id: string, a: BoxArgs): string[] {
  const tick = marker(`tick:${action}:${id}`);
  switch (action) {
    case 'resume':
      return a.pr === undefined ? [] : [`- [ ] resume \`${id}\` (remove ${PR_LABEL_PAUSE} from #${a.pr}) ${tick}`];
    case 'pause':
      return a.pr === undefined ? [] : [`- [ ] pause \`${id}\` (label #${a.pr} ${PR_LABEL_PAUSE}) ${tick}`];
    case 'promote':
      return a.pr === undefined ? [] : [`- [ ] promote \`${id}\` early (merge #${a.pr} now) ${tick}`];
    case 'abort':
      return [`- [ ] abort \`${id}\` (open the rollback PR: 100 % stable) ${tick}`];
    case 'retry':
      // A box carries no text, so it retries the version the intent records (the aborted one) and
      // says what to run for a new one (docs/design.md §4b; README "The rollout dashboard issue").
      return a.canary === undefined
        ? []
        : [
            `- [ ] retry \`${id}\` with canary \`${markdownText(a.canary, 100)}\` again from the first stage (opens the retry PR; a person merges it) ${tick}`,
            `  - a new version instead: \`stagegate retry ${id} --canary VERSION\``,
          ];
  }
}

/**
 * Boxes offered for a rollout in its state: promote while its stage PR waits, pause / resume its
 * open PR (the `stagegate:pause` label, README "Humans stay in charge"), abort while it runs, retry
 * once aborted.
 */
export function boxesOf(s: RolloutStatus): string[] {
  const id = s.rollout;
  const pr = s.pr?.state === 'open' ? { pr: s.pr.number } : {};
  const running = s.phase !== 'aborted' && s.phase !== 'finished' && s.phase !== 'rolling-back' && s.phase !== 'error';
  return [
    ...(s.pr?.state === 'open' ? boxLines(s.pr.paused ? 'resume' : 'pause', id, pr) : []),
    ...(s.pr?.kind === 'stage' && (s.phase === 'waiting' || s.phase === 'held') ? boxLines('promote', id, pr) : []),
    ...(running ? boxLines('abort', id, {}) : []),
    ...(s.phase === 'aborted' && s.canary !== undefined ? boxLines('retry', id, { canary: s.canary }) : []),
  ];
}

/** Markdown that markdownText escaped, as the text it was (the inverse of its escapes). */
function unescapeMarkdown(text: string): string {
  return text.replace(/\\([\\`*_[\]|~])|&(lt|gt|amp);/g, (_, c: string | undefined, e: string | undefined) =>
    c !== undefined ? c : e === 'lt' ? '<' : e === 'gt' ? '>' : '&',
  );
}

/** A box line of a body rebuilt from its marker: the bot's box for that action, or [] if the line is not it. */
function rebuiltBox(line: string): string[] {
  const m = BOX.exec(line);
  if (!m) return [];
  const pr = /#(\d{1,9})\b/.exec(line)?.[1];
  const canary = /with canary `((?:\\.|[^`\\])*)`/.exec(line)?.[1];
  const box = boxLines(m[1] as TickAction, m[2]!, {
    ...(pr === undefined ? {} : { pr: Number(pr) }),
    ...(canary === undefined ? {} : { canary: unescapeMarkdown(canary) }),
  });
  return box[0] === untick(line) ? box : [];
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

/** One rollout's part of the body: its table row and its boxes. */
export interface Piece {
  readonly id: string;
  readonly row: string;
  readonly boxes: readonly string[];
}

const TABLE_RULE = '|---|---|---|---|---|---|---|---|';
const COLUMNS = 8;

export function pieceOf(s: RolloutStatus): Piece {
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
  return { id: s.rollout, row, boxes: boxesOf(s) };
}

/** The cells of a table row the bot wrote (its cells escape `|`), or undefined for another shape. */
function cellsOf(row: string): string[] | undefined {
  if (!row.startsWith('| ') || !row.endsWith(' |')) return undefined;
  const cells: string[] = [];
  let current = '';
  const inner = row.slice(1, -1);
  for (let i = 0; i < inner.length; i += 1) {
    const c = inner[i]!;
    if (c === '\\' && i + 1 < inner.length) {
      current += c + inner[i + 1];
      i += 1;
    } else if (c === '|') {
      cells.push(current.trim());
      current = '';
    } else current += c;
  }
  cells.push(current.trim());
  return cells.length === COLUMNS ? cells : undefined;
}

/**
 * The rows and boxes of the last body, every box unticked: a tick's run refreshes only the
 * rollouts ticked and keeps the others as the last full pass wrote them (issue 15, "Scale"). What
 * is kept is re-rendered, not copied: each cell escaped again (a link or HTML a writer put in a
 * row shows as text), each box rebuilt from its marker (a box whose text is not its marker's box —
 * "pause" over an `abort` marker — is dropped), the retry hint rebuilt with its box.
 */
export function piecesOf(body: string): Piece[] {
  const lines = linesOf(body);
  const pieces = new Map<string, { row: string; boxes: string[] }>();
  let i = lines.indexOf(TABLE_RULE) + 1;
  for (; i > 0 && i < lines.length && lines[i]!.startsWith('| '); i += 1) {
    const cells = cellsOf(lines[i]!)?.map(unescapeMarkdown);
    if (!cells || !ID.test(cells[0]!) || pieces.has(cells[0]!)) continue;
    pieces.set(cells[0]!, { row: `| ${cells.map(cell).join(' | ')} |`, boxes: [] });
  }
  for (; i > 0 && i < lines.length && !lines[i]!.startsWith('### Last actions'); i += 1) {
    const box = rebuiltBox(lines[i]!);
    const owner = box.length > 0 ? pieces.get(BOX.exec(lines[i]!)![2]!) : undefined;
    if (owner && !owner.boxes.includes(box[0]!)) owner.boxes.push(...box);
  }
  return [...pieces].map(([id, p]) => ({ id, ...p }));
}

/** `kept` with the rollouts in `refreshed` replaced by `fresh` (dropped when gone), new ones last. */
export function mergePieces(kept: readonly Piece[], fresh: readonly Piece[], refreshed: ReadonlySet<string>): Piece[] {
  const byId = new Map(fresh.map((p) => [p.id, p]));
  const out = kept.flatMap((p) => (refreshed.has(p.id) ? (byId.has(p.id) ? [byId.get(p.id)!] : []) : [p]));
  const seen = new Set(out.map((p) => p.id));
  return [...out, ...fresh.filter((p) => !seen.has(p.id))];
}

/** One line of "Last actions": what was ticked, by whom, and what came of it, as plain text. */
export interface Act {
  readonly action: TickAction;
  readonly rollout: string;
  /** Who ticked it (the `issues` event's sender); absent when the run had no `--actor`. */
  readonly who?: string;
  readonly outcome: string;
}

/** How an act reads, every field escaped (the outcome may quote a check run or a person's reason). */
export function actLine(a: Act): string {
  const who = a.who === undefined ? '' : ` by @\u200b${markdownText(a.who, 40)}`;
  return `${a.action} \`${a.rollout}\`${who}: ${markdownText(a.outcome, 300)}`;
}

export const LAST_ACTIONS_MAX = 10;
const LAST_KEY = 'stagegate:last-actions';
const LAST = new RegExp(`^<!-- ${LAST_KEY} (\\[.*\\]) -->$`);

/** The acts as one hidden line: JSON with `-`, `<`, `>`, `&` as \u escapes, so it can never close the comment. */
function hiddenActs(acts: readonly Act[]): string {
  const json = JSON.stringify(acts).replace(/[-<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<!-- ${LAST_KEY} ${json} -->`;
}

/**
 * The acts of the last body, from its hidden line only (the visible lines are never read back).
 * Anyone who may edit the body may edit that line too, so each entry is checked and bounded, and
 * rendered again through {@link actLine}: a planted entry can say something false but can never
 * carry a marker, a box or a link. An entry not of the form is dropped.
 */
export function lastActionsOf(body: string): Act[] {
  const line = linesOf(body).find((l) => l.startsWith(`<!-- ${LAST_KEY} `));
  const json = line === undefined ? undefined : LAST.exec(line)?.[1];
  let parsed: unknown;
  try {
    parsed = json === undefined ? [] : JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.slice(0, LAST_ACTIONS_MAX).flatMap((e: unknown): Act[] => {
    if (typeof e !== 'object' || e === null) return [];
    const { action, rollout, who, outcome } = e as Record<string, unknown>;
    if (!ACTIONS.includes(action as TickAction) || typeof rollout !== 'string' || !ID.test(rollout)) return [];
    if (typeof outcome !== 'string' || (who !== undefined && typeof who !== 'string')) return [];
    return [
      {
        action: action as TickAction,
        rollout,
        ...(who === undefined ? {} : { who: plainText(who, 40) }),
        outcome: plainText(outcome, 300),
      },
    ];
  });
}

/** The issue body: the table, the boxes, the last actions. Pure; depends on no clock. */
export function assemble(pieces: readonly Piece[], lastActions: readonly Act[]): string {
  const actions = pieces.flatMap((p) => p.boxes);
  const last = lastActions.slice(0, LAST_ACTIONS_MAX);
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
      ...(last.length > 0
        ? ['### Last actions', '', ...last.map((a) => `- ${actLine(a)}`), '', hiddenActs(last), '']
        : []),
    ].join('\n'),
  );
}

export function renderDashboard(statuses: readonly RolloutStatus[], lastActions: readonly Act[]): string {
  return assemble(statuses.map(pieceOf), lastActions);
}
