/**
 * The people's view of `stagegate status`: one row per rollout, then one indented line per fact
 * a row cannot hold (the health evidence, PRs the bot ignores, errors). Tools read `--json`.
 */
import { formatDuration } from '../../constructs/duration.js';
import { describeClusters } from '../bot/cluster-status.js';
import type { RolloutStatus } from '../bot/status.js';

const HEAD = ['rollout', 'stage', 'weight', 'phase', 'pr', 'waiting for / next', 'health', 'timebox left'];

/** Minutes, rounded up, as the planner writes durations ("12m", "1h30m"); "over by …" once spent. */
function left(ms: number): string {
  if (ms <= 0) return `over by ${formatDuration(Math.ceil(-ms / 60_000) * 60_000 || 60_000)}`;
  return formatDuration(Math.ceil(ms / 60_000) * 60_000);
}

function row(s: RolloutStatus): string[] {
  const stage = s.stage === undefined ? '-' : `${s.stage} (${s.position!.index}/${s.position!.of})`;
  // A wave: each cluster's weight (its generated/<cluster>/ file); the details go on a line of their own.
  const weight = s.clusters
    ? s.clusters.map((c) => `${c.cluster} ${c.weight ?? '?'} %`).join(', ')
    : s.weight === undefined
      ? '-'
      : `${s.weight} %${s.cohort ? ' + cohort' : ''}`;
  const pr = s.pr ? `#${s.pr.number}${s.pr.kind === 'rollback' ? ' rollback' : ''}` : '-';
  const health = s.health ? `${s.health.verdict}${s.health.at ? ` ${s.health.at.slice(11, 16)}` : ''}` : '-';
  const timebox = s.timeboxLeftMs
    ? `stage ${left(s.timeboxLeftMs.stage)}, rollout ${left(s.timeboxLeftMs.rollout)}`
    : '-';
  return [s.rollout, stage, weight, s.phase, pr, s.next.detail, health, timebox];
}

export function formatStatus(statuses: readonly RolloutStatus[], source: string): string {
  if (statuses.length === 0) return `${source}: no rollouts\n`;
  const rows = statuses.map(row);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [`${source}: ${statuses.length} rollout(s)`, '', line(HEAD)];
  statuses.forEach((s, i) => {
    out.push(line(rows[i]!));
    if (s.clusters)
      out.push(
        `  ${s.rollout}: clusters ${describeClusters(s.clusters)}${s.waitsOn ? `; the wave waits on ${s.waitsOn}` : ''}`,
      );
    if (s.health?.evidence) out.push(`  ${s.rollout}: health run ${s.health.run}: ${s.health.evidence}`);
    for (const f of s.ignored ?? [])
      out.push(
        `  ${s.rollout}: ignored #${f.number} on ${f.branch} by ${f.author ?? 'an unknown account'} (not the bot's PR; never merged or adopted)`,
      );
  });
  return `${out.join('\n')}\n`;
}
