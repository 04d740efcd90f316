/**
 * How a verdict becomes the `stagegate/health` check run on a stage PR. The bot merges only on
 * a *completed success* that finished after the bake window, so: fail → completed/failure at
 * once; hold, or healthy while baking → in_progress with the progress text; healthy and baked →
 * completed/success.
 */
import { CHECK_HEALTH } from '../../constructs/conventions.js';
import { describeEvidence, type Verdict } from './evaluate.js';
import { redClustersPrefix } from './red-clusters.js';

export interface HealthCheckRun {
  readonly name: string;
  readonly status: 'in_progress' | 'completed';
  readonly conclusion?: 'success' | 'failure';
  readonly title: string;
  readonly summary: string;
}

/** A wave's verdict names its clusters (app/gate/waves.ts WaveVerdict); a one-cluster one does not. */
type WithClusters = Verdict & {
  readonly clusters?: readonly { readonly cluster: string; readonly verdict: Verdict }[];
};

export function healthCheckRun(verdict: WithClusters): HealthCheckRun {
  const summary = checkSummary(verdict);
  switch (verdict.kind) {
    case 'fail': {
      // A wave's title starts with its red clusters, which the bot rolls back alone when the
      // intent says onClusterFailure: cluster (red-clusters.ts).
      // The reason is the first red cluster's own; the summary lists every cluster's.
      const red = (verdict.clusters ?? []).filter((c) => c.verdict.kind === 'fail');
      const title =
        red.length > 0
          ? `${redClustersPrefix(red.map((c) => c.cluster))}${red[0]!.verdict.reasons[0]}`
          : `fail: ${verdict.reasons[0]}`;
      return { name: CHECK_HEALTH, status: 'completed', conclusion: 'failure', title, summary };
    }
    case 'hold':
      return { name: CHECK_HEALTH, status: 'in_progress', title: `hold: ${verdict.reasons[0]}`, summary };
    case 'pass':
      return verdict.baking
        ? { name: CHECK_HEALTH, status: 'in_progress', title: `baking, healthy so far: ${progress(verdict)}`, summary }
        : {
            name: CHECK_HEALTH,
            status: 'completed',
            conclusion: 'success',
            // The evidence in the title: the bot keeps the run's title in the merge commit, which
            // is the ledger (app/bot/content.ts ledgerFrom), so what the stage passed on stays in Git.
            title: `pass: stage baked and healthy${verdict.evidence ? `; ${describeEvidence(verdict.evidence)}` : ''}`,
            summary,
          };
    default: {
      const never: never = verdict.kind;
      throw new Error(`unknown verdict ${String(never)}`);
    }
  }
}

function progress(v: Verdict): string {
  const e = v.evidence;
  if (!e || e.bakeMs === undefined) return 'no bake window';
  return `${Math.min(100, Math.floor(((e.bakedMs ?? 0) / e.bakeMs) * 100))} % of the bake window`;
}

/** Markdown for the check run's summary: the verdict, the evidence table and the alerts. */
export function checkSummary(v: Verdict): string {
  const lines = [`**${v.kind.toUpperCase()}** for \`${v.rollout}\` at ${v.at}`, '', ...v.reasons.map((r) => `- ${r}`)];
  const e = v.evidence;
  if (e) {
    const fmt = (x: number | undefined, f: (n: number) => string) => (x === undefined ? 'n/a' : f(x));
    const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
    const ms = (x: number) => `${Math.round(x)} ms`;
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    lines.push(
      '',
      `Stage \`${e.stage}\` (${e.weight} %): ${describeEvidence(e)}`,
      '',
      '| version | requests | 5xx ratio | p99 |',
      '|---|---:|---:|---:|',
      `| canary | ${n(e.canary.requests)} | ${fmt(e.canary.errorRatio, pct)} | ${fmt(e.canary.p99Ms, ms)} |`,
      `| stable | ${n(e.stable.requests)} | ${fmt(e.stable.errorRatio, pct)} | ${fmt(e.stable.p99Ms, ms)} |`,
    );
  }
  if (v.alerts.length > 0) {
    lines.push(
      '',
      '| alert | signal | action | state |',
      '|---|---|---|---|',
      ...v.alerts.map((a) => `| ${a.alert} | ${a.signal} | ${a.action} | ${a.state} |`),
    );
  }
  return lines.join('\n');
}
