/**
 * Fleet-wide recording rules (docs/design.md §7, rule cost: "Fleet-wide recordings, measured"):
 * the same recorded series every rollout's alerts read, written by one group per metrics shape
 * for every rollout at once instead of by each rollout's own rules. Each raw Istio series is read
 * once per window for the whole fleet (`sum by` service, namespace and version), the windows
 * derived and the ratios and p99s taken on those aggregates, and then joined to each rollout
 * through an info series the rollout's own group writes (`stagegate:rollout_reads`: its service,
 * its two versions, and which fleet series it reads), so the series that come out have exactly the
 * names, labels and values of recording-rules.ts. Each raw read selects only the services whose
 * rollouts read what it feeds. The alerts are each rollout's own (`alerts: 'per-rollout'`, for
 * measuring only) or fleet-wide (fleet-alerts.ts).
 *
 * What this is for: with fleet-wide alerts (fleet-alerts.ts) it is the opt-in `alerts.layout:
 * fleet` of the repository defaults (docs/design.md §7, "Fleet layout (opt-in)"): synth writes
 * fleetSharedGroups into generated/stagegate-fleet.k8s.yaml (fleet-prometheus-rule.ts) and each
 * rollout's fleetRolloutGroup into its own PrometheusRule. The rule-cost bench
 * (`RULE_COST_VARIANT=fleet`, `fleet-alerts`) measures it against the per-rollout rules on the
 * same data, and test/promtool/fleet-rules.test.ts proves it writes the same series and fires the
 * same alerts.
 */
import {
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  METRIC_DURATION_BUCKET,
  METRIC_REQUESTS,
  ruleGroupName,
} from './conventions.js';
import { decisionWindowMs, shortWindowMs } from './detectability.js';
import { liveStage, type RolloutModel } from './model.js';
import { alertRules, type RecordingRule, type RuleGroup } from './alert-rules.js';
import { p99Of, saturationWindowMs } from './recording-rules.js';
import { userSignalRecordingRules } from './user-signals.js';
import { fleetAlertRules, groupBy } from './fleet-alerts.js';
import { FLEET_WINDOW_LABELS, ROLE_LABEL, SHAPE_LABEL } from './fleet-params.js';
import {
  fleetName,
  fleetRolloutGroup,
  p99LimitRule,
  READS_LABEL,
  readsOf,
  readsRule,
  ROLLOUT_READS,
  shapeKey,
  shapeOf,
  type Reads,
  type Shape,
  type Source,
} from './fleet-reads.js';
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
  rate,
  re,
  render,
  selector,
  sum,
  type Expr,
  type LabelMatcher,
  type Selector,
} from './promql/ast.js';
import { GRPC_SERVER_FAILURES, SERVER_ERRORS, UPSTREAM_OVERFLOW } from './promql/istio.js';
import { derivedRangeMs } from './promql/rollout-queries.js';
import {
  baseWindowMs,
  recordedWindowsMs,
  recordingIntervalMs,
  slowRecordingIntervalMs,
  slowWindowsMs,
  windowLabel,
} from './promql/windows.js';

export { fleetRolloutGroup, READS_LABEL, ROLLOUT_READS } from './fleet-reads.js';

/**
 * A shape with its key: SHAPE_LABEL on every series its rules write, so two shapes' groups never
 * write or read each other's series (an http and a grpc rollout of one service count errors
 * differently). Each raw read selects only the services that need it (fleetRules), so the cost
 * does not grow with the rest of the mesh.
 */
interface ShapeRules extends Shape {
  readonly key: string;
}

const SERVICE_LABELS = ['destination_service_namespace', 'destination_service_name'] as const;

/** `istio_requests_total` of the shape's reporter, every service and version. */
function requestsOf(services: readonly LabelMatcher[], s: ShapeRules, extra: readonly LabelMatcher[] = []): Selector {
  return selector(METRIC_REQUESTS, [eq('reporter', s.reporter), ...services, ...extra]);
}

/** A recording of the shape's own fleet rules. */
function own(s: ShapeRules, record: string): Selector {
  return selector(record, [eq(SHAPE_LABEL, s.key)]);
}

function byFleet(s: Shape, extra: readonly string[] = []): string[] {
  return [...SERVICE_LABELS, s.versionLabel, ...extra];
}

/** Failed requests per service and version over the raw series (promql/istio.ts errorsFrom, fleet-wide). */
function fleetErrors(services: readonly LabelMatcher[], s: ShapeRules, windowMs: number): Expr {
  const of = (m: readonly LabelMatcher[]) => rate(requestsOf(services, s, m), windowMs);
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
  const slowSet = new Set<number>();
  for (const r of reads) {
    const stage = liveStage(r.model);
    const W = decisionWindowMs(r.model, stage);
    const S = shortWindowMs(r.model, stage);
    for (const w of [...recordedWindowsMs(W, S, scale), W, S, saturationWindowMs(r.model, W)])
      windowsByLabel.set(windowLabel(w), w);
    for (const w of slowWindowsMs(W, S, scale)) slowSet.add(w);
  }
  // Each raw read selects only the services of the rollouts that read what it feeds (the
  // per-rollout rules read a window only for the rollouts that have it, and so must the fleet).
  const derivedRecords = [...used].filter((r) => /_derived:/.test(r));
  const servicesFor = (records: readonly string[]): LabelMatcher[] => {
    const wanted = new Set(records);
    const svcs = reads
      .filter((r) => r.sources.some((x) => wanted.has(x.record)))
      .map((r) => metricsService(r.model.service.host, r.model.namespace, r.model.service.serviceEntry === true));
    const names = (pick: (x: (typeof svcs)[number]) => string) => anyOf([...new Set(svcs.map(pick))].sort());
    return [
      re(
        'destination_service_namespace',
        names((x) => x.namespace),
      ),
      re(
        'destination_service_name',
        names((x) => x.name),
      ),
    ];
  };
  const main: RecordingRule[] = [];
  const slow: RecordingRule[] = [];
  const rule = (record: string, expr: Expr) => ({ record, expr: render(expr), labels: { [SHAPE_LABEL]: s.key } });
  const byMs = (a: string, b: string) => ms(a) - ms(b);
  const requestsBase = fleetName('requests', base);
  const errorsBase = fleetName('errors', base);
  // Raw windows: the request rate, then the ratio over it; the 5xx rate only on the base.
  for (const wl of windows('requests').sort(byMs)) {
    const w = ms(wl);
    const withBase = (records: string[]) => (w === base ? [...records, ...derivedRecords] : records);
    const requestServices = servicesFor(
      withBase([fleetName('requests', w), fleetName('ratio', w), fleetName('uo_ratio', w)]),
    );
    const errorServices = servicesFor(withBase([fleetName('ratio', w)]));
    main.push(rule(fleetName('requests', w), sum(rate(requestsOf(requestServices, s), w), byFleet(s))));
    if (w === base) main.push(rule(errorsBase, fleetErrors(errorServices, s, w)));
    const top = w === base ? own(s, errorsBase) : fleetErrors(errorServices, s, w);
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
  // p99: from the short window's recorded bucket rates (fleet-reads.ts readsOf), one raw read of
  // the histogram per short window for every service that reads a p99 over it.
  const buckets = (w: number, services: readonly LabelMatcher[]) =>
    sum(rate(selector(METRIC_DURATION_BUCKET, [eq('reporter', s.reporter), ...services]), w), byFleet(s, ['le']));
  const fromShort = [...used]
    .map((name) => /^stagegate:fleet_p99_from(.+):rate(.+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ short: m[1]!, window: m[2]! }));
  for (const shortLabel of [...new Set(fromShort.map((x) => x.short))].sort(byMs)) {
    const S = ms(shortLabel);
    const recordedBuckets = fleetName(`buckets`, S);
    const readers = fromShort
      .filter((x) => x.short === shortLabel)
      .map((x) => fleetName(`p99_from${shortLabel}`, ms(x.window)));
    main.push(rule(recordedBuckets, buckets(S, servicesFor(readers))));
    for (const { window } of fromShort.filter((x) => x.short === shortLabel).sort((a, b) => byMs(a.window, b.window))) {
      const w = ms(window);
      const record = fleetName(`p99_from${shortLabel}`, w);
      // A longer window sums only the services that read it: the recording also holds those
      // whose W is S, which read only the p99 on S.
      const over = selector(recordedBuckets, [eq(SHAPE_LABEL, s.key), ...servicesFor([record])]);
      const rates =
        w === S
          ? own(s, recordedBuckets)
          : sum(call('sum_over_time', range(over, derivedRangeMs(w, intervalMs))), byFleet(s, ['le']));
      main.push(rule(record, p99Of(rates)));
    }
  }
  for (const wl of windows('uo_ratio').sort(byMs)) {
    const w = ms(wl);
    const overflow = sum(
      rate(requestsOf(servicesFor([fleetName('uo_ratio', w)]), s, [UPSTREAM_OVERFLOW]), w),
      byFleet(s),
    );
    main.push(rule(fleetName('uo_ratio', w), fleetRatio(s, overflow, own(s, fleetName('requests', w)))));
  }
  // The joins: every rollout that reads a source gets it under its own series' name and labels.
  const joins = new Map<string, Source>();
  for (const r of reads) for (const x of r.sources) joins.set(x.id, x);
  // The role and the rollout's windows (fleet-params.ts FLEET_WINDOW_LABELS) stay on the joined
  // series: fleet-alerts.ts selects by them.
  const keep = [
    ALERT_LABEL_ROLLOUT,
    ALERT_LABEL_NAMESPACE,
    s.versionLabel,
    ROLE_LABEL,
    SHAPE_LABEL,
    ...FLEET_WINDOW_LABELS,
  ];
  for (const x of [...joins.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const readers = selector(ROLLOUT_READS, [eq(SHAPE_LABEL, s.key), re(READS_LABEL, `.*,${anyOf([x.id])},.*`)]);
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

/** Name of the fleet group of a shape (and of its slow group). */
export function fleetGroupName(model: RolloutModel, slow = false): string {
  const s = shapeOf(model);
  return `stagegate.fleet.${shapeKey(s)}${slow ? '.slow' : ''}`;
}

export interface FleetOptions {
  /** Fleet-wide alerts (fleet-alerts.ts), or each rollout's alert-rules.ts alerts in its own group. */
  readonly alerts?: 'per-rollout' | 'fleet';
  /** The fleet groups serve every stage of each rollout (the default), or only its live one. */
  readonly stages?: 'live' | 'all';
}

/**
 * Every rule group of `models` with fleet-wide recordings: one fleet group per shape (and its
 * slow group, fleetSharedGroups), then one group per rollout holding its info series, its p99
 * limit, its user signals' recordings and its alerts (alert-rules.ts, unchanged), or with fleet
 * alerts fleetRolloutGroup. Each rollout's group reads the fleet's joins up to one interval late
 * (Prometheus runs groups at their own offsets), where the per-rollout design reads its own
 * recordings of the same evaluation.
 */
export function fleetRuleGroups(models: readonly RolloutModel[], opts: FleetOptions = {}): RuleGroup[] {
  const own = models.map((m): RuleGroup => {
    if (opts.alerts === 'fleet') return fleetRolloutGroup(m);
    return {
      name: ruleGroupName(m.name),
      interval: promDuration(recordingIntervalMs(m.metrics.timeScale)),
      rules: [readsRule(readsOf(m)), p99LimitRule(m), ...userSignalRecordingRules(m), ...alertRules(m)],
    };
  });
  return [...fleetSharedGroups(models, opts), ...own];
}

/**
 * The fleet groups alone (`stagegate.fleet.<shape>` and its `.slow`), one per metrics shape in
 * the order of `models`: what generated/stagegate-fleet.k8s.yaml holds. Not selected by name
 * prefix: a rollout named `fleet` has the group `stagegate.fleet.alerts`.
 */
export function fleetSharedGroups(models: readonly RolloutModel[], opts: FleetOptions = {}): RuleGroup[] {
  const fleetAlerts = opts.alerts === 'fleet';
  // The fleet groups serve every stage of every rollout (the windows and `for`s of each), so a
  // stage advance changes only the rollout's own info and params series, never the fleet's rules.
  const everyStage = (m: RolloutModel) =>
    opts.stages === 'live' ? [m] : m.stages.map((stage) => ({ ...m, stage: stage.name }));
  const byShape = groupBy(models, (m) => shapeKey(shapeOf(m)));
  const groups: RuleGroup[] = [];
  for (const [key, shaped] of byShape) {
    const first = shaped[0]!;
    const s: ShapeRules = { ...shapeOf(first), key };
    const served = shaped.flatMap(everyStage);
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
  return groups;
}
