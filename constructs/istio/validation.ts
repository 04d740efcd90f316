/**
 * Istio's semantic validation (the validating webhook, `pkg/config/validation`) for every field a
 * stagegate intent can set, as data and pure functions. The CRD schemas let these through; the
 * webhook does not, so an object that fails here would be refused at `kubectl apply` / Argo CD
 * sync time, after its pull request merged. Messages are Istio's own format strings, filled as Go
 * fills them (`%q` → a double-quoted string).
 *
 * Source: istio/istio 1.22.0–1.30.0 `pkg/config/validation/validation.go` (validateHTTPRetry,
 * validateGatewayNames, ValidateHTTPHeaderNameOrJwtClaimRoute, validateHTTPRouteDestinations,
 * validateTrafficPolicy, validateOutlierDetection, validateConnectionPool, validateSubset),
 * `pkg/config/validation/agent/validation.go` (ValidateDuration, ValidateFQDN,
 * ValidateWildcardDomain), `pkg/config/labels/instance.go` (IsDNS1123Label, Instance.Validate);
 * on master the retry check moved to agent/validation.go `ValidateHTTPRetry` unchanged.
 */

/** Istio minor versions stagegate supports (1.22 is the first that serves networking.istio.io/v1). */
export const ISTIO_SUPPORTED = { oldestMinor: 22, newestMinor: 30 } as const;

export type IstioLevel = 'error' | 'warning';

/** One message of Istio's validation, at a path inside the object's `spec`. */
export interface IstioMessage {
  readonly path: readonly (string | number)[];
  /** `error` refuses the object; `warning` is an admission warning and the object is admitted. */
  readonly level: IstioLevel;
  /** Istio's message, verbatim. */
  readonly message: string;
}

/**
 * `supportedRetryOnPolicies` (validation.go), with the first minor version that accepts each:
 * `reset-before-request` and `http3-post-connect-failure` are absent from 1.22.0 and present
 * from 1.23.0 (tags compared).
 */
export const RETRY_ON_POLICIES: readonly { readonly name: string; readonly sinceMinor: number }[] = [
  // x-envoy-retry-on
  ...[
    '5xx',
    'gateway-error',
    'reset',
    'connect-failure',
    'retriable-4xx',
    'refused-stream',
    'retriable-status-codes',
    'retriable-headers',
    'envoy-ratelimited',
  ].map((name) => ({ name, sinceMinor: 22 })),
  { name: 'reset-before-request', sinceMinor: 23 },
  { name: 'http3-post-connect-failure', sinceMinor: 23 },
  // x-envoy-retry-grpc-on
  ...['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'].map((name) => ({
    name,
    sinceMinor: 22,
  })),
];

/** The retryOn policies every Istio from `minor` on accepts. */
export function retryOnPolicies(minor: number = ISTIO_SUPPORTED.oldestMinor): string[] {
  return RETRY_ON_POLICIES.filter((p) => p.sinceMinor <= minor).map((p) => p.name);
}

/** Status codes Go's `http.StatusText` knows (net/http/status.go); Istio accepts these in retryOn. */
const GO_STATUS_CODES = new Set<number>([
  ...range(100, 103),
  ...range(200, 208),
  226,
  ...range(300, 305),
  307,
  308,
  ...range(400, 418),
  ...range(421, 426),
  428,
  429,
  431,
  451,
  ...range(500, 508),
  510,
  511,
]);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Go's `strconv.Atoi`: optional sign, decimal digits only (leading zeros fine); else NaN. */
function atoi(text: string): number {
  return /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** Go's `%q` of a plain string. */
export const q = (s: string): string => JSON.stringify(s);

const DNS1123_LABEL_RE = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** `labels.IsDNS1123Label`: Istio's regex accepts uppercase, unlike Kubernetes'. */
export function isIstioDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL_RE.test(s);
}

/** RFC 7230 tchar, the header-name check of `ValidateHTTPHeaderNameOrJwtClaimRoute` (1.23+). */
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);

/** Errors of an HTTP match header name; `minor` below 23 only refuses an empty name. */
export function headerNameErrors(name: string, minor: number = ISTIO_SUPPORTED.oldestMinor): string[] {
  if (name === '') return ['header name cannot be empty'];
  if (minor < 23 || name.startsWith('@request.auth.claims') || PSEUDO_HEADERS.has(name)) return [];
  return HEADER_NAME_RE.test(name) ? [] : [`header name ${name} is not a valid header name`];
}

/** `agent.ValidateDuration` on a length in nanoseconds. */
export function durationErrors(nanos: number): string[] {
  if (nanos < 1_000_000) return ['duration must be greater than 1ms'];
  if (nanos % 1_000_000 !== 0) return ['only durations to ms precision are supported'];
  return [];
}

const PROTO_DURATION_RE = /^(\d+)(?:\.(\d{1,9}))?s$/;
/** Nanoseconds of a protobuf JSON duration ("0.5s"), the form stagegate writes; undefined otherwise. */
export function protoDurationNanos(text: string): number | undefined {
  const m = PROTO_DURATION_RE.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
}

export interface RetryPolicy {
  readonly attempts?: number;
  readonly perTryTimeoutNanos?: number;
  readonly retryOn?: string;
}

/** `validateHTTPRetry`: attempts, perTryTimeout and each retryOn policy. */
export function retryErrors(retry: RetryPolicy, minor: number = ISTIO_SUPPORTED.oldestMinor): IstioMessage[] {
  const out: IstioMessage[] = [];
  const err = (path: string, message: string) => out.push({ path: [path], level: 'error', message });
  const attempts = retry.attempts ?? 0;
  if (attempts < 0) err('attempts', 'attempts cannot be negative');
  if (attempts === 0 && (retry.perTryTimeoutNanos !== undefined || (retry.retryOn ?? '') !== '')) {
    err('attempts', 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  if (retry.perTryTimeoutNanos !== undefined)
    for (const m of durationErrors(retry.perTryTimeoutNanos)) err('perTryTimeout', m);
  if (retry.retryOn !== undefined && retry.retryOn !== '') {
    const policies = new Set(retryOnPolicies(minor));
    // strings.Split without trimming: "5xx, reset" has the part " reset".
    for (const part of retry.retryOn.split(',')) {
      const code = atoi(part);
      if (!(Number.isFinite(code) && GO_STATUS_CODES.has(code)) && !policies.has(part)) {
        err('retryOn', `${q(part)} is not a valid retryOn policy`);
      }
    }
  }
  return out;
}

/**
 * `validateGatewayNames`. Quirk kept from Istio: a name without "/" is checked as an FQDN and the
 * function returns, so the names after it are not validated at all.
 */
export function gatewayNameMessages(names: readonly string[]): IstioMessage[] {
  const out: IstioMessage[] = [];
  for (const [i, name] of names.entries()) {
    const add = (level: IstioLevel, message: string) => out.push({ path: [i], level, message });
    const slash = name.indexOf('/');
    if (slash < 0) {
      if (name.includes('.')) {
        const parts = name.split('.');
        add(
          'warning',
          `using legacy gatewayName format ${q(name)}; prefer the <namespace>/<name> format: ${q(`${parts[1]}/${parts[0]}`)}`,
        );
      }
      for (const m of fqdnErrors(name)) add('error', m);
      return out;
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === '' || gw === '') add('error', 'config namespace and gateway name cannot be empty');
    if (!isIstioDns1123Label(ns)) add('error', `invalid value for namespace: ${q(ns)}`);
    if (!isIstioDns1123Label(gw)) add('error', `invalid value for gateway name: ${q(gw)}`);
  }
  return out;
}

function dns1123Preconditions(name: string): string[] {
  if (name.length > 255) return [`domain name ${q(name)} too long (max 255)`];
  if (name.length === 0) return ['empty domain name not allowed'];
  return [];
}

/** `validateDNS1123Labels`: an all-numeric last label is refused; one trailing dot is allowed. */
function dns1123LabelErrors(domain: string): string[] {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1]!;
  if (/^[+-]?\d+$/.test(tld))
    return [`domain name ${q(domain)} invalid (top level domain ${q(tld)} cannot be all-numeric)`];
  for (const [i, label] of parts.entries()) {
    if (i === parts.length - 1 && label === '') return [];
    if (!isIstioDns1123Label(label)) return [`domain name ${q(domain)} invalid (label ${q(label)} invalid)`];
  }
  return [];
}

/** `agent.ValidateFQDN`. */
export function fqdnErrors(name: string): string[] {
  const pre = dns1123Preconditions(name);
  return pre.length > 0 ? pre : dns1123LabelErrors(name);
}

const WILDCARD_FIRST_LABEL_RE = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
/** `agent.ValidateWildcardDomain` (VS hosts, DR host, destination hosts). */
export function wildcardDomainErrors(name: string): string[] {
  const pre = dns1123Preconditions(name);
  if (pre.length > 0) return pre;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  if (first.length > 63 || !WILDCARD_FIRST_LABEL_RE.test(first))
    return [`domain name ${q(name)} invalid (label ${q(first)} invalid)`];
  return dot < 0 ? [] : dns1123LabelErrors(name.slice(dot + 1));
}

/** `ValidatePercent`. */
export function percentErrors(value: number): string[] {
  return value < 0 || value > 100 ? [`percentage ${value} is not in range 0..100`] : [];
}

const LABEL_KEY_RE =
  /^(?:[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*\/)?((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const LABEL_VALUE_RE = /^((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** `labels.Instance.Validate` on a subset's labels. */
export function labelErrors(labels: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    if (slash >= 0 && slash > 253) out.push(`invalid tag key: ${q(key)} (DNS prefix is too long)`);
    else if (key.length - slash - 1 > 63) out.push(`invalid tag key: ${q(key)} (name is too long)`);
    else if (!LABEL_KEY_RE.test(key)) out.push(`invalid tag key: ${q(key)}`);
    if (typeof value !== 'string' || !LABEL_VALUE_RE.test(value)) out.push(`invalid tag value: ${q(String(value))}`);
  }
  return out;
}

/** The outlier-detection fields stagegate emits, with durations in nanoseconds. */
export interface OutlierDetection {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly intervalNanos?: number;
  readonly baseEjectionTimeNanos?: number;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

/** `validateOutlierDetection` for the fields above. */
export function outlierDetectionErrors(od: OutlierDetection): IstioMessage[] {
  const out: IstioMessage[] = [];
  const add = (path: string, messages: string[]) => {
    for (const message of messages) out.push({ path: [path], level: 'error', message });
  };
  if (od.baseEjectionTimeNanos !== undefined) add('baseEjectionTime', durationErrors(od.baseEjectionTimeNanos));
  if (od.intervalNanos !== undefined) add('interval', durationErrors(od.intervalNanos));
  if (od.maxEjectionPercent !== undefined) add('maxEjectionPercent', percentErrors(od.maxEjectionPercent));
  if (od.minHealthPercent !== undefined) add('minHealthPercent', percentErrors(od.minHealthPercent));
  return out;
}

/**
 * What pilot does with `maxEjectionPercent: 0`: it copies the field only when it is above 0
 * (`applyOutlierDetection`, pilot/pkg/networking/core/cluster_traffic_policy.go), so Envoy's
 * default of 10 % applies. Istio accepts it; stagegate refuses it in intents and warns in `check`.
 */
export const MAX_EJECTION_ZERO =
  'maxEjectionPercent 0 does not stop ejection: Istio only passes values above 0 to Envoy, which then ejects up to its default 10 %';

const HTTP_POOL_FIELDS: readonly [string, string][] = [
  ['http1MaxPendingRequests', 'http1 max pending requests must be non-negative'],
  ['http2MaxRequests', 'http2 max requests must be non-negative'],
  ['maxRequestsPerConnection', 'max requests per connection must be non-negative'],
  ['maxRetries', 'max retries must be non-negative'],
  ['maxConcurrentStreams', 'max concurrent streams must be non-negative'],
];

type Rec = Readonly<Record<string, unknown>>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});

/** A duration field of an Istio object as written ("0.5s"): Istio's errors, or its own when unreadable. */
export function durationFieldErrors(value: unknown): string[] {
  if (value === undefined) return [];
  const nanos = typeof value === 'string' ? protoDurationNanos(value) : undefined;
  // Istio decodes the object as protobuf JSON, whose Duration is decimal seconds with an "s".
  if (nanos === undefined)
    return [`duration ${q(String(value))} is not a protobuf JSON duration (seconds, e.g. "0.5s")`];
  return durationErrors(nanos);
}

/** `validateConnectionPool` on a DestinationRule's `connectionPool` as written. */
export function connectionPoolErrors(pool: Rec): IstioMessage[] {
  const out: IstioMessage[] = [];
  const add = (path: (string | number)[], message: string) => out.push({ path, level: 'error', message });
  if (pool.http === undefined && pool.tcp === undefined) add([], 'connection pool must have at least one field');
  const http = rec(pool.http);
  for (const [field, message] of HTTP_POOL_FIELDS) {
    const v = http[field];
    if (typeof v === 'number' && v < 0) add(['http', field], message);
  }
  for (const m of durationFieldErrors(http.idleTimeout)) add(['http', 'idleTimeout'], m);
  const tcp = rec(pool.tcp);
  if (typeof tcp.maxConnections === 'number' && tcp.maxConnections < 0)
    add(['tcp', 'maxConnections'], 'max connections must be non-negative');
  for (const field of ['connectTimeout', 'maxConnectionDuration'])
    for (const m of durationFieldErrors(tcp[field])) add(['tcp', field], m);
  return out;
}

const POLICY_FIELDS = [
  'outlierDetection',
  'connectionPool',
  'loadBalancer',
  'tls',
  'portLevelSettings',
  'tunnel',
  'proxyProtocol',
  'retryBudget',
];

/** `validateTrafficPolicy` on a DestinationRule (or subset) `trafficPolicy` as written. */
export function trafficPolicyMessages(policy: Rec): IstioMessage[] {
  if (POLICY_FIELDS.every((f) => policy[f] === undefined))
    return [{ path: [], level: 'error', message: 'traffic policy must have at least one field' }];
  const out: IstioMessage[] = [];
  const under = (prefix: string, messages: IstioMessage[]) => {
    for (const m of messages) out.push({ ...m, path: [prefix, ...m.path] });
  };
  if (policy.outlierDetection !== undefined) {
    const od = rec(policy.outlierDetection);
    const errors: IstioMessage[] = [];
    for (const field of ['interval', 'baseEjectionTime'])
      for (const message of durationFieldErrors(od[field])) errors.push({ path: [field], level: 'error', message });
    for (const field of ['maxEjectionPercent', 'minHealthPercent'])
      if (typeof od[field] === 'number')
        for (const message of percentErrors(od[field] as number))
          errors.push({ path: [field], level: 'error', message });
    if (od.maxEjectionPercent === 0)
      errors.push({ path: ['maxEjectionPercent'], level: 'warning', message: MAX_EJECTION_ZERO });
    under('outlierDetection', errors);
  }
  if (policy.connectionPool !== undefined) under('connectionPool', connectionPoolErrors(rec(policy.connectionPool)));
  return out;
}

/** `ValidateDestinationRule` for what stagegate emits: host, top-level policy, subsets. */
export function destinationRuleMessages(spec: Rec): IstioMessage[] {
  const out: IstioMessage[] = [];
  const at = (prefix: (string | number)[], ms: IstioMessage[]) => {
    for (const m of ms) out.push({ ...m, path: [...prefix, ...m.path] });
  };
  const errors = (path: (string | number)[], messages: string[]) => {
    for (const message of messages) out.push({ path, level: 'error', message });
  };
  errors(['host'], wildcardDomainErrors(String(spec.host ?? '')));
  if (spec.trafficPolicy !== undefined) at(['trafficPolicy'], trafficPolicyMessages(rec(spec.trafficPolicy)));
  const seen = new Set<string>();
  for (const [i, s] of (Array.isArray(spec.subsets) ? spec.subsets : []).entries()) {
    const subset = rec(s);
    const name = String(subset.name ?? '');
    if (seen.has(name)) errors(['subsets', i, 'name'], [`duplicate subset names: ${name}`]);
    seen.add(name);
    errors(['subsets', i, 'name'], subsetNameErrors(name));
    errors(['subsets', i, 'labels'], labelErrors(rec(subset.labels)));
    if (subset.trafficPolicy !== undefined)
      at(['subsets', i, 'trafficPolicy'], trafficPolicyMessages(rec(subset.trafficPolicy)));
  }
  return out;
}

/** `validateSubsetName`. */
export function subsetNameErrors(name: string): string[] {
  if (name === '') return ['subset name cannot be empty'];
  return isIstioDns1123Label(name) ? [] : [`subset name is invalid: ${name}`];
}
