import { createHash } from 'node:crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ALERT_LABEL_NAMESPACE, ALERT_LABEL_ROLLOUT } from './conventions.js';
import type { RolloutModel } from './model.js';
import {
  binary,
  eq,
  histogramQuantile,
  istioTarget,
  num,
  rate,
  render,
  requestsSelector,
  selector,
  sum,
  durationBucketSelector,
  errorsExpr,
  type Expr,
  type IstioTarget,
} from './promql/index.js';
import { objectLabels } from './virtual-service.js';
import { describeLimits, userSignalSeriesName, userSignalWindowsMs } from './user-signals.js';

export interface RolloutDashboardProps {
  /** The resolved rollout intent. */
  readonly rollout: RolloutModel;
}

/** Label the Grafana sidecar (`sidecar.dashboards.label`) watches for dashboard ConfigMaps. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

/** Rate window of every panel: the shortest recorded window, so panels and alerts agree. */
const PANEL_RATE_WINDOW_MS = 5 * 60_000;

/** Grafana dashboard JSON model version the panels are written for (Grafana 10/11). */
const SCHEMA_VERSION = 39;

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/**
 * A Grafana dashboard for one rollout, as a ConfigMap the Grafana sidecar picks up: request
 * rate by version, 5xx ratio and p99 latency of canary vs stable with the intent's limits
 * drawn in, and the canary weight as the observed request share (no recording rule records a
 * weight). The JSON is deterministic (fixed key order and panel ids, uid derived from
 * namespace/name) and does not depend on the live stage, so a stage PR leaves it untouched.
 */
export class RolloutDashboard extends Construct {
  public readonly apiObject: ApiObject;
  /** The dashboard JSON model, as written into the ConfigMap. */
  public readonly dashboard: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: RolloutDashboardProps) {
    super(scope, id);
    const model = props.rollout;
    this.dashboard = dashboardModel(model);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: dashboardConfigMapName(model.name),
        namespace: model.namespace,
        labels: { ...objectLabels(model), [GRAFANA_DASHBOARD_LABEL]: '1' },
      },
      data: { [`${model.name}.json`]: `${JSON.stringify(this.dashboard, null, 2)}\n` },
    });
  }
}

export function dashboardConfigMapName(name: string): string {
  return `${name}-stagegate-dashboard`;
}

/**
 * Grafana uids are at most 40 characters of `[A-Za-z0-9_-]`: readable when namespace/name fit,
 * otherwise a prefix plus a hash of both (still stable across runs).
 */
export function dashboardUid(namespace: string, name: string): string {
  const readable = `stagegate-${namespace}-${name}`;
  if (readable.length <= 40) return readable;
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 12);
  return `stagegate-${name.slice(0, 40 - 'stagegate-'.length - hash.length - 1)}-${hash}`;
}

/** The Grafana dashboard JSON model of `model`. */
export function dashboardModel(model: RolloutModel): Record<string, unknown> {
  const t = istioTarget(model);
  const q = dashboardQueries(t);
  const by = t.versionLabel;
  const legend = `{{${by}}}`;
  const { errorRatio, latencyP99Ms } = model.health;

  const panels = [
    panel(1, 'Request rate by version', { x: 0, y: 0 }, 'reqps', [target('A', render(q.requestRate), legend)]),
    panel(
      2,
      '5xx ratio: canary vs stable',
      { x: 12, y: 0 },
      'percentunit',
      [
        target('A', render(q.errorRatio), legend),
        target(
          'B',
          render(binary('*', num(errorRatio.maxVsStable), q.errorRatioOf(model.stable))),
          `limit: ${errorRatio.maxVsStable} × stable`,
        ),
      ],
      errorRatio.max,
    ),
    panel(
      3,
      'p99 latency: canary vs stable',
      { x: 0, y: 8 },
      'ms',
      [
        target('A', render(q.p99), legend),
        target(
          'B',
          render(binary('*', num(latencyP99Ms.maxVsStable), q.p99Of(model.stable))),
          `limit: ${latencyP99Ms.maxVsStable} × stable`,
        ),
      ],
      latencyP99Ms.max,
    ),
    // Observed, not configured: the configured weight would make every stage PR touch this
    // object too, and the VirtualService already says it (one object per stage change).
    panel(4, 'Canary weight (observed request share)', { x: 12, y: 8 }, 'percent', [
      target('A', render(q.canaryShare), 'canary share'),
    ]),
    ...userSignalPanels(model, 5),
  ];

  return {
    annotations: {
      list: [
        {
          datasource: DATASOURCE,
          enable: true,
          expr: render(
            selector('ALERTS', [
              eq('alertstate', 'firing'),
              eq(ALERT_LABEL_ROLLOUT, model.name),
              eq(ALERT_LABEL_NAMESPACE, model.namespace),
            ]),
          ),
          iconColor: 'red',
          name: 'stagegate alerts',
          step: '60s',
          textFormat: '{{stagegate_signal}} → {{stagegate_action}}',
          titleFormat: '{{alertname}}',
          useValueForTime: false,
        },
      ],
    },
    description: `Canary ${model.canary} vs stable ${model.stable} of ${model.service.host}.${model.namespace}; generated by stagegate, edit the intent instead.`,
    editable: false,
    graphTooltip: 1,
    links: [],
    panels,
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    tags: ['stagegate', model.namespace],
    templating: {
      list: [
        {
          current: {},
          hide: 0,
          label: 'Prometheus',
          name: 'datasource',
          query: 'prometheus',
          refresh: 1,
          type: 'datasource',
        },
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timezone: 'utc',
    title: `stagegate: ${model.namespace}/${model.name}`,
    uid: dashboardUid(model.namespace, model.name),
    version: 1,
  };
}

/**
 * One panel per user-defined signal, two per row below the built-in ones: the recorded value of
 * each version on the signal's window (the series the alerts read, so panel and alert agree),
 * with the absolute limit as the threshold line.
 */
function userSignalPanels(model: RolloutModel, firstId: number) {
  const t = istioTarget(model);
  return (model.signals ?? []).map((s, i) => {
    const { windowMs } = userSignalWindowsMs(model, s);
    const series = selector(userSignalSeriesName(s.name, windowMs), [
      eq(ALERT_LABEL_ROLLOUT, model.name),
      eq(ALERT_LABEL_NAMESPACE, model.namespace),
    ]);
    const pos = { x: (i % 2) * 12, y: 16 + Math.floor(i / 2) * 8 };
    const title = `Signal ${s.name} (${s.action} when ${describeLimits(model, s)})`;
    return panel(firstId + i, title, pos, 'short', [target('A', render(series), `{{${t.versionLabel}}}`)], s.limit);
  });
}

/** The expressions behind the panels, on Istio's raw metrics (they work before any recording rule has data). */
export function dashboardQueries(t: IstioTarget) {
  const w = PANEL_RATE_WINDOW_MS;
  const by = [t.versionLabel];
  const requests = sum(rate(requestsSelector(t), w), by);
  const errors = errorsExpr(t, w, by);
  const p99 = histogramQuantile(0.99, sum(rate(durationBucketSelector(t), w), [...by, 'le']));
  const ofVersion = (version: string): Expr[] => [
    errorsExpr(t, w, by, { extra: [eq(t.versionLabel, version)] }),
    sum(rate(requestsSelector(t, [eq(t.versionLabel, version)]), w), by),
  ];
  return {
    requestRate: requests,
    errorRatio: binary('/', errors, requests),
    errorRatioOf: (version: string): Expr => {
      const [top, bottom] = ofVersion(version);
      return binary('/', top!, bottom!);
    },
    p99,
    p99Of: (version: string): Expr => {
      const buckets = durationBucketSelector(t);
      const one = selector(buckets.metric, [...buckets.matchers, eq(t.versionLabel, version)]);
      return histogramQuantile(0.99, sum(rate(one, w), [...by, 'le']));
    },
    canaryShare: binary(
      '*',
      num(100),
      binary(
        '/',
        sum(rate(requestsSelector(t, [eq(t.versionLabel, t.versions.canary)]), w)),
        sum(rate(requestsSelector(t), w)),
      ),
    ),
  };
}

interface Target {
  readonly datasource: typeof DATASOURCE;
  readonly expr: string;
  readonly legendFormat: string;
  readonly refId: string;
}

function target(refId: string, expr: string, legendFormat: string): Target {
  return { datasource: DATASOURCE, expr, legendFormat, refId };
}

function panel(
  id: number,
  title: string,
  pos: { x: number; y: number },
  unit: string,
  targets: Target[],
  limit?: number,
) {
  // The limit is drawn as a red threshold line; without one the panel stays plain green.
  const steps: { color: string; value: number | null }[] = [{ color: 'green', value: null }];
  if (limit !== undefined) steps.push({ color: 'red', value: limit });
  return {
    datasource: DATASOURCE,
    fieldConfig: {
      defaults: {
        custom: {
          drawStyle: 'line',
          lineInterpolation: unit === 'percent' ? 'stepAfter' : 'linear',
          lineWidth: 2,
          showPoints: 'never',
          thresholdsStyle: { mode: limit === undefined ? 'off' : 'line' },
        },
        min: 0,
        thresholds: { mode: 'absolute', steps },
        unit,
      },
      overrides: [],
    },
    gridPos: { h: 8, w: 12, x: pos.x, y: pos.y },
    id,
    options: {
      legend: { calcs: ['lastNotNull', 'max'], displayMode: 'table', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets,
    title,
    type: 'timeseries',
  };
}
