/**
 * What the demo tells people: progress lines while it runs and the summary at the end (text
 * and JSON). Pure formatting over the facts run.ts gathered.
 */
import type { DemoDrillResult } from './drill.js';
import type { Verdict } from '../../app/gate/evaluate.js';

export interface DemoPull {
  readonly number: number;
  readonly title: string;
  readonly state: 'open' | 'closed';
  readonly merged: boolean;
  readonly kind: 'stage' | 'rollback';
  readonly createdAt: string;
  readonly mergedAt: string | null;
  readonly closedAt: string | null;
}

export interface StageReached {
  readonly stage: string;
  /** Seconds since the demo started. */
  readonly t: number;
  readonly weight: number;
  readonly pr?: number;
}

export interface VerdictRecord {
  readonly t: number;
  readonly stage: string;
  readonly kind: Verdict['kind'];
  readonly baking: boolean;
  readonly summary: string;
}

export interface RollbackRecord {
  readonly pr: number;
  /** Seconds since the start: the first red health verdict, and the rollback's merge. */
  readonly redAt: number;
  readonly mergedAt: number;
  /** Red verdict → rollback merged on main, in seconds. */
  readonly secondsToRollback: number;
  /** The red verdict's reason (the evidence the rollback carries). */
  readonly reason: string;
  /** spec.abort.reason on main after the merge. */
  readonly abortReason: string;
}

export interface RolloutSummary {
  readonly name: string;
  readonly expected: 'promote' | 'rollback';
  /** Every stage of the intent, in order. */
  readonly stages: readonly string[];
  readonly finalStage: string;
  readonly aborted: boolean;
  readonly stagesReached: readonly StageReached[];
  readonly verdicts: readonly VerdictRecord[];
  readonly pulls: readonly DemoPull[];
  readonly rollback?: RollbackRecord;
  /** Default route of the VirtualService on main at the end. */
  readonly finalWeights: { readonly stable: number; readonly canary: number };
  readonly commits: ReadonlyArray<{ readonly sha: string; readonly subject: string }>;
}

export interface DemoSummary {
  readonly ok: boolean;
  /** Why not ok, one line each; empty when ok. */
  readonly problems: readonly string[];
  readonly seconds: number;
  readonly rollouts: readonly RolloutSummary[];
  readonly commits: number;
  /** `rollout: event` for each notification the bot posted to the demo's webhook, in order. */
  readonly notifications: readonly string[];
  readonly timeline: string;
  /** `stagegate drill --measure` of each drilled rollout, at the end. */
  readonly drills?: readonly DemoDrillResult[];
  readonly cleanup: {
    readonly prometheusPid: number | undefined;
    readonly prometheusExited: boolean;
    readonly tempDirsRemoved: boolean;
  };
}

/** `[ 42s] storefront: merged #3 → ten-percent (10 %)` */
export function progressLine(t: number, rollout: string, text: string): string {
  return `[${String(Math.round(t)).padStart(3)}s] ${rollout}: ${text}`;
}

export const pct = (x: number | undefined, digits = 1) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(digits)} %`);

/** `errors 24.8 % vs 0.2 %` from a verdict's evidence (what made it red, in numbers). */
export function verdictNumbers(v: Verdict): string {
  // A drill's red comes from its own alert, not from the canary's numbers (constructs/drill-alert.ts).
  const drill = v.alerts.find((a) => a.state === 'firing' && a.signal.startsWith('drill:'));
  if (drill) return `${drill.signal} (${drill.alert} firing)`;
  const e = v.evidence;
  if (!e) return v.reasons[0] ?? v.kind;
  const parts = [`errors ${pct(e.canary.errorRatio)} vs ${pct(e.stable.errorRatio)}`];
  if (e.canary.p99Ms !== undefined)
    parts.push(
      `p99 ${Math.round(e.canary.p99Ms)} vs ${e.stable.p99Ms === undefined ? 'n/a' : Math.round(e.stable.p99Ms)} ms`,
    );
  return parts.join(', ');
}

export function formatSummary(s: DemoSummary): string {
  const lines = [
    '',
    `demo ${s.ok ? 'OK' : 'FAILED'} in ${s.seconds.toFixed(0)} s — ${s.commits} commits on main, timeline: ${s.timeline}`,
  ];
  for (const r of s.rollouts) {
    lines.push('', `${r.name} (expected: ${r.expected === 'promote' ? 'promoted to the last stage' : 'rolled back'})`);
    lines.push(
      `  final stage: ${r.finalStage}${r.aborted ? ' — ABORTED' : ''}; VirtualService default route: stable ${r.finalWeights.stable} % / canary ${r.finalWeights.canary} %`,
    );
    lines.push(
      `  stages: ${r.stagesReached.map((x) => `${x.stage} @${Math.round(x.t)}s${x.pr ? ` (#${x.pr})` : ''}`).join(' → ')}`,
    );
    const verdicts = r.verdicts.map((v) => `${v.kind}${v.baking ? '(baking)' : ''}@${Math.round(v.t)}s`).join(', ');
    lines.push(`  health verdicts: ${verdicts || 'none'}`);
    for (const p of r.pulls) {
      const state = p.merged ? 'merged' : p.state;
      lines.push(`  #${p.number} ${state.padEnd(6)} ${p.kind.padEnd(8)} ${p.title}`);
    }
    if (r.rollback) {
      lines.push(
        `  rollback: red verdict @${r.rollback.redAt.toFixed(1)}s → #${r.rollback.pr} merged @${r.rollback.mergedAt.toFixed(1)}s (${r.rollback.secondsToRollback.toFixed(1)} s)`,
      );
      lines.push(`  abort reason on main: ${r.rollback.abortReason}`);
    }
    lines.push(`  commits: ${r.commits.length} (${r.commits.map((c) => c.sha.slice(0, 7)).join(' ')})`);
  }
  for (const d of s.drills ?? []) lines.push('', `drill ${d.rollout}: ${d.summary}`);
  for (const p of s.problems) lines.push(`problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
