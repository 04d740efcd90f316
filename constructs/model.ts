/**
 * The internal model: a validated intent with every default resolved and every duration in
 * milliseconds. Parsing (spec → model) happens once, in `spec/`; everything downstream —
 * constructs, PromQL, detectability, the bot — reads only this.
 */

import { ISTIO_API_VERSION } from './conventions.js';

export interface RolloutModel {
  readonly name: string;
  readonly namespace: string;
  readonly service: {
    readonly host: string;
    readonly port: number;
    readonly gateways: readonly string[];
    /** A ServiceEntry host, used literally (constructs/istio/hosts.ts). Absent: a Kubernetes Service. */
    readonly serviceEntry?: true;
  };
  readonly versionLabel: string;
  readonly stable: string;
  readonly canary: string;
  readonly cohort?: CohortModel;
  /** Router gateway-api (http-route.ts): the per-version Services; absent: an Istio VirtualService. */
  readonly gatewayApi?: { readonly stableService: string; readonly canaryService: string };
  /** Shadow stages' own minimum sample (a stage with `mirror`); absent: no shadow stage. */
  readonly shadow?: { readonly minRequests: 'auto' | number };
  /** Sticky canary (istio/sticky.ts); absent: per-request weights. */
  readonly sticky?: { readonly cookie: string; readonly maxAgeMs: number };
  readonly stages: readonly StageModel[];
  /** Name of the live stage. */
  readonly stage: string;
  /** Clusters the rollout runs in (spec.clusters); absent for a one-cluster intent. */
  readonly clusters?: readonly string[];
  /** The whole rollout rolled back (spec.abort without clusters): every cluster on stable. */
  readonly abort?: { readonly reason: string; readonly at: string };
  /** What a red cluster of a wave rolls back (spec.onClusterFailure); absent for one cluster. @default "rollout" */
  readonly onClusterFailure?: 'rollout' | 'cluster';
  /**
   * Clusters of a wave rolled back alone (spec.abort with clusters): each is on stable and out of
   * later stages until a retry; the others go on (constructs/clusters.ts). Never set with `abort`.
   */
  readonly clusterAbort?: { readonly reason: string; readonly at: string; readonly clusters: readonly string[] };
  /** A rehearsal's fault on the cohort route (spec.drill); gone with the route once aborted. */
  readonly drill?: {
    readonly abort?: { readonly httpStatus: number; readonly percent: number };
    readonly delay?: { readonly fixedDelayMs: number; readonly percent: number };
  };
  readonly health: HealthModel;
  readonly trafficPolicy: TrafficPolicyModel;
  readonly timebox: { readonly stageMs: number; readonly rolloutMs: number };
  readonly metrics: {
    readonly reporter: 'destination' | 'source' | 'waypoint';
    /** Given, or chosen from versionLabel + reporter + Istio releases (constructs/istio/telemetry.ts). */
    readonly versionLabel: 'destination_version' | 'destination_canonical_revision';
    /** Prometheus' scrape interval (real time). Absent: 30 s divided by timeScale (promql/windows.ts). */
    readonly scrapeIntervalMs?: number;
    /** Alert windows and `for` are divided by this (1 in production; the demo compresses time). */
    readonly timeScale: number;
    /** grpc also counts server-side gRPC statuses on HTTP 200 as errors (promql/istio.ts). */
    readonly protocol: 'http' | 'grpc';
  };
  readonly traffic: {
    /** Undefined when the intent does not say; `plan` then needs `--rps`. */
    readonly requestsPerSecond?: number;
    readonly baselineErrorRatio: number;
  };
  readonly dashboard: boolean;
  /** PrometheusRule metadata: extra labels (intent over repository defaults) and its namespace; toModel sets it. */
  readonly alerts?: {
    readonly labels: Readonly<Record<string, string>>;
    readonly namespace: string;
    /**
     * The repository's rule layout (rollouts/_defaults.yaml `alerts.layout`, docs/design.md §7):
     * `fleet`, the PrometheusRule holds only the rollout's own group (fleet-reads.ts
     * fleetRolloutGroup) and the shared rules are in stagegate-fleet. Absent: per-rollout.
     */
    readonly layout?: 'per-rollout' | 'fleet';
  };
  /** User-defined health signals (user-signals.ts); empty when the intent has none. */
  readonly signals?: readonly SignalModel[];
  readonly istio?: {
    /** apiVersion of the VirtualService and DestinationRule. */
    readonly apiVersion: 'networking.istio.io/v1' | 'networking.istio.io/v1beta1';
    /** Istio releases targeted, minor numbers of 1.x; absent: the supported ones, 1.22+ (istio/telemetry.ts). */
    readonly versions?: { readonly min: number; readonly max?: number };
  };
}

/** Who goes first: alternatives (OR) of conditions (AND), Istio's HTTPMatchRequest list (docs/design.md §1). */
export interface CohortModel {
  /** How messages and PR titles name the cohort: the header of the short form, else the conditions' names. */
  readonly label: string;
  readonly match: readonly CohortMatchModel[];
}

export interface CohortMatchModel {
  readonly headers: Readonly<Record<string, StringMatchModel>>;
  readonly cookie?: { readonly name: string; readonly value: StringMatchModel };
  readonly sourceLabels?: Readonly<Record<string, string>>;
}

/** Exactly one field set (Istio's StringMatch oneof). */
export type StringMatchModel = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

/** A user-defined health signal, resolved (spec/types.ts SignalSpec). */
export interface SignalModel {
  readonly name: string;
  readonly query: string;
  readonly bad: 'higher' | 'lower';
  readonly limit?: number;
  readonly maxVsStable?: number;
  readonly action: 'rollback' | 'hold';
  /** Absent: the stage's decision window. */
  readonly windowMs?: number;
  readonly minSamples: number;
}

export interface StageModel {
  readonly name: string;
  /** Percent of non-cohort traffic to canary. */
  readonly weight: number;
  /** Shadow stage: percent of stable's requests mirrored to canary (weight is then 0). */
  readonly mirror?: number;
  /** True when the cohort header routes to canary in this stage (set from the first cohort stage on). */
  readonly cohort: boolean;
  /** Undefined only on the last stage. */
  readonly bakeMs?: number;
  /** Clusters this stage reaches (every one of the rollout's when the stage names none); absent without clusters. */
  readonly clusters?: readonly string[];
  /** People in the loop: whose approving review on the stage PR's head it needs (README "People in the loop"). */
  readonly approval?: ApprovalModel;
}

/** Approvals a stage PR needs beyond the branch rules: from code owners of the intent file, or team members. */
export type ApprovalModel =
  | { readonly from: 'codeowners'; readonly count: number }
  | { readonly from: 'teams'; readonly teams: readonly string[]; readonly count: number };

export interface HealthModel {
  readonly errorRatio: { readonly max: number; readonly maxVsStable: number };
  readonly latencyP99Ms: { readonly max: number; readonly maxVsStable: number };
  readonly minRequests: 'auto' | number;
  readonly saturation: { readonly max: number };
}

export interface TrafficPolicyModel {
  readonly timeoutMs?: number;
  readonly retries?: {
    readonly attempts: number;
    readonly perTryTimeoutMs?: number;
    readonly retryOn?: string;
  };
  /** Undefined only when the intent says `outlierDetection: false`. */
  readonly outlierDetection?: {
    readonly consecutive5xxErrors?: number;
    readonly consecutiveGatewayErrors?: number;
    readonly intervalMs?: number;
    readonly baseEjectionTimeMs?: number;
    readonly maxEjectionPercent?: number;
    readonly minHealthPercent?: number;
  };
  readonly connectionPool?: {
    readonly tcp?: { readonly maxConnections?: number; readonly connectTimeoutMs?: number };
    readonly http?: {
      readonly http1MaxPendingRequests?: number;
      readonly http2MaxRequests?: number;
      readonly maxRequestsPerConnection?: number;
      readonly maxRetries?: number;
      readonly idleTimeoutMs?: number;
    };
  };
}

/** Defaults, documented in the README's intent reference. */
export const DEFAULTS = {
  namespace: 'default',
  gateways: ['mesh'] as readonly string[],
  versionLabel: 'version',
  errorRatio: { max: 0.01, maxVsStable: 2 },
  latencyP99Ms: { max: 500, maxVsStable: 1.5 },
  minRequests: 'auto' as const,
  saturation: { max: 0.01 },
  timebox: { stage: '24h', rollout: '7d' },
  metrics: {
    reporter: 'destination' as const,
    versionLabel: 'destination_version' as const,
    protocol: 'http' as const,
  },
  /** baselineErrorRatio = errorRatio.max / this. */
  baselineDivisor: 10,
  istioApiVersion: ISTIO_API_VERSION,
} as const;

/** Defaults of a user-defined signal (README "User-defined signals"). */
export const DEFAULT_SIGNAL_ACTION = 'rollback' as const;
export const DEFAULT_SIGNAL_MIN_SAMPLES = 3;

/**
 * The outlier detection of an intent that says nothing else (README "Traffic policy"). The first
 * four are the values Envoy uses when Istio passes nothing (pilot applyOutlierDetection copies
 * only what is set; Envoy outlier_detection.proto: consecutive_5xx 5, interval 10s,
 * base_ejection_time 30s, max_ejection_percent 10), written out so the DestinationRule says what
 * runs. minHealthPercent 50 is Envoy's own healthy_panic_threshold default, which Istio turns
 * to 0: below half the pods of a subset healthy, Envoy sends to all of them again, so ejecting a
 * lone canary pod cannot hide its errors from the gate (its requests would otherwise end as UH
 * 503s that no version's metrics count, README "Traffic policy").
 */
export const OUTLIER_DEFAULTS = {
  consecutive5xxErrors: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  minHealthPercent: 50,
} as const;

/** The live stage of `model`. */
export function liveStage(model: RolloutModel): StageModel {
  const stage = model.stages.find((s) => s.name === model.stage);
  if (!stage)
    throw new Error(`rollout ${model.namespace}/${model.name}: live stage "${model.stage}" is not among its stages`);
  return stage;
}

/** Index of the live stage in `model.stages`. */
export function liveStageIndex(model: RolloutModel): number {
  return model.stages.findIndex((s) => s.name === model.stage);
}

/** The stage after the live one, or undefined at the last stage. */
export function nextStage(model: RolloutModel): StageModel | undefined {
  return model.stages[liveStageIndex(model) + 1];
}

/**
 * What the routes say right now: the canary weight of the default route and whether the cohort
 * route exists. An aborted rollout sends everything to stable.
 */
export function effectiveRouting(model: RolloutModel): {
  readonly canaryWeight: number;
  readonly cohortRoute: boolean;
  /** Percent of stable's requests mirrored to canary (a shadow stage); 0 otherwise. */
  readonly mirrorPercent: number;
} {
  if (model.abort) return { canaryWeight: 0, cohortRoute: false, mirrorPercent: 0 };
  const stage = liveStage(model);
  return {
    canaryWeight: stage.weight,
    cohortRoute: stage.cohort && model.cohort !== undefined,
    mirrorPercent: stage.mirror ?? 0,
  };
}
