/**
 * `stagegate report --post` (issue #16, "posted on the last PR"): the report as ONE comment on the
 * rollout's last PR, found by a hidden marker and edited in place when the report changed; an
 * unchanged report costs only the reads. The PR must be the bot's own by the bot's trust rules
 * (docs/design.md, "Bot trust model and merge rule": opened by the bot, based on the default
 * branch, every commit the bot's); the marker counts only in the bot's own comment
 * (planner-trust.ts `botComment`), so nobody steers the edit by quoting it.
 */
import { rollbackBranch, stageBranch } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { marker, type BotConfig } from '../bot/planner-types.js';
import { commitProblem } from '../bot/planner-trust.js';
import type { GitHubPort, PullRequest } from '../bot/port.js';
import { plainText } from '../bot/text.js';

/**
 * GitHub refuses a comment body over 65,536 characters with 422 "Body is too long (maximum is
 * 65536 characters)" (the emulator models it: tools/emulator/limits.ts `checkCommentBody`, with
 * the threads it comes from). Characters are code points, as GitHub's validations count them.
 */
export const COMMENT_BODY_LIMIT = 65_536;

export const reportMarkerKey = (m: RolloutModel): string => `report:${m.namespace}/${m.name}`;

export type PostOutcome =
  | { readonly kind: 'posted' | 'edited' | 'unchanged'; readonly pr: number; readonly skipped: readonly string[] }
  | { readonly kind: 'refused'; readonly message: string; readonly skipped: readonly string[] };

/** Why `pr` is not one the bot may comment on as its own, or undefined when it is. */
async function notOurs(
  port: Pick<GitHubPort, 'pullCommits'>,
  pr: PullRequest,
  config: BotConfig,
  base: string,
): Promise<string | undefined> {
  if (pr.author !== config.botLogin)
    return `it was opened by ${pr.author ? plainText(pr.author, 100) : 'an unknown account'}, not by ${config.botLogin}`;
  if (pr.baseRef !== base) return `it targets ${plainText(pr.baseRef, 200)}, not ${base}`;
  for (const c of await port.pullCommits(pr.number, pr.headSha, `${pr.baseRef}@${pr.baseSha ?? ''}`)) {
    const problem = commitProblem(c, config);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Posts or edits the report comment on the rollout's newest PR of the bot's own (stage or rollback
 * branch); PRs someone else opened there, or that carry others' commits, are skipped and named.
 */
export async function postReport(
  port: Pick<GitHubPort, 'defaultBranch' | 'pullsByHead' | 'pullCommits' | 'comments' | 'comment' | 'updateComment'>,
  config: BotConfig,
  model: RolloutModel,
  markdown: string,
): Promise<PostOutcome> {
  const base = (await port.defaultBranch()).name;
  const branches = [
    ...model.stages.map((s) => stageBranch(model.namespace, model.name, s.name)),
    rollbackBranch(model.namespace, model.name),
  ];
  const prs: PullRequest[] = [];
  for (const b of branches) prs.push(...(await port.pullsByHead(b)));
  prs.sort((a, b) => b.number - a.number);
  const skipped: string[] = [];
  let target: PullRequest | undefined;
  for (const pr of prs) {
    const why = await notOurs(port, pr, config, base);
    if (why === undefined) {
      target = pr;
      break;
    }
    skipped.push(`#${pr.number}: ${why}`);
  }
  if (!target)
    return {
      kind: 'refused',
      message: `no PR of ${model.namespace}/${model.name} is ${config.botLogin}'s own (its stage and rollback branches); the report is posted only there`,
      skipped,
    };
  const key = reportMarkerKey(model);
  const body = boundedBody(`${marker(key)}\n${markdown}`, COMMENT_BODY_LIMIT);
  const mine = (await port.comments(target.number)).find(
    (c) => c.user === config.botLogin && c.body.includes(marker(key)),
  );
  if (!mine) {
    await port.comment(target.number, body);
    return { kind: 'posted', pr: target.number, skipped };
  }
  if (mine.body === body) return { kind: 'unchanged', pr: target.number, skipped };
  await port.updateComment(mine.id, body);
  return { kind: 'edited', pr: target.number, skipped };
}

const length = (s: string): number => [...s].length;
const isRow = (line: string): boolean => line.startsWith('|');

/** Tables as [first body row, end) line ranges (after the header and its `| --- |` line). */
function tables(lines: readonly string[]): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!isRow(lines[i]!) || !/^\|[\s:|-]+\|$/.test(lines[i + 1]!) || (i > 0 && isRow(lines[i - 1]!))) continue;
    let end = i + 2;
    while (end < lines.length && isRow(lines[end]!)) end++;
    out.push([i + 2, end]);
  }
  return out;
}

/** `text` with every table cut to its first `keep` rows and a line saying how many were left off. */
function cutTables(lines: readonly string[], keep: number): string {
  const out: string[] = [];
  let at = 0;
  for (const [from, end] of tables(lines)) {
    const rows = end - from;
    if (rows <= keep) continue;
    out.push(...lines.slice(at, from + keep));
    // A blank line first: GFM would read a line right under a table as one more row.
    out.push('', `… ${rows - keep} more rows (the full table: \`stagegate report\` without --post)`);
    at = end;
  }
  out.push(...lines.slice(at));
  return out.join('\n');
}

/**
 * The body within `limit` characters: unchanged when it fits; else each table keeps as many
 * leading rows as fit (the same number for every table, found by bisection) followed by an
 * "… N more rows" line; lines are never cut in the middle. If even headers alone do not fit,
 * whole lines are dropped from the end and a last line says so.
 */
export function boundedBody(text: string, limit: number): string {
  if (length(text) <= limit) return text;
  const lines = text.split('\n');
  const most = Math.max(0, ...tables(lines).map(([from, end]) => end - from));
  let lo = 0;
  let hi = most - 1;
  let best: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const cut = cutTables(lines, mid);
    if (length(cut) <= limit) {
      best = cut;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best !== undefined) return best;
  const kept = cutTables(lines, 0).split('\n');
  const tail = (n: number) =>
    `\n\n… ${n} more lines left off (a comment holds ${limit} characters; the full report: \`stagegate report\` without --post)`;
  let total = length(kept.join('\n'));
  let dropped = 0;
  while (kept.length > 1 && total + length(tail(dropped)) > limit) {
    total -= length(kept.pop()!) + 1;
    dropped++;
  }
  return `${kept.join('\n')}${tail(dropped)}`;
}
