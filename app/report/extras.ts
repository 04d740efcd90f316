/**
 * What the post-release report adds to the built-in signals (issue #16): every user-defined
 * signal's recorded value per version (the series the signal's own rules write, constructs/
 * user-signals.ts), the alerts that fired (Prometheus' `ALERTS` series of the rollout, selected by
 * the docs/design.md §2 labels, never by name) and the gate's verdicts (the `stagegate/health`
 * check runs on the rollout's PRs, read through the bot's GitHub port).
 */
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SIGNAL,
} from '../../constructs/conventions.js';
import { rollbackBranch, stageBranch } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { aggregate, eq, render, selector } from '../../constructs/promql/ast.js';
import { userSignalValueQuery } from '../../constructs/user-signals.js';
import { trustedRuns } from '../bot/checks.js';
import type { GitHubPort } from '../bot/port.js';
import type { PrometheusApi } from '../gate/prometheus-api.js';
import type { Points } from './model.js';
import { stepFor, type Span } from './series.js';
import { scrapeIntervalMs } from '../../constructs/promql/windows.js';

export interface UserSignalSeries {
  readonly name: string;
  readonly stable: Points;
  readonly canary: Points;
}

export interface FiredAlert {
  readonly alert: string;
  readonly signal: string;
  readonly action: string;
  /** First and last evaluation at which it was firing (ISO). */
  readonly firstAt: string;
  readonly lastAt: string;
}

export interface GateVerdict {
  readonly pr: number;
  readonly conclusion: string;
  readonly at: string;
  /** The run's output summary (the gate's one line), as GitHub stores it. */
  readonly summary: string;
}

export interface ReportExtras {
  readonly userSignals: readonly UserSignalSeries[];
  readonly alerts: readonly FiredAlert[];
  /** Absent without GitHub (a local Git report). */
  readonly verdicts?: readonly GateVerdict[];
}

export const NO_EXTRAS: ReportExtras = { userSignals: [], alerts: [] };

/** Each user-defined signal's recorded value on its window W, per version, over the span. */
export async function userSignalSeries(
  model: RolloutModel,
  prometheus: Pick<PrometheusApi, 'queryRange'>,
  span: Span,
): Promise<UserSignalSeries[]> {
  const { stepSeconds } = stepFor(span, scrapeIntervalMs(model.metrics));
  const points = async (q: string): Promise<Points> =>
    ((await prometheus.queryRange(q, span.start, span.end, stepSeconds))[0]?.points ?? []).filter(([, v]) =>
      Number.isFinite(v),
    );
  return Promise.all(
    (model.signals ?? []).map(async (s) => ({
      name: s.name,
      stable: await points(userSignalValueQuery(model, s, 'stable')),
      canary: await points(userSignalValueQuery(model, s, 'canary')),
    })),
  );
}

/** The rollout's alerts that were firing at some evaluation in the span, first firing first. */
export async function firedAlerts(
  model: RolloutModel,
  prometheus: Pick<PrometheusApi, 'queryRange'>,
  span: Span,
): Promise<FiredAlert[]> {
  const { stepSeconds } = stepFor(span, scrapeIntervalMs(model.metrics));
  // One series per alert: in the fleet layout (issue 17, constructs/fleet-alerts.ts) an alert's
  // series also carries the rollout's window labels, which change with its stage, and ALERTS
  // keeps every label of the alert's series (a new label set is a new series).
  const expr = render(
    aggregate(
      'max',
      selector('ALERTS', [
        eq('alertstate', 'firing'),
        eq(ALERT_LABEL_ROLLOUT, model.name),
        eq(ALERT_LABEL_NAMESPACE, model.namespace),
      ]),
      ['alertname', ALERT_LABEL_SIGNAL, ALERT_LABEL_ACTION],
    ),
  );
  const series = await prometheus.queryRange(expr, span.start, span.end, stepSeconds);
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return series
    .filter((s) => s.points.length > 0)
    .map((s) => ({
      alert: s.labels.alertname ?? '?',
      signal: s.labels[ALERT_LABEL_SIGNAL] ?? '?',
      action: s.labels[ALERT_LABEL_ACTION] ?? '?',
      firstAt: iso(s.points[0]![0]),
      lastAt: iso(s.points.at(-1)![0]),
    }))
    .sort((a, b) => a.firstAt.localeCompare(b.firstAt) || a.alert.localeCompare(b.alert));
}

/** The trusted `stagegate/health` runs on the rollout's stage and rollback PRs (their latest head), oldest first. */
export async function gateVerdicts(
  port: Pick<GitHubPort, 'pullsByHead' | 'checkRuns'>,
  config: { readonly trustedApps?: readonly string[]; readonly healthCheck: string },
  model: RolloutModel,
): Promise<GateVerdict[]> {
  const branches = [
    ...model.stages.map((s) => stageBranch(model.namespace, model.name, s.name)),
    rollbackBranch(model.namespace, model.name),
  ];
  const out: GateVerdict[] = [];
  for (const branch of branches)
    for (const pr of await port.pullsByHead(branch))
      for (const r of trustedRuns(await port.checkRuns(pr.headSha), config.trustedApps)) {
        if (r.name !== config.healthCheck || r.status !== 'completed') continue;
        out.push({
          pr: pr.number,
          conclusion: r.conclusion ?? 'unknown',
          at: r.completedAt ?? r.startedAt ?? '',
          summary: r.summary ?? '',
        });
      }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
