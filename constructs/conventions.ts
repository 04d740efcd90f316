/**
 * Every name other tools rely on lives here: API groups, labels, metrics, rule groups,
 * check runs, branches and PR labels. Changing one of these is a breaking change.
 */

export const INTENT_API_VERSION = 'stagegate.dev/v1alpha1';
export const INTENT_KIND = 'Rollout';

/** The VirtualService / DestinationRule apiVersion by default; v1beta1 by intent option (`istio.apiVersion`). */
export const ISTIO_API_VERSION = 'networking.istio.io/v1';
export const ISTIO_API_VERSION_V1BETA1 = 'networking.istio.io/v1beta1';
export const PROMETHEUS_RULE_API_VERSION = 'monitoring.coreos.com/v1';

/** Subset names in the DestinationRule and route destinations. */
export const SUBSET_STABLE = 'stable';
export const SUBSET_CANARY = 'canary';

/** Labels every generated object carries. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'stagegate';
export const LABEL_ROLLOUT = 'stagegate.dev/rollout';
export const LABEL_STAGE = 'stagegate.dev/stage';

/** Labels every generated alert carries (docs/design.md §2). */
export const ALERT_LABEL_ROLLOUT = 'stagegate_rollout';
export const ALERT_LABEL_SIGNAL = 'stagegate_signal';
export const ALERT_LABEL_ACTION = 'stagegate_action';
export const ALERT_LABEL_SEVERITY = 'severity';

/** (stagegate extension) Rollout namespace on recorded series and alerts: names repeat across namespaces. */
export const ALERT_LABEL_NAMESPACE = 'stagegate_namespace';

export type BuiltinSignal = 'errors' | 'latency' | 'saturation' | 'traffic';
/** `stagegate_signal` of a user-defined signal: `user:<name>`, so it never collides with a built-in one. */
export type UserSignal = `user:${string}`;
/**
 * `stagegate_signal` of a drill's own alert (constructs/drill-alert.ts): the injected fault itself,
 * apart from every signal a real regression trips, so a report tells a rehearsal from an incident.
 */
export type DrillSignal = 'drill:fault';
export const DRILL_SIGNAL: DrillSignal = 'drill:fault';
export type AlertSignal = BuiltinSignal | UserSignal | DrillSignal;
export const userSignalLabel = (name: string): UserSignal => `user:${name}`;
export type AlertAction = 'rollback' | 'hold';
export type AlertSeverity = 'critical' | 'warning';

/** Istio standard metrics. */
export const METRIC_REQUESTS = 'istio_requests_total';
export const METRIC_DURATION_BUCKET = 'istio_request_duration_milliseconds_bucket';

/**
 * Recording rules of every rollout (one series per version, labelled with the rollout):
 * `stagegate:<what>:<rate window>`, e.g. `stagegate:istio_requests_5xx:ratio_rate5m`.
 */
export type RecordedKind = 'buckets' | 'requests' | 'errors' | 'error_ratio' | 'p99' | 'p99_limit' | 'uo_ratio';
export function recordedSeriesName(kind: RecordedKind, window: string): string {
  switch (kind) {
    // Request duration bucket rates by version and `le`: the one raw read of the buckets.
    case 'buckets':
      return `stagegate:istio_request_duration_milliseconds_bucket:rate${window}`;
    case 'requests':
      return `stagegate:istio_requests:rate${window}`;
    case 'errors':
      return `stagegate:istio_requests_5xx:rate${window}`;
    case 'error_ratio':
      return `stagegate:istio_requests_5xx:ratio_rate${window}`;
    case 'p99':
      return `stagegate:istio_request_duration_milliseconds:p99_rate${window}`;
    // The canary p99 limit of this rollout, derived from stable's p99 (alert-rules.ts).
    case 'p99_limit':
      return `stagegate:istio_request_duration_milliseconds:p99_limit_rate${window}`;
    case 'uo_ratio':
      return `stagegate:istio_requests_uo:ratio_rate${window}`;
  }
}

/** Check runs the bot reads and `gate` / `verify` post. */
export const CHECK_HEALTH = 'stagegate/health';
export const CHECK_VERIFY = 'stagegate/verify';
export const DEFAULT_REQUIRED_CHECKS: readonly string[] = [CHECK_HEALTH, CHECK_VERIFY];

/** Pull-request labels. */
export const PR_LABEL = 'stagegate';
export const PR_LABEL_ROLLBACK = 'stagegate:rollback';
export const PR_LABEL_STALLED = 'stagegate:stalled';
export const PR_LABEL_PAUSE = 'stagegate:pause';
/** A drill that did not roll back within its deadline (app/drill/measure.ts). */
export const PR_LABEL_DRILL_FAILED = 'stagegate:drill-failed';

/** Branch of the PR that moves `<namespace>/<name>` to `<stage>`. */
export function stageBranch(namespace: string, name: string, stage: string): string {
  return `stagegate/${namespace}/${name}/${stage}`;
}

/** Branch of the rollback PR of `<namespace>/<name>`. */
export function rollbackBranch(namespace: string, name: string): string {
  return `stagegate/${namespace}/${name}/rollback`;
}

/**
 * Names a bot PR may use for `branch`: the branch itself, then `branch_2` … `branch_9` when
 * someone else holds it (an underscore: a stage is a DNS label, so `half_2` is never a stage's
 * branch while `half-2` could be).
 */
export function branchCandidates(branch: string): string[] {
  return [branch, ...Array.from({ length: 8 }, (_x, i) => `${branch}_${i + 2}`)];
}

/** Where a rollout's manifests are written, relative to the output directory. */
export function generatedFileName(name: string): string {
  return `${name}.k8s.yaml`;
}

/**
 * The shared PrometheusRule of `alerts.layout: fleet` (docs/design.md §7, "Fleet layout (opt-in)")
 * and its file in the output directory, beside the rollouts' (a rollout of this name is refused).
 */
export const FLEET_RULE_NAME = 'stagegate-fleet';
export const FLEET_FILE = generatedFileName(FLEET_RULE_NAME);

/** Where a rollout's promtool unit tests are written, relative to the output directory. */
export function rulesTestFileName(name: string): string {
  return `${name}.rules-test.yaml`;
}

/**
 * Rule group names inside a rollout's PrometheusRule (docs/design.md §7, rule cost): the main
 * group holds the recordings and, after them, the alerts that read them (one evaluation, in
 * order); the slow group the long windows only the slow burn-rate alert reads, at a longer interval.
 * The main group keeps the name the alert group had before the alerts joined the recordings
 * (`stagegate.<name>.alerts`): Prometheus carries a firing or pending alert's state over a rule
 * reload only into a group of the same file and name (prometheus/prometheus rules/manager.go
 * `Update`: `GroupKey(newg.file, newg.name)` → `newg.CopyState(oldg)`), and the gate finds the
 * alerts by that name, so an upgrade neither restarts a rollback's `for` nor blinds the gate
 * while the previous rules are still loaded.
 */
export function ruleGroupName(name: string): string {
  return `stagegate.${name}.alerts`;
}
export function slowGroupName(name: string): string {
  return `stagegate.${name}.slow`;
}

/** Default directories, relative to the repository root. */
export const DEFAULT_ROLLOUTS_DIR = 'rollouts';
export const DEFAULT_OUT_DIR = 'generated';
export const CHANGELOG_DIR = 'rollouts/changelog';

/** HTTP route names in the VirtualService, fixed so `check`, the gate and the demo can find them. */
export const ROUTE_COHORT = 'stagegate-cohort';
export const ROUTE_DEFAULT = 'stagegate-default';
/** Sticky canary (istio/sticky.ts): holders of the canary / stable cookie, before the weights. */
export const ROUTE_STICKY_CANARY = 'stagegate-sticky-canary';
export const ROUTE_STICKY_STABLE = 'stagegate-sticky-stable';
/** Default cookie of a sticky canary: `stagegate-<rollout name>`. */
export function stickyCookieName(rollout: string): string {
  return `stagegate-${rollout}`;
}

/** Annotation on the VirtualService of an aborted rollout: why it was rolled back. */
export const ANNOTATION_ABORT_REASON = 'stagegate.dev/abort-reason';
