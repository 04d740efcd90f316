/**
 * Spec → model: every default resolved, every duration in milliseconds. Runs only on a
 * document that `validateDocument` accepted, so it trusts types and ranges.
 */
import {
  type ApprovalModel,
  type CohortModel,
  DEFAULT_SIGNAL_ACTION,
  DEFAULT_SIGNAL_MIN_SAMPLES,
  DEFAULTS,
  OUTLIER_DEFAULTS,
  type RolloutModel,
  type SignalModel,
  type StageModel,
  type StringMatchModel,
  type TrafficPolicyModel,
} from '../model.js';
import { stickyCookieName } from '../conventions.js';
import { parseDuration } from '../duration.js';
import { DEFAULT_STICKY_MAX_AGE } from '../istio/sticky.js';
import type {
  AlertsLayout,
  ApprovalSpec,
  CohortSpec,
  RolloutDocument,
  StringMatchSpec,
  TrafficPolicySpec,
} from './types.js';
import { chooseVersionLabel, SUPPORTED_VERSIONS, versionRangeOf } from '../istio/telemetry.js';

/** Drops undefined properties, so models compare and serialize the same however they were built. */
function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));

/** Nested optional sections become undefined when none of their fields is set. */
function section<T extends object>(obj: T | undefined): T | undefined {
  if (obj === undefined) return undefined;
  const c = compact(obj);
  return Object.keys(c).length === 0 ? undefined : c;
}

function trafficPolicy(given: TrafficPolicySpec | undefined): TrafficPolicyModel {
  const p: TrafficPolicySpec = given ?? {};
  // `true` (the schema lets a boolean through) asks for the defaults, like leaving it out.
  const od = (p.outlierDetection as unknown) === true ? undefined : p.outlierDetection;
  const tcp = p.connectionPool?.tcp;
  const http = p.connectionPool?.http;
  return compact({
    timeoutMs: ms(p.timeout),
    retries:
      p.retries &&
      compact({
        attempts: p.retries.attempts,
        perTryTimeoutMs: ms(p.retries.perTryTimeout),
        retryOn: p.retries.retryOn,
      }),
    // Fields left out take OUTLIER_DEFAULTS; `false` is no outlier detection at all.
    outlierDetection:
      od === false
        ? undefined
        : {
            ...OUTLIER_DEFAULTS,
            ...compact({
              consecutive5xxErrors: od?.consecutive5xxErrors,
              consecutiveGatewayErrors: od?.consecutiveGatewayErrors,
              intervalMs: ms(od?.interval),
              baseEjectionTimeMs: ms(od?.baseEjectionTime),
              maxEjectionPercent: od?.maxEjectionPercent,
              minHealthPercent: od?.minHealthPercent,
            }),
          },
    connectionPool: section(
      p.connectionPool && {
        tcp: section(tcp && { maxConnections: tcp.maxConnections, connectTimeoutMs: ms(tcp.connectTimeout) }),
        http: section(
          http && {
            http1MaxPendingRequests: http.http1MaxPendingRequests,
            http2MaxRequests: http.http2MaxRequests,
            maxRequestsPerConnection: http.maxRequestsPerConnection,
            maxRetries: http.maxRetries,
            idleTimeoutMs: ms(http.idleTimeout),
          },
        ),
      },
    ),
  });
}

const stringMatch = (m: StringMatchSpec): StringMatchModel =>
  m.exact !== undefined ? { exact: m.exact } : m.prefix !== undefined ? { prefix: m.prefix } : { regex: m.regex! };

/** The Services an HTTPRoute weighs: the intent's, else `<service short name>-stable` / `-canary`. */
function perVersionServices(spec: RolloutDocument['spec']): { stableService: string; canaryService: string } {
  const short = spec.service.host.split('.')[0]!;
  return {
    stableService: spec.gatewayApi?.stableService ?? `${short}-stable`,
    canaryService: spec.gatewayApi?.canaryService ?? `${short}-canary`,
  };
}

/** Both cohort forms as one list of alternatives: `header` + `values` is one exact match per value. */
function cohort(spec: CohortSpec | undefined): CohortModel | undefined {
  if (!spec) return undefined;
  if (spec.header !== undefined) {
    const header = spec.header;
    return { label: header, match: (spec.values ?? []).map((value) => ({ headers: { [header]: { exact: value } } })) };
  }
  const match = (spec.match ?? []).map((m) =>
    compact({
      headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([name, sm]) => [name, stringMatch(sm)])),
      cookie: m.cookie && { name: m.cookie.name, value: stringMatch(m.cookie) },
      sourceLabels: m.sourceLabels && { ...m.sourceLabels },
    }),
  );
  const names = match.flatMap((m) => [
    ...Object.keys(m.headers),
    ...(m.cookie ? [`cookie ${m.cookie.name}`] : []),
    ...(m.sourceLabels ? ['source labels'] : []),
  ]);
  return { label: [...new Set(names)].join(', '), match };
}

/**
 * The metrics section: the metric version label is the intent's, or the one that follows
 * `versionLabel` on the reporter and Istio releases targeted (validate.ts refused intents with none).
 */
function metrics(doc: RolloutDocument): RolloutModel['metrics'] {
  const m = doc.spec.metrics;
  const reporter = m?.reporter ?? DEFAULTS.metrics.reporter;
  const podLabel = doc.spec.versionLabel ?? DEFAULTS.versionLabel;
  const chosen = chooseVersionLabel(podLabel, reporter, versionRangeOf(doc.spec.istio) ?? SUPPORTED_VERSIONS);
  return compact({
    reporter,
    versionLabel: m?.versionLabel ?? chosen?.metric ?? DEFAULTS.metrics.versionLabel,
    timeScale: m?.timeScale ?? 1,
    protocol: m?.protocol ?? DEFAULTS.metrics.protocol,
    scrapeIntervalMs: ms(m?.scrapeInterval),
  });
}

/** User-defined signals (user-signals.ts); absent when the intent has none, so models without them are unchanged. */
function signals(doc: RolloutDocument): readonly SignalModel[] | undefined {
  const given = doc.spec.signals ?? [];
  if (given.length === 0) return undefined;
  return given.map((s) =>
    compact({
      name: s.name,
      query: s.query,
      bad: s.bad,
      limit: s.limit,
      maxVsStable: s.maxVsStable,
      action: s.action ?? DEFAULT_SIGNAL_ACTION,
      windowMs: ms(s.window),
      minSamples: s.minSamples ?? DEFAULT_SIGNAL_MIN_SAMPLES,
    }),
  );
}

/** A stage's approval: `codeowners` is `{ codeowners: true }`; count defaults to 1. */
function approvalModel(a: ApprovalSpec): ApprovalModel {
  if (a === 'codeowners') return { from: 'codeowners', count: 1 };
  const count = a.count ?? 1;
  return 'teams' in a ? { from: 'teams', teams: [...a.teams], count } : { from: 'codeowners', count };
}

/**
 * The resolved model of `doc`. Call only after `validateDocument(doc)` returned no problems;
 * on anything else the result is undefined behaviour, not an error message. `repo.alertsLayout`
 * is the repository defaults' rule layout (spec/defaults.ts), which no intent sets.
 */
export function toModel(doc: RolloutDocument, repo: { readonly alertsLayout?: AlertsLayout } = {}): RolloutModel {
  const spec = doc.spec;
  // The cohort keeps its canary route while traffic widens: cohort from its first stage on.
  const cohortFrom = spec.stages.findIndex((s) => s.cohort === true);
  const stages: StageModel[] = spec.stages.map((s, i) =>
    compact({
      name: s.name,
      weight: s.weight ?? 0,
      cohort: cohortFrom >= 0 && i >= cohortFrom,
      mirror: s.mirror,
      bakeMs: ms(s.bake),
      clusters: spec.clusters && [...(s.clusters ?? spec.clusters)],
      approval: s.approval === undefined ? undefined : approvalModel(s.approval),
    }),
  );
  const errorRatio = {
    max: spec.health?.errorRatio?.max ?? DEFAULTS.errorRatio.max,
    maxVsStable: spec.health?.errorRatio?.maxVsStable ?? DEFAULTS.errorRatio.maxVsStable,
  };
  return compact({
    name: doc.metadata.name,
    namespace: doc.metadata.namespace ?? DEFAULTS.namespace,
    service: {
      host: spec.service.host,
      port: spec.service.port,
      gateways: [...(spec.service.gateways ?? DEFAULTS.gateways)],
      serviceEntry: spec.service.serviceEntry === true ? true : undefined,
    },
    versionLabel: spec.versionLabel ?? DEFAULTS.versionLabel,
    stable: spec.stable,
    canary: spec.canary,
    cohort: cohort(spec.cohort),
    gatewayApi: spec.router === 'gateway-api' ? perVersionServices(spec) : undefined,
    shadow: spec.shadow && { minRequests: spec.shadow.minRequests ?? DEFAULTS.minRequests },
    sticky: spec.sticky && {
      cookie: spec.sticky.cookie ?? stickyCookieName(doc.metadata.name),
      maxAgeMs: parseDuration(spec.sticky.maxAge ?? DEFAULT_STICKY_MAX_AGE),
    },
    stages,
    stage: spec.stage,
    clusters: spec.clusters && [...spec.clusters],
    onClusterFailure: spec.clusters && (spec.onClusterFailure ?? 'rollout'),
    // `abort:` left empty in YAML is null: not aborted. With clusters, only those roll back.
    abort: spec.abort && !spec.abort.clusters ? { reason: spec.abort.reason, at: spec.abort.at } : undefined,
    clusterAbort: spec.abort?.clusters
      ? { reason: spec.abort.reason, at: spec.abort.at, clusters: [...spec.abort.clusters] }
      : undefined,
    drill:
      spec.drill?.abort || spec.drill?.delay
        ? {
            abort: spec.drill.abort && { ...spec.drill.abort },
            delay: spec.drill.delay && {
              fixedDelayMs: parseDuration(spec.drill.delay.fixedDelay),
              percent: spec.drill.delay.percent,
            },
          }
        : undefined,
    health: {
      errorRatio,
      latencyP99Ms: {
        max: spec.health?.latencyP99Ms?.max ?? DEFAULTS.latencyP99Ms.max,
        maxVsStable: spec.health?.latencyP99Ms?.maxVsStable ?? DEFAULTS.latencyP99Ms.maxVsStable,
      },
      minRequests: spec.health?.minRequests ?? DEFAULTS.minRequests,
      saturation: { max: spec.health?.saturation?.max ?? DEFAULTS.saturation.max },
    },
    trafficPolicy: trafficPolicy(spec.trafficPolicy),
    timebox: {
      stageMs: parseDuration(spec.timebox?.stage ?? DEFAULTS.timebox.stage),
      rolloutMs: parseDuration(spec.timebox?.rollout ?? DEFAULTS.timebox.rollout),
    },
    metrics: metrics(doc),
    traffic: compact({
      requestsPerSecond: spec.traffic?.requestsPerSecond,
      baselineErrorRatio: spec.traffic?.baselineErrorRatio ?? errorRatio.max / DEFAULTS.baselineDivisor,
    }),
    dashboard: spec.dashboard ?? false,
    alerts: {
      labels: { ...spec.alerts?.labels },
      namespace: spec.alerts?.namespace ?? doc.metadata.namespace ?? DEFAULTS.namespace,
      // Set only for fleet, so a per-rollout model is what it was before the layout existed.
      ...(repo.alertsLayout === 'fleet' ? { layout: 'fleet' as const } : {}),
    },
    signals: signals(doc),
    istio: compact({
      apiVersion:
        spec.istio?.apiVersion === 'v1beta1' ? ('networking.istio.io/v1beta1' as const) : DEFAULTS.istioApiVersion,
      versions: versionRangeOf(spec.istio),
    }),
  });
}
