/**
 * What each rollout writes for the fleet layout (docs/design.md §7, "Fleet layout (opt-in)"): the
 * info series through which fleet-rules.ts joins the fleet-wide aggregates to the rollout
 * (`stagegate:rollout_reads`: its service, its two versions, which fleet series it reads), and
 * the rollout's own rule group. Split from fleet-rules.ts so that RolloutAlerts (the rollout's
 * PrometheusRule under `alerts.layout: fleet`) and fleetRuleGroups share one definition of it.
 */
import { ALERT_LABEL_NAMESPACE, ALERT_LABEL_ROLLOUT, recordedSeriesName, ruleGroupName } from './conventions.js';
import { decisionWindowMs, shortWindowMs } from './detectability.js';
import { liveStage, type RolloutModel } from './model.js';
import type { RecordingRule, RuleGroup } from './alert-rules.js';
import { p99LimitRule as rolloutP99LimitRule, saturationWindowMs } from './recording-rules.js';
import { userSignalAlerts, userSignalRecordingRules } from './user-signals.js';
import { drillAlerts } from './drill-alert.js';
import { paramsRule, ROLE_LABEL, SHAPE_LABEL, windowLabels } from './fleet-params.js';
import { metricsService } from './istio/hosts.js';
import { binary, call, num, promDuration, render, str, type Expr } from './promql/ast.js';
import { istioTarget } from './promql/istio.js';
import { recordedWindowsMs, derivedWindowsMs, recordingIntervalMs, windowLabel } from './promql/windows.js';

/** The info series each rollout writes for the fleet's joins. */
export const ROLLOUT_READS = 'stagegate:rollout_reads';
/** Its label listing the fleet series the rollout reads, comma-framed (",requests:5m,ratio:5m,"). */
export const READS_LABEL = 'stagegate_reads';

/** What the fleet group of one shape aggregates over: everything but the service and version. */
export interface Shape {
  readonly reporter: string;
  readonly versionLabel: string;
  readonly protocol: 'http' | 'grpc';
  readonly timeScale: number;
}

export function shapeOf(model: RolloutModel): Shape {
  return {
    reporter: model.metrics.reporter,
    versionLabel: model.metrics.versionLabel,
    protocol: model.metrics.protocol,
    timeScale: model.metrics.timeScale,
  };
}

export const shapeKey = (s: Shape) => `${s.reporter}.${s.versionLabel}.${s.protocol}.${s.timeScale}`;

/**
 * One fleet series a rollout's recorded series is joined from. `id` names it in the rollout's
 * READS_LABEL; `record` is the fleet recording.
 */
export interface Source {
  readonly id: string;
  readonly record: string;
  /** The rollout's own series this source becomes. */
  readonly into: string;
  /** Derived from the base window (a long burn-rate window). */
  readonly derived?: boolean;
}

/** A rollout's reads: the recorded series of recording-rules.ts, each with its fleet source. */
export interface Reads {
  readonly model: RolloutModel;
  readonly sources: Source[];
}

export const fleetName = (what: string, w: number) => `stagegate:fleet_${what}:rate${windowLabel(w)}`;

/** Which fleet series each recorded series of `model` comes from (the same split recording-rules.ts makes). */
export function readsOf(model: RolloutModel): Reads {
  const scale = model.metrics.timeScale;
  const stage = liveStage(model);
  const W = decisionWindowMs(model, stage);
  const S = shortWindowMs(model, stage);
  const derived = new Set(derivedWindowsMs(W, S, scale));
  const sources: Source[] = [];
  for (const w of recordedWindowsMs(W, S, scale)) {
    const wl = windowLabel(w);
    const d = derived.has(w) ? 'd' : '';
    sources.push({
      id: `requests:${wl}${d}`,
      record: fleetName(d ? 'requests_derived' : 'requests', w),
      into: recordedSeriesName('requests', wl),
      ...(d ? { derived: true } : {}),
    });
    sources.push({
      id: `ratio:${wl}${d}`,
      record: fleetName(d ? 'ratio_derived' : 'ratio', w),
      into: recordedSeriesName('error_ratio', wl),
      ...(d ? { derived: true } : {}),
    });
  }
  // Every p99 from the short window's recorded bucket rates, W = S included: one raw read of the
  // histogram per short window for the whole fleet (fleet-rules.ts), where recording-rules.ts reads
  // it straight when W = S. The same sums at the same evaluation, so the same value.
  for (const w of W === S ? [S] : [S, W]) {
    sources.push({
      id: `p99:${windowLabel(w)}<${windowLabel(S)}`,
      record: fleetName(`p99_from${windowLabel(S)}`, w),
      into: recordedSeriesName('p99', windowLabel(w)),
    });
  }
  const sat = saturationWindowMs(model, W);
  sources.push({
    id: `uo:${windowLabel(sat)}`,
    record: fleetName('uo_ratio', sat),
    into: recordedSeriesName('uo_ratio', windowLabel(sat)),
  });
  return { model, sources };
}

/**
 * The info series of one rollout: one per version, with the service labels the fleet series
 * carry and READS_LABEL, so each join picks the rollouts that read its source.
 */
export function readsRule(r: Reads): RecordingRule {
  const t = istioTarget(r.model);
  const svc = metricsService(r.model.service.host, r.model.namespace, r.model.service.serviceEntry === true);
  const set = (e: Expr, label: string, value: string): Expr =>
    call('label_replace', e, str(label), str(value), str(''), str(''));
  // validate.ts refuses a canary of the stable version, so the two series always differ.
  const version = (role: 'stable' | 'canary') =>
    set(set(call('vector', num(1)), t.versionLabel, t.versions[role]), ROLE_LABEL, role);
  return {
    record: ROLLOUT_READS,
    expr: render(binary('or', version('stable'), version('canary'))),
    labels: {
      [SHAPE_LABEL]: shapeKey(shapeOf(r.model)),
      ...windowLabels(r.model),
      [ALERT_LABEL_ROLLOUT]: t.rollout,
      [ALERT_LABEL_NAMESPACE]: t.namespace,
      destination_service_name: svc.name,
      destination_service_namespace: svc.namespace,
      [READS_LABEL]: `,${r.sources.map((x) => x.id).join(',')},`,
    },
  };
}

/** The p99 limit, as recording-rules.ts writes it, over the joined p99 of stable. */
export function p99LimitRule(model: RolloutModel): RecordingRule {
  return rolloutP99LimitRule(model, decisionWindowMs(model, liveStage(model)));
}

/**
 * The rule group of one rollout under the fleet layout with fleet-wide alerts, `ruleGroupName(name)`:
 * its info series, its params series (fleet-params.ts), its user signals' recordings and alerts and
 * its drill alerts. Everything else (the recordings of recording-rules.ts and the alerts of
 * alert-rules.ts) is the fleet groups' (fleet-rules.ts), which serve every stage of every rollout;
 * so this group is all a stage advance changes. It depends on this rollout alone: the bot
 * regenerates it from one intent.
 */
export function fleetRolloutGroup(model: RolloutModel): RuleGroup {
  return {
    name: ruleGroupName(model.name),
    interval: promDuration(recordingIntervalMs(model.metrics.timeScale)),
    rules: [
      readsRule(readsOf(model)),
      paramsRule(model, shapeKey(shapeOf(model))),
      ...userSignalRecordingRules(model),
      ...userSignalAlerts(model),
      ...drillAlerts(model),
    ],
  };
}
