/**
 * The user-facing rollout intent, `stagegate.dev/v1alpha1` (docs/design.md §1), exactly as written
 * in `rollouts/*.yaml`. The TypeScript construct takes the same field names.
 * Durations are Go-style strings ("30m", "1h30m", "500ms").
 *
 * This is the *spec*; constructs work on the resolved {@link RolloutModel} in `../model.ts`.
 */

export interface RolloutDocument {
  readonly apiVersion: 'stagegate.dev/v1alpha1';
  readonly kind: 'Rollout';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: RolloutSpec;
}

export interface RolloutSpec {
  /** The Kubernetes Service that both versions sit behind. */
  readonly service: ServiceSpec;
  /** Pod label that tells versions apart. @default "version" */
  readonly versionLabel?: string;
  /** Value of `versionLabel` on stable pods. */
  readonly stable: string;
  /** Value of `versionLabel` on canary pods. */
  readonly canary: string;
  /** Who goes first: requests carrying one of these header values. Required by a cohort stage. */
  readonly cohort?: CohortSpec;
  /** Keep each user on the version they first got, with a cookie (Flagger's session affinity). @default none */
  readonly sticky?: StickySpec;
  /** Required by a shadow stage (one with `mirror`): that the service is safe to get requests twice. */
  readonly shadow?: ShadowSpec;
  /** Which routing API the rollout compiles to: an Istio VirtualService, or a Gateway API HTTPRoute. @default "istio" */
  readonly router?: 'istio' | 'gateway-api';
  /** With router gateway-api: the per-version Services the HTTPRoute weighs (Gateway API has no subsets). */
  readonly gatewayApi?: GatewayApiSpec;
  /** Ordered stages; names unique, weights non-decreasing. */
  readonly stages: readonly StageSpec[];
  /** The live stage; the bot edits only this field and `abort`. */
  readonly stage: string;
  /** Set by a rollback PR: all traffic back to stable. */
  readonly abort?: AbortSpec;
  /** A rollback rehearsal (`stagegate drill`): an Istio fault on the cohort route. */
  readonly drill?: DrillSpec;
  /** Health limits that decide pass / hold / fail. */
  readonly health?: HealthSpec;
  /** Retries, timeouts, outlier detection, connection pool. All optional. */
  readonly trafficPolicy?: TrafficPolicySpec;
  /** Longest a stage / the whole rollout may take before it is marked stalled. @default {stage: 24h, rollout: 7d} */
  readonly timebox?: { readonly stage?: string; readonly rollout?: string };
  /** (stagegate extension) Which Istio metrics tell the versions apart. */
  readonly metrics?: MetricsSpec;
  /** (stagegate extension) Expected traffic, used by the detectability analysis (`plan`, `minRequests: auto`). */
  readonly traffic?: TrafficSpec;
  /** (stagegate extension) Also emit a Grafana dashboard ConfigMap. @default false */
  readonly dashboard?: boolean;
  /** (stagegate extension) Metadata of the PrometheusRule, for the Prometheus Operator's selectors. */
  readonly alerts?: AlertsSpec;
  /** (stagegate extension) The Istio the generated objects are written for. */
  readonly istio?: IstioSpec;
  /** (stagegate extension) Clusters the rollout runs in, DNS labels; output goes to generated/<cluster>/. @default none (one cluster, generated/) */
  readonly clusters?: readonly string[];
  /**
   * (stagegate extension) What a red cluster of a wave rolls back: the whole rollout, or that
   * cluster alone while the others go on (README "Waves across clusters"). @default "rollout"
   */
  readonly onClusterFailure?: 'rollout' | 'cluster';
  /** (stagegate extension) Health signals over the team's own metrics (README "User-defined signals"). @default [] */
  readonly signals?: readonly SignalSpec[];
}

/** A user-defined health signal, judged canary vs stable like the built-in ones (docs/design.md §7). */
export interface SignalSpec {
  /** Unique within the rollout; DNS-1123 label (it becomes part of alert and series names). */
  readonly name: string;
  /**
   * PromQL template, filled once per version: `$version` (required), `$service`, `$namespace`,
   * `$window`, `$weight` (constructs/promql/signal-template.ts). Several result series: the worst is judged.
   */
  readonly query: string;
  /** Which direction is a regression. */
  readonly bad: 'higher' | 'lower';
  /** Absolute limit: canary above it (bad: higher) or below it (bad: lower). At least one of limit / maxVsStable. */
  readonly limit?: number;
  /** Ratio to stable, ≥ 1: canary above maxVsStable × stable (higher) or below stable / maxVsStable (lower). */
  readonly maxVsStable?: number;
  /** What a regression does. @default "rollback" */
  readonly action?: 'rollback' | 'hold';
  /** Window the signal is judged on. @default the stage's decision window (detectability.ts) */
  readonly window?: string;
  /** Evaluations of the canary's recorded value needed in the window before a verdict. @default 3 */
  readonly minSamples?: number;
}

export interface AlertsSpec {
  /**
   * Extra labels on the PrometheusRule, e.g. `{ release: kube-prometheus-stack }` for a
   * Prometheus whose `ruleSelector` asks for it; merged over the repository defaults.
   * @default {} (only app.kubernetes.io/managed-by and stagegate.dev/rollout)
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** Namespace of the PrometheusRule. @default the rollout's namespace */
  readonly namespace?: string;
}

/**
 * How the rules are laid out across PrometheusRules (docs/design.md §7, "Fleet layout (opt-in)"):
 * `per-rollout`, each rollout's recordings and alerts in its own; `fleet`, the recordings and
 * alerts shared by every rollout in one PrometheusRule `stagegate-fleet` (generated/stagegate-fleet.k8s.yaml)
 * and only each rollout's own series and user signals in its own.
 */
export type AlertsLayout = 'per-rollout' | 'fleet';

/** `alerts` of the repository defaults: an intent's fields, and the layout, which only they may set. */
export interface DefaultsAlertsSpec extends AlertsSpec {
  /** Repository-wide: refused in an intent. `fleet` needs `namespace`, the shared PrometheusRule's. @default "per-rollout" */
  readonly layout?: AlertsLayout;
}

export interface IstioSpec {
  /**
   * Version of networking.istio.io for the VirtualService and DestinationRule: v1 (served from
   * Istio 1.22, stored from 1.27) or v1beta1 (served by every Istio from 1.20). @default "v1"
   */
  readonly apiVersion?: 'v1' | 'v1beta1';
  /** Oldest Istio release the rollout targets, "1.N" (constructs/istio/telemetry.ts). @default "1.22" */
  readonly minVersion?: string;
  /** Newest Istio release the rollout targets, "1.N". @default none (every later release) */
  readonly maxVersion?: string;
}

export interface ServiceSpec {
  /**
   * Kubernetes Service short name (resolved in the rollout's namespace) or full name
   * `name.namespace.svc.cluster.local`; with `serviceEntry`, a ServiceEntry host used literally.
   * `name.namespace` is refused: Istio keeps dotted names literally (constructs/istio/hosts.ts).
   */
  readonly host: string;
  /** The host is a ServiceEntry host (used literally; metrics name it verbatim). @default false */
  readonly serviceEntry?: boolean;
  /** Service port, 1–65535. */
  readonly port: number;
  /** Gateways the VirtualService binds to. @default ["mesh"] */
  readonly gateways?: readonly string[];
}

export interface GatewayApiSpec {
  /** Service selecting only stable pods, in the rollout's namespace. @default "<service>-stable" */
  readonly stableService?: string;
  /** Service selecting only canary pods. @default "<service>-canary" */
  readonly canaryService?: string;
}

export interface ShadowSpec {
  /**
   * The service tolerates duplicated requests: a shadow stage sends a copy of real requests,
   * writes included, to canary (idempotent handlers, or a canary that writes to a sandbox). Must be true.
   */
  readonly duplicatesSafe: boolean;
  /** Mirrored requests needed for a verdict in a shadow stage; "auto" = detectability analysis. @default "auto" */
  readonly minRequests?: 'auto' | number;
}

export interface StickySpec {
  /** Cookie name (an RFC 6265 token). @default "stagegate-<rollout name>" */
  readonly cookie?: string;
  /** How long a canary user stays on canary, whole seconds. @default "24h" */
  readonly maxAge?: string;
}

export interface CohortSpec {
  /** Request header to match; lowercase (Istio matches lowercase keys). With `values`; or write `match`. */
  readonly header?: string;
  /** Exact header values that put a request in the cohort. With `header`. */
  readonly values?: readonly string[];
  /**
   * Alternatives (OR), each a set of conditions that must all hold (AND): Istio's HTTPMatchRequest
   * list. Instead of `header` + `values`.
   */
  readonly match?: readonly CohortMatchSpec[];
}

/** One alternative of a cohort: every condition given must hold. At least one condition. */
export interface CohortMatchSpec {
  /** Request headers (lowercase names) and how each must match. */
  readonly headers?: Readonly<Record<string, StringMatchSpec>>;
  /** One cookie and how its value must match (compiled to a regex on the `cookie` header). */
  readonly cookie?: CookieMatchSpec;
  /** Labels of the calling workload (sidecar callers only: needs the `mesh` gateway). */
  readonly sourceLabels?: Readonly<Record<string, string>>;
}

/** Istio's StringMatch: exactly one of exact, prefix, regex (RE2). */
export interface StringMatchSpec {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

export interface CookieMatchSpec extends StringMatchSpec {
  /** Cookie name (an RFC 6265 token). */
  readonly name: string;
}

export interface StageSpec {
  /** Unique within the rollout; DNS-1123 label (it becomes part of a branch name). */
  readonly name: string;
  /** Percent of non-cohort traffic sent to canary, 0–100. @default 0 for a cohort stage */
  readonly weight?: number;
  /**
   * Shadow stage: mirror this percent of stable's requests to canary (Istio mirrorPercentage);
   * users get stable's answers. Weight 0, before any cohort stage. @default none
   */
  readonly mirror?: number;
  /** Route the cohort header to canary from this stage on. @default false */
  readonly cohort?: boolean;
  /** How long the stage must stay healthy before the next one. Required on every stage but the last. */
  readonly bake?: string;
  /** (stagegate extension) Clusters this stage reaches at its weight (a wave only widens). @default every cluster of spec.clusters */
  readonly clusters?: readonly string[];
  /**
   * (stagegate extension) People in the loop: the stage PR merges only after an approving review
   * on its head commit from a code owner of the intent file or a member of a named team.
   * @default none (only the branch rules' own review count)
   */
  readonly approval?: ApprovalSpec;
}

/** `codeowners`, `{ codeowners: true, count }` or `{ teams: [org/slug, …], count }`; count @default 1. */
export type ApprovalSpec =
  | 'codeowners'
  | { readonly codeowners: true; readonly count?: number }
  | { readonly teams: readonly string[]; readonly count?: number };

/** Istio HTTPFaultInjection on the cohort route; percent is of the route's requests. */
export interface DrillSpec {
  readonly abort?: { readonly httpStatus: number; readonly percent: number };
  readonly delay?: { readonly fixedDelay: string; readonly percent: number };
}

export interface AbortSpec {
  readonly reason: string;
  /** RFC 3339 timestamp. */
  readonly at: string;
  /**
   * (stagegate extension) Only these clusters of a wave are rolled back (onClusterFailure:
   * cluster); the others go on. @default every cluster: the whole rollout
   */
  readonly clusters?: readonly string[];
}

export interface HealthSpec {
  /** Share of 5xx responses. Both limits must hold. @default {max: 0.01, maxVsStable: 2} */
  readonly errorRatio?: { readonly max?: number; readonly maxVsStable?: number };
  /** p99 latency in ms. Both limits must hold. @default {max: 500, maxVsStable: 1.5} */
  readonly latencyP99Ms?: { readonly max?: number; readonly maxVsStable?: number };
  /** Canary requests needed before a verdict; "auto" = from the detectability analysis. @default "auto" */
  readonly minRequests?: 'auto' | number;
  /** (stagegate extension) Share of canary requests Envoy rejects for overload (response flag UO). @default {max: 0.01} */
  readonly saturation?: { readonly max?: number };
}

export interface TrafficPolicySpec {
  /** Per-request timeout on the routes. @default none (Istio: disabled) */
  readonly timeout?: string;
  readonly retries?: {
    readonly attempts: number;
    readonly perTryTimeout?: string;
    readonly retryOn?: string;
  };
  /**
   * Ejection of failing pods, per subset. `false`: none. Fields left out take stagegate's
   * defaults (model.ts OUTLIER_DEFAULTS: Envoy's own values written out, plus minHealthPercent 50).
   * @default { consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 10, minHealthPercent: 50 }
   */
  readonly outlierDetection?:
    | false
    | {
        readonly consecutive5xxErrors?: number;
        readonly consecutiveGatewayErrors?: number;
        readonly interval?: string;
        readonly baseEjectionTime?: string;
        /** 1–100; 0 is refused (Istio drops it and Envoy ejects up to 10 %). */
        readonly maxEjectionPercent?: number;
        /** Below this share of healthy pods Envoy ignores ejection (panic mode); Istio's default is 0. */
        readonly minHealthPercent?: number;
      };
  readonly connectionPool?: {
    readonly tcp?: { readonly maxConnections?: number; readonly connectTimeout?: string };
    readonly http?: {
      readonly http1MaxPendingRequests?: number;
      readonly http2MaxRequests?: number;
      readonly maxRequestsPerConnection?: number;
      readonly maxRetries?: number;
      readonly idleTimeout?: string;
    };
  };
}

export interface MetricsSpec {
  /**
   * Which proxy's metrics: "destination" (the server's sidecar), "source" (the client's sidecar;
   * requests no pod answered — UH, UO, connect failures — carry destination_version "unknown" and
   * count for neither version), or "waypoint" (ambient mesh). @default "destination"
   */
  readonly reporter?: 'destination' | 'source' | 'waypoint';
  /**
   * Istio metric label carrying the version. @default the one that follows `versionLabel` on the
   * reporter and Istio releases targeted (constructs/istio/telemetry.ts `chooseVersionLabel`)
   */
  readonly versionLabel?: 'destination_version' | 'destination_canonical_revision';
  /** Prometheus' scrape interval of the Istio metrics, at most 2m. @default 30s (divided by timeScale) */
  readonly scrapeInterval?: string;
  /**
   * Divide every alert window and `for` by this (5m → 5s at 60). For demos and tests that must
   * show minutes of behaviour in seconds; production intents leave it at 1. @default 1
   */
  readonly timeScale?: number;
  /**
   * What the service speaks, which decides what an error is. "http": 5xx responses. "grpc":
   * 5xx plus calls answered HTTP 200 with a server-side gRPC status (2 UNKNOWN, 4
   * DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED, 13 INTERNAL, 14 UNAVAILABLE, 15 DATA_LOSS); client
   * statuses such as 3 INVALID_ARGUMENT or 5 NOT_FOUND are not counted. @default "http"
   */
  readonly protocol?: 'http' | 'grpc';
}

export interface TrafficSpec {
  /** Requests per second the whole service receives (stable + canary). */
  readonly requestsPerSecond?: number;
  /** Error ratio the stable version normally shows. @default health.errorRatio.max / 10 */
  readonly baselineErrorRatio?: number;
}
