/**
 * Fleet-wide recording rules (docs/design.md §7, rule cost: "Fleet-wide recordings, measured"):
 * the same recorded series every rollout's alerts read, written by one group per metrics shape
 * for every rollout at once instead of by each rollout's own rules. Each raw Istio series is read
 * once per window for the whole fleet (`sum by` service, namespace and version), the windows
 * derived and the ratios and p99s taken on those aggregates, and then joined to each rollout
 * through an info series the rollout's own group writes (`stagegate:rollout_reads`: its service,
 * its two versions, and which fleet series it reads), so the series that come out have exactly the
 * names, labels and values of recording-rules.ts. The alerts are the rollout's own, unchanged.
 *
 * What this is for: the rule-cost bench (`RULE_COST_VARIANT=fleet`) measures it against the
 * per-rollout rules on the same data, and test/promtool/fleet-rules.test.ts proves it writes the
 * same series and fires the same alerts. `synth` does not write it (docs/design.md §7 says why).
 */
import {
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  METRIC_DURATION_BUCKET,
  METRIC_REQUESTS,
  recordedSeriesName,
  ruleGroupName,
} from './conventions.js';
import { decisionWindowMs, LATENCY_FLOOR_MS, shortWindowMs } from './detectability.js';
import { liveStage, type RolloutModel } from './model.js';
import { alertRules, type RecordingRule, type RuleGroup } from './alert-rules.js';
import { p99Of, saturationWindowMs } from './recording-rules.js';
import { userSignalAlerts, userSignalRecordingRules } from './user-signals.js';
import { drillAlerts } from './drill-alert.js';
import {
  FLEET_WINDOW_LABELS,
  fleetAlertRules,
  paramsRule,
  ROLE_LABEL,
  SHAPE_LABEL,
  windowLabels,
} from './fleet-alerts.js';
import { metricsService } from './istio/hosts.js';
import {
  aggregate,
  anyOf,
  binary,
  call,
  eq,
  num,
  promDuration,
  range,
  re,
  render,
  selector,
  str,
  sum,
  type Expr,
  type LabelMatcher,
  type Selector,
} from './promql/ast.js';
import {
  GRPC_SERVER_FAILURES,
  ISTIO_DURATION_BUCKETS_MS,
  istioTarget,
  recorded,
  SERVER_ERRORS,
  UPSTREAM_OVERFLOW,
} from './promql/istio.js';
import { derivedRangeMs, roundUpToBucketExpr } from './promql/rollout-queries.js';
import {
  baseWindowMs,
  derivedWindowsMs,
  recordedWindowsMs,
  recordingIntervalMs,
  slowRecordingIntervalMs,
  slowWindowsMs,
  windowLabel,
} from './promql/windows.js';

/** The info series each rollout writes for the fleet's joins. */
export const ROLLOUT_READS = 'stagegate:rollout_reads';
/** Its label listing the fleet series the rollout reads, comma-framed (",requests:5m,ratio:5m,"). */
export const READS_LABEL = 'stagegate_reads';

/** What the fleet group of one shape aggregates over: everything but the service and version. */
interface Shape {
  readonly reporter: string;
  readonly versionLabel: string;
  readonly protocol: 'http' | 'grpc';
  readonly timeScale: number;
}

/**
 * A shape with what its rules select by: its key (SHAPE_LABEL on every series its rules write, so
 * two shapes' groups never write or read each other's series: an http and a grpc rollout of one
 * service count errors differently), and the services of its rollouts (the raw reads select only
 * those, as the per-rollout rules do, so the cost does not grow with the rest of the mesh).
 */
interface ShapeRules extends Shape {
  readonly key: string;
  readonly services: readonly LabelMatcher[];
}

const SERVICE_LABELS = ['destination_service_namespace', 'destination_service_name'] as const;

function shapeOf(model: RolloutModel): Shape {
  return {
    reporter: model.metrics.reporter,
    versionLabel: model.metrics.versionLabel,
    protocol: model.metrics.protocol,
    timeScale: model.metrics.timeScale,
  };
}

const shapeKey = (s: Shape) => `${s.reporter}.${s.versionLabel}.${s.protocol}.${s.timeScale}`;

/**
 * One fleet series a rollout's recorded series is joined from. `id` names it in the rollout's
 * READS_LABEL; `record` is the fleet recording.
 */
interface Source {
  readonly id: string;
  readonly record: string;
  /** The rollout's own series this source becomes. */
  readonly into: string;
  /** Derived from the base window (a long burn-rate window). */
  readonly derived?: boolean;
}

/** A rollout's reads: the recorded series of recording-rules.ts, each with its fleet source. */
interface Reads {
  readonly model: RolloutModel;
  readonly sources: Source[];
}

const fleetName = (what: string, w: number) => `stagegate:fleet_${what}:rate${windowLabel(w)}`;

/** Which fleet series each recorded series of `model` comes from (the same split recording-rules.ts makes). */
function readsOf(model: RolloutModel): Reads {
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
  for (const w of W === S ? [S] : [S, W]) {
    const from = W === S ? '' : `<${windowLabel(S)}`;
    sources.push({
      id: `p99:${windowLabel(w)}${from}`,
      record: fleetName(W === S ? 'p99' : `p99_from${windowLabel(S)}`, w),
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

/** `istio_requests_total` of the shape's reporter, every service and version. */
function requestsOf(s: ShapeRules, extra: readonly LabelMatcher[] = []): Selector {
  return selector(METRIC_REQUESTS, [eq('reporter', s.reporter), ...s.services, ...extra]);
}

/** A recording of the shape's own fleet rules. */
function own(s: ShapeRules, record: string): Selector {
  return selector(record, [eq(SHAPE_LABEL, s.key)]);
}

function byFleet(s: Shape, extra: readonly string[] = []): string[] {
  return [...SERVICE_LABELS, s.versionLabel, ...extra];
}

/** Failed requests per service and version over the raw series (promql/istio.ts errorsFrom, fleet-wide). */
function fleetErrors(s: ShapeRules, windowMs: number): Expr {
  const of = (m: readonly LabelMatcher[]) => call('rate', range(requestsOf(s, m), windowMs));
  const by = byFleet(s);
  if (s.protocol === 'http') return sum(of([SERVER_ERRORS]), by);
  return sum(binary('or', of([SERVER_ERRORS]), of(GRPC_SERVER_FAILURES)), by);
}

/** promql/rollout-queries.ts ratioExpr, matched on service and version instead of the version alone. */
function fleetRatio(s: ShapeRules, top: Expr, requests: Expr): Expr {
  const on = { on: byFleet(s) };
  return binary(
    '/',
    binary('or', top, binary('*', requests, num(0)), { matching: on }),
    binary('>', requests, num(0)),
    {
      matching: on,
    },
  );
}

/** promql/rollout-queries.ts derivedRateExpr over a fleet recording of the base window. */
function fleetDerived(s: ShapeRules, baseRecord: string, windowMs: number): Expr {
  const intervalMs = recordingIntervalMs(s.timeScale);
  const base = range(own(s, baseRecord), derivedRangeMs(windowMs, intervalMs));
  return binary('/', sum(call('sum_over_time', base), byFleet(s)), num(windowMs / intervalMs));
}

/** The fleet group's rules for the rollouts of one shape, in evaluation order: main, then slow. */
function fleetRules(s: ShapeRules, reads: readonly Reads[]): { main: RecordingRule[]; slow: RecordingRule[] } {
  const scale = s.timeScale;
  const base = baseWindowMs(scale);
  const intervalMs = recordingIntervalMs(scale);
  const used = new Set(reads.flatMap((r) => r.sources.map((x) => x.record)));
  const windows = (what: string) =>
    [...used]
      .map((name) => new RegExp(`^stagegate:fleet_${what}:rate(.+)$`).exec(name)?.[1])
      .filter((w): w is string => w !== undefined);
  const ms = (label: string) => windowsByLabel.get(label)!;
  const windowsByLabel = new Map<string, number>();
  for (const r of reads) {
    const stage = liveStage(r.model);
    const W = decisionWindowMs(r.model, stage);
    const S = shortWindowMs(r.model, stage);
    for (const w of [...recordedWindowsMs(W, S, scale), W, S, saturationWindowMs(r.model, W)])
      windowsByLabel.set(windowLabel(w), w);
  }
  const slowSet = new Set<number>();
  for (const r of reads) {
    const stage = liveStage(r.model);
    for (const w of slowWindowsMs(decisionWindowMs(r.model, stage), shortWindowMs(r.model, stage), scale))
      slowSet.add(w);
  }
  const main: RecordingRule[] = [];
  const slow: RecordingRule[] = [];
  const rule = (record: string, expr: Expr) => ({ record, expr: render(expr), labels: { [SHAPE_LABEL]: s.key } });
  const byMs = (a: string, b: string) => ms(a) - ms(b);
  const requestsBase = fleetName('requests', base);
  const errorsBase = fleetName('errors', base);
  // Raw windows: the request rate, then the ratio over it; the 5xx rate only on the base.
  for (const wl of windows('requests').sort(byMs)) {
    const w = ms(wl);
    main.push(rule(fleetName('requests', w), sum(rate(requestsOf(s), w), byFleet(s))));
    if (w === base) main.push(rule(errorsBase, fleetErrors(s, w)));
    const top = w === base ? own(s, errorsBase) : fleetErrors(s, w);
    main.push(rule(fleetName('ratio', w), fleetRatio(s, top, own(s, fleetName('requests', w)))));
  }
  // Derived windows, from the base recordings (promql/rollout-queries.ts derivedRateExpr).
  for (const wl of windows('requests_derived').sort(byMs)) {
    const w = ms(wl);
    const into = slowSet.has(w) ? slow : main;
    into.push(rule(fleetName('requests_derived', w), fleetDerived(s, requestsBase, w)));
    into.push(
      rule(
        fleetName('ratio_derived', w),
        fleetRatio(s, fleetDerived(s, errorsBase, w), fleetDerived(s, requestsBase, w)),
      ),
    );
  }
  // p99: straight from the raw buckets when W = S, else from the short window's recorded buckets.
  const buckets = (w: number) =>
    sum(rate(selector(METRIC_DURATION_BUCKET, [eq('reporter', s.reporter), ...s.services]), w), byFleet(s, ['le']));
  for (const wl of windows('p99').sort(byMs)) main.push(rule(fleetName('p99', ms(wl)), p99Of(buckets(ms(wl)))));
  const fromShort = [...used]
    .map((name) => /^stagegate:fleet_p99_from(.+):rate(.+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ short: m[1]!, window: m[2]! }));
  for (const shortLabel of [...new Set(fromShort.map((x) => x.short))].sort(byMs)) {
    const S = ms(shortLabel);
    const recordedBuckets = fleetName(`buckets`, S);
    main.push(rule(recordedBuckets, buckets(S)));
    for (const { window } of fromShort.filter((x) => x.short === shortLabel).sort((a, b) => byMs(a.window, b.window))) {
      const w = ms(window);
      const rates =
        w === S
          ? own(s, recordedBuckets)
          : sum(
              call('sum_over_time', range(own(s, recordedBuckets), derivedRangeMs(w, intervalMs))),
              byFleet(s, ['le']),
            );
      main.push(rule(fleetName(`p99_from${shortLabel}`, w), p99Of(rates)));
    }
  }
  for (const wl of windows('uo_ratio').sort(byMs)) {
    const w = ms(wl);
    const overflow = sum(rate(requestsOf(s, [UPSTREAM_OVERFLOW]), w), byFleet(s));
    main.push(rule(fleetName('uo_ratio', w), fleetRatio(s, overflow, own(s, fleetName('requests', w)))));
  }
  // The joins: every rollout that reads a source gets it under its own series' name and labels.
  const joins = new Map<string, Source>();
  for (const r of reads) for (const x of r.sources) joins.set(x.id, x);
  // The role and the rollout's windows stay on the joined series (fleet-alerts.ts selects by them).
  const keep = [
    ALERT_LABEL_ROLLOUT,
    ALERT_LABEL_NAMESPACE,
    s.versionLabel,
    ROLE_LABEL,
    SHAPE_LABEL,
    ...FLEET_WINDOW_LABELS,
  ];
  for (const x of [...joins.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const readers = selector(ROLLOUT_READS, [eq(SHAPE_LABEL, s.key), re(READS_LABEL, `.*,${escapeRegex(x.id)},.*`)]);
    const joined = aggregate(
      'max',
      binary('*', readers, own(s, x.record), { matching: { on: byFleet(s), groupLeft: [] } }),
      keep,
    );
    const w = /:rate(.+)$/.exec(x.record)![1]!;
    (x.derived && slowSet.has(ms(w)) ? slow : main).push(rule(x.into, joined));
  }
  return { main, slow };
}

function rate(sel: Selector, windowMs: number): Expr {
  return call('rate', range(sel, windowMs));
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The info series of one rollout: one per version, with the service labels the fleet series
 * carry and READS_LABEL, so each join picks the rollouts that read its source.
 */
function readsRule(r: Reads): RecordingRule {
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
function p99LimitRule(model: RolloutModel): RecordingRule {
  const t = istioTarget(model);
  const W = decisionWindowMs(model, liveStage(model));
  const { max, maxVsStable } = model.health.latencyP99Ms;
  const relative = binary('+', binary('*', num(maxVsStable), recorded(t, 'p99', W, 'stable')), num(LATENCY_FLOOR_MS));
  return {
    record: recordedSeriesName('p99_limit', windowLabel(W)),
    expr: render(roundUpToBucketExpr(relative, max, ISTIO_DURATION_BUCKETS_MS)),
    labels: { [ALERT_LABEL_ROLLOUT]: t.rollout, [ALERT_LABEL_NAMESPACE]: t.namespace },
  };
}

/** Name of the fleet group of a shape (and of its slow group). */
export function fleetGroupName(model: RolloutModel, slow = false): string {
  const s = shapeOf(model);
  return `stagegate.fleet.${shapeKey(s)}${slow ? '.slow' : ''}`;
}

/**
 * Every rule group of `models` with fleet-wide recordings: one fleet group per shape (and its
 * slow group), then one group per rollout holding its info series, its p99 limit, its user
 * signals' recordings and its alerts (alert-rules.ts, unchanged). Each rollout's group reads the
 * fleet's joins up to one interval late (Prometheus runs groups at their own offsets), where the
 * per-rollout design reads its own recordings of the same evaluation.
 */
export function fleetRuleGroups(
  models: readonly RolloutModel[],
  opts: { readonly alerts?: 'per-rollout' | 'fleet'; readonly stages?: 'live' | 'all' } = {},
): RuleGroup[] {
  const fleetAlerts = opts.alerts === 'fleet';
  // The fleet groups serve every stage of every rollout (the windows and `for`s of each), so a
  // stage advance changes only the rollout's own info and params series, never the fleet's rules.
  const everyStage = (m: RolloutModel) =>
    opts.stages === 'live' ? [m] : m.stages.map((stage) => ({ ...m, stage: stage.name }));
  const byShape = new Map<string, Reads[]>();
  const reads = models.map(readsOf);
  for (const r of reads) {
    const key = shapeKey(shapeOf(r.model));
    byShape.set(key, [...(byShape.get(key) ?? []), r]);
  }
  const groups: RuleGroup[] = [];
  for (const shaped of byShape.values()) {
    const first = shaped[0]!.model;
    const services = shaped.map((r) =>
      metricsService(r.model.service.host, r.model.namespace, r.model.service.serviceEntry === true),
    );
    const names = (pick: (x: (typeof services)[number]) => string) => anyOf([...new Set(services.map(pick))].sort());
    const s: ShapeRules = {
      ...shapeOf(first),
      key: shapeKey(shapeOf(first)),
      services: [
        re(
          'destination_service_namespace',
          names((x) => x.namespace),
        ),
        re(
          'destination_service_name',
          names((x) => x.name),
        ),
      ],
    };
    const served = shaped.flatMap((r) => everyStage(r.model));
    const { main, slow } = fleetRules(s, served.map(readsOf));
    const alerts = fleetAlerts ? fleetAlertRules(served, s.key) : [];
    groups.push({
      name: fleetGroupName(first),
      interval: promDuration(recordingIntervalMs(s.timeScale)),
      rules: [...main, ...alerts],
    });
    if (slow.length > 0)
      groups.push({
        name: fleetGroupName(first, true),
        interval: promDuration(slowRecordingIntervalMs(s.timeScale)),
        rules: slow,
      });
  }
  for (const r of reads) {
    const m = r.model;
    groups.push({
      name: ruleGroupName(m.name),
      interval: promDuration(recordingIntervalMs(m.metrics.timeScale)),
      rules: fleetAlerts
        ? [
            readsRule(r),
            paramsRule(m, shapeKey(shapeOf(m))),
            ...userSignalRecordingRules(m),
            ...userSignalAlerts(m),
            ...drillAlerts(m),
          ]
        : [readsRule(r), p99LimitRule(m), ...userSignalRecordingRules(m), ...alertRules(m)],
    });
  }
  return groups;
}
