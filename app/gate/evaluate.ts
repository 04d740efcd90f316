/**
 * The health gate of a rollout's live stage: `pass`, `hold` or `fail`, with evidence.
 *
 * It judges with the rollout's *own generated alerts*, so an alert and the gate never disagree:
 * when Prometheus has the rollout's rule group loaded, their states come from `/api/v1/rules`
 * (in the fleet layout, issue 17, from the fleet group's instances labelled with the rollout);
 * otherwise each alert expression is evaluated over its `for` window with a range query, the
 * way Prometheus would. Evidence (requests, error ratios, p99) is queried beside it for people.
 * No data, too little traffic or an unreachable Prometheus is *hold*, never *pass*.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { alertRules, isAlertRule, recordingRules, type AlertRule } from '../../constructs/alert-rules.js';
import {
  ALERT_LABEL_ACTION,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_ROLLOUT,
  ALERT_LABEL_SIGNAL,
  DEFAULT_OUT_DIR,
  FLEET_FILE,
  ruleGroupName,
  type AlertAction,
  type AlertSignal,
} from '../../constructs/conventions.js';
import { decisionWindowMs, minCanaryRequests } from '../../constructs/detectability.js';
import { windowLabels } from '../../constructs/fleet-params.js';
import { fleetGroupName, fleetRuleGroups } from '../../constructs/fleet-rules.js';
import { liveStage, type RolloutModel } from '../../constructs/model.js';
import { call, eq, histogramQuantile, range, rate, render, selector, sum } from '../../constructs/promql/ast.js';
import { durationBucketSelector, errorsExpr, istioTarget, requestsSelector } from '../../constructs/promql/istio.js';
import { parseDuration } from '../../constructs/duration.js';
import { userSignalValueQuery } from '../../constructs/user-signals.js';
import { PrometheusUnavailable, type PrometheusApi, type Sample } from './prometheus-api.js';
import { auditTelemetry, type TelemetryFinding } from './telemetry-audit.js';

export type AlertState = 'firing' | 'pending' | 'inactive';

export interface AlertObservation {
  readonly alert: string;
  readonly signal: AlertSignal;
  readonly action: AlertAction;
  readonly state: AlertState;
  readonly source: 'rules-api' | 'expression';
  readonly summary: string;
}

export interface VersionEvidence {
  readonly requests: number;
  readonly errorRatio?: number;
  readonly p99Ms?: number;
}

export interface Evidence {
  readonly stage: string;
  readonly weight: number;
  readonly canary: VersionEvidence;
  readonly stable: VersionEvidence;
  readonly minRequests: number;
  /** Window the request counts cover: since the stage went live, else the decision window. */
  readonly windowMs: number;
  readonly bakedMs?: number;
  readonly bakeMs?: number;
  /** User-defined signals' recorded values on their window W (README "User-defined signals"). */
  readonly signals?: readonly SignalEvidence[];
}

export interface SignalEvidence {
  readonly name: string;
  readonly canary?: number;
  readonly stable?: number;
}

export type VerdictKind = 'pass' | 'hold' | 'fail';

export interface Verdict {
  readonly rollout: string;
  readonly kind: VerdictKind;
  /** One line for people. */
  readonly summary: string;
  readonly reasons: readonly string[];
  readonly alerts: readonly AlertObservation[];
  readonly evidence?: Evidence;
  /** Healthy so far but the bake window has not ended. */
  readonly baking: boolean;
  readonly at: string;
}

export interface GateInput {
  readonly model: RolloutModel;
  readonly prometheus: Pick<PrometheusApi, 'query' | 'queryRange' | 'alertRules'>;
  readonly now: Date;
  /** When the live stage went live (the commit that made it so). */
  readonly liveSince?: Date;
}

export async function evaluateGate(input: GateInput): Promise<Verdict> {
  // The telemetry audit (telemetry-audit.ts) runs beside the alerts: its findings explain a
  // silent rule set, so they are kept even when the rules turn out not to be loaded.
  const auditing = auditTelemetry(input).catch((err: unknown) => {
    if (err instanceof PrometheusUnavailable) return [];
    throw err;
  });
  try {
    const [alerts, evidence, telemetry] = await Promise.all([observeAlerts(input), gatherEvidence(input), auditing]);
    return decide(input.model, input.now, { alerts, evidence, telemetry });
  } catch (err) {
    if (!(err instanceof PrometheusUnavailable || err instanceof RulesNotLoaded)) throw err;
    return decide(input.model, input.now, { unavailable: err.message, telemetry: await auditing });
  }
}

/** The rollout's recording rules are not in Prometheus, so its alerts cannot be judged. */
export class RulesNotLoaded extends Error {}

export type Observation = (
  | { readonly alerts: readonly AlertObservation[]; readonly evidence: Evidence }
  | { readonly unavailable: string }
) & {
  /** Findings of the telemetry audit: each one holds the stage (never a pass), with its fix. */
  readonly telemetry?: readonly TelemetryFinding[];
};

/** The verdict from what was observed; pure, so every situation is a table row in the tests. */
export function decide(model: RolloutModel, now: Date, obs: Observation): Verdict {
  const base = { rollout: `${model.namespace}/${model.name}`, at: now.toISOString() };
  const telemetry = model.abort ? [] : (obs.telemetry ?? []).map((f) => `telemetry: ${f.message}`);
  if ('unavailable' in obs) {
    const reasons = [obs.unavailable, ...telemetry];
    return {
      ...base,
      kind: 'hold',
      summary: `hold: ${reasons.join('; ')}`,
      reasons,
      alerts: [],
      baking: false,
    };
  }
  const { alerts, evidence } = obs;
  const baking = evidence.bakeMs !== undefined && (evidence.bakedMs ?? 0) < evidence.bakeMs;
  const verdict = (kind: VerdictKind, reasons: string[]): Verdict => ({
    ...base,
    kind,
    reasons,
    alerts,
    evidence,
    baking: kind === 'pass' && baking,
    summary: `${kind}: ${reasons.join('; ')}`,
  });
  const firing = (action: AlertAction) => alerts.filter((a) => a.state === 'firing' && a.action === action);
  if (model.abort) return verdict('hold', [`rollout is aborted (${model.abort.reason}); nothing to judge`]);
  if (firing('rollback').length > 0) return verdict('fail', firing('rollback').map(describeAlert));
  if (telemetry.length > 0) return verdict('hold', [...telemetry, ...firing('hold').map(describeAlert)]);
  if (firing('hold').length > 0) return verdict('hold', firing('hold').map(describeAlert));
  const suspected = alerts.filter((a) => a.state === 'pending' && a.action === 'rollback');
  if (suspected.length > 0)
    return verdict(
      'hold',
      suspected.map((a) => `suspected regression, confirming: ${describeAlert(a)}`),
    );
  if (evidence.canary.requests <= 0) return verdict('hold', ['no canary data']);
  if (evidence.canary.requests < evidence.minRequests) {
    return verdict('hold', [
      `too few canary requests: ${count(evidence.canary.requests)} of ${count(evidence.minRequests)} needed`,
    ]);
  }
  return verdict('pass', [describeEvidence(evidence)]);
}

function describeAlert(a: AlertObservation): string {
  return `${a.signal}: ${a.summary} (${a.alert} ${a.state})`;
}

export function describeEvidence(e: Evidence): string {
  const parts = [`${count(e.canary.requests)} canary requests (min ${count(e.minRequests)})`];
  if (e.canary.errorRatio !== undefined)
    parts.push(
      `5xx canary ${pct(e.canary.errorRatio)} vs stable ${e.stable.errorRatio === undefined ? 'n/a' : pct(e.stable.errorRatio)}`,
    );
  if (e.canary.p99Ms !== undefined)
    parts.push(
      `p99 canary ${ms(e.canary.p99Ms)} vs stable ${e.stable.p99Ms === undefined ? 'n/a' : ms(e.stable.p99Ms)}`,
    );
  for (const s of e.signals ?? []) parts.push(`user:${s.name} canary ${num(s.canary)} vs stable ${num(s.stable)}`);
  if (e.bakeMs !== undefined) parts.push(`baked ${minutes(e.bakedMs ?? 0)} of ${minutes(e.bakeMs)}`);
  return parts.join(', ');
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const ms = (x: number) => `${Math.round(x)} ms`;
const num = (x: number | undefined) => (x === undefined ? 'n/a' : Number(x.toPrecision(4)).toString());
const minutes = (x: number) => (x >= 60_000 ? `${Math.floor(x / 60_000)}m` : `${Math.floor(x / 1000)}s`);

/**
 * The group each alert of alertRules(model) is loaded in, with whether that group serves other
 * rollouts too. Per rollout: all in `stagegate.<name>.alerts`. Fleet layout (issue 17): the
 * built-in alerts in the shape's fleet group, the user signals' and drills' in the rollout's own
 * group, as fleet-rules.ts `fleetRuleGroups` writes them (asked here, so the two never disagree).
 */
function alertHomes(model: RolloutModel): Map<string, { readonly group: string; readonly shared: boolean }> {
  const own = { group: ruleGroupName(model.name), shared: false };
  const homes = new Map(alertRules(model).map((r) => [r.alert, own] as const));
  if (model.alerts?.layout !== 'fleet') return homes;
  const fleet = fleetGroupName(model);
  for (const g of fleetRuleGroups([model], { alerts: 'fleet', stages: 'live' }))
    for (const r of g.rules)
      if (isAlertRule(r) && homes.has(r.alert)) homes.set(r.alert, { group: g.name, shared: g.name === fleet });
  return homes;
}

/**
 * Whether a loaded fleet rule serves the rollout. Each fleet rule selects the rollouts of one
 * window/`for` bucket by the window labels every series it reads carries (constructs/
 * fleet-params.ts `FLEET_WINDOW_LABELS`), so it returns this rollout's series only when every
 * matcher on those labels accepts the rollout's (Prometheus anchors a regex matcher, `^(?:re)$`).
 * A fleet group written before the rollout's windows changed (other stages or traffic, another
 * error budget) has no rule of the name that serves it, and the alert would stay silent there.
 * Anything this cannot read counts as not serving: the gate then evaluates the expressions itself.
 */
function servesRollout(query: string, windows: Readonly<Record<string, string>>): boolean {
  let serves = true;
  parser.parse(query).iterate({
    enter(node) {
      if (!serves) return false;
      if (node.name !== 'UnquotedLabelMatcher') return;
      const text = (n: { from: number; to: number } | null) => (n ? query.slice(n.from, n.to) : '');
      const label = text(node.node.getChild('LabelName'));
      if (!(label in windows)) return false;
      const op = node.node.getChild('MatchOp')?.firstChild?.name;
      const literal = text(node.node.getChild('StringLiteral'));
      const value = windows[label]!;
      try {
        // Prometheus prints a rule's query with Go-quoted strings (%q), which JSON reads for these values.
        const want = JSON.parse(literal.startsWith('"') ? literal : `"${literal.slice(1, -1)}"`) as string;
        const matches =
          op === 'EqlRegex' || op === 'NeqRegex' ? new RegExp(`^(?:${want})$`).test(value) : value === want;
        serves = op === 'Neq' || op === 'NeqRegex' ? !matches : matches;
      } catch {
        serves = false;
      }
      return false;
    },
  });
  return serves;
}

async function observeAlerts(input: GateInput): Promise<AlertObservation[]> {
  const { model } = input;
  const fleet = model.alerts?.layout === 'fleet';
  const rules = alertRules(model);
  const homes = alertHomes(model);
  const loaded = await input.prometheus.alertRules();
  const loadedAs = (rule: AlertRule) => {
    const home = homes.get(rule.alert)!;
    return loaded.filter((r) => r.group === home.group && r.name === rule.alert);
  };
  const windows = fleet ? windowLabels(model) : {};
  const complete = rules.every((rule) =>
    homes.get(rule.alert)!.shared
      ? loadedAs(rule).some((r) => servesRollout(r.query, windows))
      : loadedAs(rule).length > 0,
  );
  // Without the alert groups, the expressions are evaluated here, but they read recorded series:
  // with those missing every alert would be silent, which must not read as healthy. In the fleet
  // layout the series also go missing with every group loaded, when the fleet's rules were
  // written without this rollout (its service is not among those they read), so it is asked then too.
  if (!complete || fleet) {
    const first = recordingRules(model)[0]!;
    const probe = selector(
      first.record,
      Object.entries(first.labels).map(([k, v]) => eq(k, v)),
    );
    if ((await input.prometheus.query(render(probe), input.now)).length === 0) {
      // Under the fleet layout the series come from the shared file (docs/design.md §7, "Fleet layout").
      const files = fleet
        ? `${DEFAULT_OUT_DIR}/${FLEET_FILE} and generated/${model.name}.k8s.yaml`
        : `generated/${model.name}.k8s.yaml`;
      throw new RulesNotLoaded(
        `the rules of ${model.namespace}/${model.name} are not loaded in Prometheus ` +
          `(no ${probe.metric} series); apply the PrometheusRule${fleet ? 's' : ''} in ${files}`,
      );
    }
  }
  const mine = (labels: Readonly<Record<string, string>>) =>
    labels[ALERT_LABEL_ROLLOUT] === model.name && labels[ALERT_LABEL_NAMESPACE] === model.namespace;
  return Promise.all(
    rules.map(async (rule) => {
      const base = {
        alert: rule.alert,
        signal: rule.labels[ALERT_LABEL_SIGNAL],
        action: rule.labels[ALERT_LABEL_ACTION],
        summary: rule.annotations.summary
          .replace(/\s*\{\{[^}]*\}\}\s*/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      };
      if (complete) {
        // A fleet rule serves every rollout of its shape (and several rules share a name, one per
        // window/`for` bucket), so its own state is any rollout's: this rollout's is the strongest
        // of the instances labelled with it (constructs/fleet-alerts.ts: the rollout and namespace
        // come from the series), over every rule of the name.
        const state = homes.get(rule.alert)!.shared
          ? loadedAs(rule).flatMap((r) => r.alerts.filter((a) => mine(a.labels)).map((a) => a.state))
          : loadedAs(rule).map((r) => r.state);
        return { ...base, source: 'rules-api' as const, state: strongest(state) };
      }
      return { ...base, source: 'expression' as const, state: await evaluateExpression(input, rule) };
    }),
  );
}

function strongest(states: readonly AlertState[]): AlertState {
  return states.includes('firing') ? 'firing' : states.includes('pending') ? 'pending' : 'inactive';
}

/** What Prometheus would say of `rule` now: firing when the expression held at every evaluation of its `for` window. */
async function evaluateExpression(input: GateInput, rule: AlertRule): Promise<AlertState> {
  const forMs = rule.for ? parseDuration(rule.for) : 0;
  if (forMs === 0) return (await input.prometheus.query(rule.expr, input.now)).length > 0 ? 'firing' : 'inactive';
  const stepSeconds = Math.max(1, Math.min(60, Math.floor(forMs / 5000)));
  const start = new Date(input.now.getTime() - forMs);
  const series = await input.prometheus.queryRange(rule.expr, start, input.now, stepSeconds);
  const expected = Math.floor(forMs / 1000 / stepSeconds) + 1;
  const nowSeconds = input.now.getTime() / 1000;
  const activeNow = series.some((s) => s.points.some(([t]) => Math.abs(t - nowSeconds) < stepSeconds / 2));
  if (!activeNow) return 'inactive';
  return series.some((s) => s.points.length >= expected) ? 'firing' : 'pending';
}

async function gatherEvidence(input: GateInput): Promise<Evidence> {
  const { model, now, liveSince } = input;
  const stage = liveStage(model);
  const t = istioTarget(model);
  const decisionMs = decisionWindowMs(model, stage);
  const bakedMs = liveSince ? Math.max(0, now.getTime() - liveSince.getTime()) : undefined;
  const windowMs = Math.max(60_000, Math.round((bakedMs ?? decisionMs) / 1000) * 1000);
  const by = [t.versionLabel];
  const [requests, errors, p99] = await Promise.all([
    input.prometheus.query(render(sum(call('increase', range(requestsSelector(t), windowMs)), by)), now),
    input.prometheus.query(render(errorsExpr(t, windowMs, by, { fn: 'increase' })), now),
    input.prometheus.query(
      render(
        histogramQuantile(0.99, sum(rate(durationBucketSelector(t), Math.min(windowMs, decisionMs)), [...by, 'le'])),
      ),
      now,
    ),
  ]);
  const signals = await Promise.all(
    (model.signals ?? []).map(async (s): Promise<SignalEvidence> => {
      const [c, st] = await Promise.all(
        (['canary', 'stable'] as const).map(async (role) => {
          const v = (await input.prometheus.query(userSignalValueQuery(model, s, role), now))[0]?.value;
          return v !== undefined && Number.isFinite(v) ? v : undefined;
        }),
      );
      return { name: s.name, ...(c !== undefined ? { canary: c } : {}), ...(st !== undefined ? { stable: st } : {}) };
    }),
  );
  const version = (value: string): VersionEvidence => {
    const of = (samples: Sample[]) => samples.find((s) => s.labels[t.versionLabel] === value)?.value;
    const req = of(requests) ?? 0;
    const err = of(errors) ?? 0;
    const q = of(p99);
    return {
      requests: req,
      ...(req > 0 ? { errorRatio: err / req } : {}),
      ...(q !== undefined && Number.isFinite(q) ? { p99Ms: q } : {}),
    };
  };
  return {
    stage: stage.name,
    weight: stage.weight,
    canary: version(model.canary),
    stable: version(model.stable),
    minRequests: minCanaryRequests(model),
    windowMs,
    ...(bakedMs !== undefined ? { bakedMs } : {}),
    ...(stage.bakeMs !== undefined ? { bakeMs: stage.bakeMs } : {}),
    ...(signals.length > 0 ? { signals } : {}),
  };
}
