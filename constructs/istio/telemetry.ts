/**
 * What Istio writes on its standard metrics, in one place: which metric label follows which pod
 * label per reporter and Istio release, what `unknown` / `latest` / an empty value mean, how a
 * service is named, the default histogram buckets. The compiler derives its selectors from these
 * facts and refuses intents whose selectors could never match what the proxy writes.
 *
 * Sources (read from Istio's own repositories; line numbers at the ref given):
 * - P: istio/proxy@release-1.30 source/extensions/filters/http/istio_stats/istio_stats.cc
 *   (the label table l.1102–1245; the same structure on release-1.22 … release-1.28)
 * - M: istio/proxy@release-1.28 / @release-1.30 extensions/common/metadata_object.cc
 *   `convertStructToWorkloadMetadata` (peer app/version) and `convertEndpointMetadata` (l.397–405)
 * - I: istio/istio@1.30.0 manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
 *   l.38–39 (canonical labels), and pkg/kube/labels/labels.go `CanonicalRevision` (same order, ambient)
 * - C: istio/istio@1.30.0 pilot/pkg/networking/core/cluster.go `buildServiceMetadata` l.1000–1020
 * - E: envoyproxy/envoy source/common/stream_info/utility.cc `ResponseFlagUtils::toShortString`
 *   (flags joined with `absl::StrJoin(flag_strings, ",")`, "-" for none)
 */

export type Reporter = 'destination' | 'source' | 'waypoint';
export type MetricVersionLabel = 'destination_version' | 'destination_canonical_revision';
export const METRIC_VERSION_LABELS: readonly MetricVersionLabel[] = [
  'destination_version',
  'destination_canonical_revision',
];
export const REPORTERS: readonly Reporter[] = ['destination', 'source', 'waypoint'];

/**
 * Istio releases an intent targets, as minor numbers of 1.x, both inclusive; no `max` means
 * "and every later release".
 */
export interface IstioVersionRange {
  readonly min: number;
  readonly max?: number;
}

/** Oldest release stagegate supports (networking v1 and the label code below date from 1.22). */
export const SUPPORTED_MIN_MINOR = 22;
/** The supported releases: what an intent targets when it does not say. */
export const SUPPORTED_VERSIONS: IstioVersionRange = { min: SUPPORTED_MIN_MINOR };
/**
 * From 1.29 the peer metadata prefers `app.kubernetes.io/version` over `version` (and
 * `app.kubernetes.io/name` over `app`): M@release-1.30 l.363–370; M@release-1.28 l.251–254
 * reads `version` only.
 */
export const QUALIFIED_PEER_LABELS_FROM_MINOR = 29;

/** Pod label keys Istio reads versions from. */
export const POD_LABEL_VERSION = 'version';
export const POD_LABEL_APP_VERSION = 'app.kubernetes.io/version';
export const POD_LABEL_CANONICAL_REVISION = 'service.istio.io/canonical-revision';

/**
 * Written when the reporting proxy has no peer metadata for that side (P: `context_.unknown_`):
 * on reporter "source" for every request no pod answered through metadata exchange (UH, UF,
 * UO, a timeout before a response, a server without a sidecar) — the endpoint fallback
 * (`istio.workload`, M `convertEndpointMetadata`) carries no app version, so
 * destination_version is "unknown" whenever no pod answered.
 */
export const UNKNOWN = 'unknown';
/**
 * The canonical revision of a pod with none of the version labels (I: `| default "latest"`), and
 * on reporter "source" of a request with no upstream host at all (UH, NR: P l.1229–1231).
 */
export const LATEST = 'latest';

/**
 * Pod labels that fill `metric` on `reporter` in Istio 1.`minor`, highest precedence first (the
 * first one the pod carries wins). Empty: no pod label reliably fills it there.
 * - destination_version, reporter destination: the local node's `LABELS["version"]` only, on
 *   every release (P l.233–234 `AppVersionLabel`, metadata_object.h `AppVersionLabel = "version"`;
 *   l.1184). A pod without `version` gets the empty string, which Prometheus treats as no label.
 * - destination_version, reporter source: the peer's `app_version` (P l.1220–1222): `version`
 *   up to 1.28, `app.kubernetes.io/version` then `version` from 1.29 (M, see above).
 * - destination_version, reporter waypoint: the upstream endpoint's app version, which the
 *   endpoint encoding does not carry (P l.1147–1155: "Endpoint encoding does not have app and
 *   version"), so "unknown": not relied on.
 * - destination_canonical_revision, every reporter: the pod label
 *   `service.istio.io/canonical-revision`, which the injector (and, for ambient, pilot's
 *   `kubelabels.CanonicalRevision`) sets from that label, else `app.kubernetes.io/version`,
 *   else `version`, else "latest" (I); read locally (destination), from the peer (source) or
 *   from the endpoint (waypoint, P l.1162–1165).
 */
export function podLabelsFilling(metric: MetricVersionLabel, reporter: Reporter, minor: number): readonly string[] {
  if (metric === 'destination_canonical_revision')
    return [POD_LABEL_CANONICAL_REVISION, POD_LABEL_APP_VERSION, POD_LABEL_VERSION];
  if (reporter === 'destination') return [POD_LABEL_VERSION];
  if (reporter === 'waypoint') return [];
  return minor >= QUALIFIED_PEER_LABELS_FROM_MINOR ? [POD_LABEL_APP_VERSION, POD_LABEL_VERSION] : [POD_LABEL_VERSION];
}

/** One release in each stretch of `range` where the label code differs (enough to test all of it). */
export function representativeMinors(range: IstioVersionRange): number[] {
  const max = range.max ?? Number.POSITIVE_INFINITY;
  const out = [range.min];
  const boundary = QUALIFIED_PEER_LABELS_FROM_MINOR;
  if (range.min < boundary && max >= boundary) out.push(boundary);
  return out;
}

/** How the metric label relates to the pod label `podLabel` over a range of releases. */
export interface Attribution {
  readonly metric: MetricVersionLabel;
  /**
   * "exact": the metric carries podLabel's value on every release of the range; "unless": it
   * does unless the pod also carries one of `overriddenBy` with another value; "never": on
   * `neverOn` (a minor) it never carries podLabel's value.
   */
  readonly verdict: 'exact' | 'unless' | 'never';
  readonly overriddenBy: readonly string[];
  readonly neverOn?: number;
}

export function attribution(
  podLabel: string,
  metric: MetricVersionLabel,
  reporter: Reporter,
  range: IstioVersionRange,
): Attribution {
  const overridden = new Set<string>();
  for (const minor of representativeMinors(range)) {
    const labels = podLabelsFilling(metric, reporter, minor);
    const at = labels.indexOf(podLabel);
    if (at < 0) return { metric, verdict: 'never', overriddenBy: [], neverOn: minor };
    for (const l of labels.slice(0, at)) overridden.add(l);
  }
  return { metric, verdict: overridden.size === 0 ? 'exact' : 'unless', overriddenBy: [...overridden] };
}

/**
 * The metric label to select versions by when the intent does not name one: one that carries
 * `podLabel` exactly on every targeted release, else one that does unless a higher-precedence
 * label overrides it; destination_version first on a tie (what the rules always used).
 * Undefined when no metric label ever carries `podLabel`.
 */
export function chooseVersionLabel(
  podLabel: string,
  reporter: Reporter,
  range: IstioVersionRange,
): Attribution | undefined {
  const all = METRIC_VERSION_LABELS.map((m) => attribution(podLabel, m, reporter, range));
  return all.find((a) => a.verdict === 'exact') ?? all.find((a) => a.verdict === 'unless');
}

/** "1.22–1.28", "1.29+", "1.22+" */
export function formatRange(range: IstioVersionRange): string {
  if (range.max === undefined) return `1.${range.min}+`;
  return range.max === range.min ? `1.${range.min}` : `1.${range.min}–1.${range.max}`;
}

function fillsText(metric: MetricVersionLabel, reporter: Reporter, minor: number): string {
  const labels = podLabelsFilling(metric, reporter, minor);
  if (labels.length === 0)
    return `the upstream peer metadata, which has no app version when it comes from the endpoint encoding (Istio: "Endpoint encoding does not have app and version"; it then writes "${UNKNOWN}")`;
  return labels.map((l) => `"${l}"`).join(', else ');
}

/** The part of `range` on which `metric` never carries `podLabel`, or undefined when it always can. */
function neverRange(
  podLabel: string,
  metric: MetricVersionLabel,
  reporter: Reporter,
  range: IstioVersionRange,
): IstioVersionRange | undefined {
  const never = representativeMinors(range).filter((m) => !podLabelsFilling(metric, reporter, m).includes(podLabel));
  if (never.length === 0) return undefined;
  if (never.length === representativeMinors(range).length) return range;
  const boundary = QUALIFIED_PEER_LABELS_FROM_MINOR;
  return never[0]! < boundary ? { min: range.min, max: boundary - 1 } : { min: boundary, max: range.max };
}

/**
 * Why `metric` cannot select pods by `podLabel` on the targeted releases `range`, with the fix;
 * undefined when it can.
 */
export function versionLabelMismatch(
  podLabel: string,
  metric: MetricVersionLabel,
  reporter: Reporter,
  range: IstioVersionRange,
): string | undefined {
  const never = neverRange(podLabel, metric, reporter, range);
  if (!never) return undefined;
  const picked = chooseVersionLabel(podLabel, reporter, range);
  const fix = picked
    ? `use metrics.versionLabel: ${picked.metric} (or leave it out: it is then chosen for you)`
    : versionLabelFixWithoutChoice(reporter, range);
  return `on Istio ${formatRange(never)} the ${reporter} reporter fills ${metric} from ${fillsText(metric, reporter, never.min)}, never from the pod label "${podLabel}" (spec.versionLabel), so no series would ever match the canary; ${fix}`;
}

function versionLabelFixWithoutChoice(reporter: Reporter, range: IstioVersionRange): string {
  const labels = [POD_LABEL_VERSION, POD_LABEL_APP_VERSION, POD_LABEL_CANONICAL_REVISION].filter(
    (l) => chooseVersionLabel(l, reporter, range) !== undefined,
  );
  return `set spec.versionLabel to a pod label an Istio metric follows: ${labels.map((l) => `"${l}"`).join(', ')}`;
}

/** Why the version value `value` cannot tell one version apart, or undefined. */
export function reservedVersionValue(value: string, metric: MetricVersionLabel): string | undefined {
  if (value === UNKNOWN)
    return `"${UNKNOWN}" is what Istio writes on ${metric} for requests it cannot attribute to a pod (no response, no peer metadata); give the version another value`;
  if (value === LATEST && metric === 'destination_canonical_revision')
    return `"${LATEST}" is the canonical revision Istio gives pods without a version label and requests with no upstream host (UH); give the version another value`;
  return undefined;
}

/**
 * Lines for `plan`: which metric label the rules read, which pod label fills it, and what can
 * still make it differ.
 */
export function describeAttribution(
  podLabel: string,
  metric: MetricVersionLabel,
  reporter: Reporter,
  range: IstioVersionRange,
): string[] {
  const a = attribution(podLabel, metric, reporter, range);
  const lines = [
    `versions by ${metric} (reporter ${reporter}, Istio ${formatRange(range)}): follows pod label "${podLabel}"`,
  ];
  if (a.verdict === 'unless')
    lines.push(
      `  unless the pods also carry ${a.overriddenBy.map((l) => `"${l}"`).join(' or ')} with another value, which Istio prefers`,
    );
  if (reporter === 'source')
    lines.push(
      metric === 'destination_version'
        ? `  requests no pod answered (UH, UO, connect failures) carry destination_version="${UNKNOWN}" and count for neither version`
        : `  requests with no upstream host (UH) carry destination_canonical_revision="${LATEST}" and count for neither version; a failed connection to a picked pod carries that pod's revision`,
    );
  return lines;
}

/**
 * Istio's default bucket bounds of `istio_request_duration_milliseconds` (ms): Envoy's
 * `defaultBuckets()` (envoyproxy/envoy source/common/stats/histogram_impl.cc), unless a pod sets
 * `sidecar.istio.io/statsHistogramBuckets` (istio/istio@1.30.0 pkg/bootstrap/config.go l.295).
 * Prometheus writes the two large bounds as `le="1.8e+06"` and `le="3.6e+06"`.
 */
export const ISTIO_DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/**
 * Envoy's response flags as Istio writes them in `response_flags`: "-" for none, else the short
 * flags comma-joined in Envoy's table order (E), e.g. "UO", "UF,URX".
 */
export const NO_RESPONSE_FLAGS = '-';

/** A regex (for `=~`) matching `response_flags` values that contain `flag`, alone or comma-joined. */
export function responseFlagRegex(flag: string): string {
  return `(.*,)?${flag}(,.*)?`;
}

/** `spec.istio` → the targeted range, or undefined when the intent names no version. */
export function versionRangeOf(
  istio: { readonly minVersion?: unknown; readonly maxVersion?: unknown } | undefined,
): IstioVersionRange | undefined {
  const minor = (v: unknown): number | undefined =>
    typeof v === 'string' && /^1\.\d{1,3}$/.test(v) ? Number(v.slice(2)) : undefined;
  const min = minor(istio?.minVersion);
  const max = minor(istio?.maxVersion);
  if (min === undefined && max === undefined) return undefined;
  return max === undefined ? { min: min ?? SUPPORTED_MIN_MINOR } : { min: min ?? SUPPORTED_MIN_MINOR, max };
}

/** The releases a model targets. */
export function targetedVersions(model: { readonly istio?: { readonly versions?: IstioVersionRange } }) {
  return model.istio?.versions ?? SUPPORTED_VERSIONS;
}

type Rec = Record<string, unknown>;
const LABEL_KEY_RE = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});

/** A problem of the intent's telemetry settings, located by its path under `spec`. */
export interface TelemetryProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The intent's selectors against what Istio writes: the metric version label must follow the
 * pod label `versionLabel` on the reporter and every targeted release, and a version must not
 * take a value Istio writes for requests it cannot attribute. Works on a raw `spec` (YAML or
 * construct props); fields of the wrong type are the schema's to report.
 */
export function telemetryProblems(spec: Rec): TelemetryProblem[] {
  const problems: TelemetryProblem[] = [];
  const metrics = rec(spec.metrics);
  const istio = rec(spec.istio);
  const reporter = (REPORTERS as readonly unknown[]).includes(metrics.reporter)
    ? (metrics.reporter as Reporter)
    : 'destination';
  // A versionLabel that is no label key at all is the schema's to report.
  if (
    spec.versionLabel !== undefined &&
    !(typeof spec.versionLabel === 'string' && LABEL_KEY_RE.test(spec.versionLabel))
  )
    return problems;
  const podLabel = typeof spec.versionLabel === 'string' ? spec.versionLabel : POD_LABEL_VERSION;
  const range = versionRangeOf(istio) ?? SUPPORTED_VERSIONS;
  if (range.max !== undefined && range.max < range.min) {
    problems.push({
      path: ['istio', 'maxVersion'],
      message: `must not be older than istio.minVersion 1.${range.min} (got "1.${range.max}")`,
    });
    return problems;
  }
  const given = (METRIC_VERSION_LABELS as readonly unknown[]).includes(metrics.versionLabel)
    ? (metrics.versionLabel as MetricVersionLabel)
    : undefined;
  let metric: MetricVersionLabel | undefined = given;
  if (given) {
    const mismatch = versionLabelMismatch(podLabel, given, reporter, range);
    if (mismatch) problems.push({ path: ['metrics', 'versionLabel'], message: mismatch });
  } else if (metrics.versionLabel === undefined) {
    metric = chooseVersionLabel(podLabel, reporter, range)?.metric;
    if (!metric)
      problems.push({
        path: spec.versionLabel === undefined ? ['metrics', 'reporter'] : ['versionLabel'],
        message: `no Istio metric label follows the pod label "${podLabel}" on the ${reporter} reporter (Istio ${formatRange(range)}): destination_version follows ${fillsText('destination_version', reporter, range.min)}, destination_canonical_revision follows ${fillsText('destination_canonical_revision', reporter, range.min)}; ${versionLabelFixWithoutChoice(reporter, range)}`,
      });
  }
  if (metric) {
    for (const role of ['stable', 'canary'] as const) {
      const value = spec[role];
      const reserved = typeof value === 'string' ? reservedVersionValue(value, metric) : undefined;
      if (reserved) problems.push({ path: [role], message: reserved });
    }
  }
  return problems;
}

/**
 * What the rules of `model` select on Istio's metrics, for `plan`: the service as the metrics
 * name it, the version label and the pod label it follows (with what can still override it),
 * and the scrape interval the windows are sized for.
 */
export function telemetrySummary(
  model: {
    readonly versionLabel: string;
    readonly metrics: { readonly reporter: Reporter; readonly versionLabel: MetricVersionLabel };
    readonly istio?: { readonly versions?: IstioVersionRange };
  },
  service: { readonly name: string; readonly namespace: string },
  scrapeIntervalMs: number,
): string[] {
  return [
    `metrics: destination_service_name="${service.name}", destination_service_namespace="${service.namespace}", reporter="${model.metrics.reporter}"; windows hold two scrapes of ${scrapeIntervalMs / 1000}s`,
    ...describeAttribution(
      model.versionLabel,
      model.metrics.versionLabel,
      model.metrics.reporter,
      targetedVersions(model),
    ),
  ];
}
