/**
 * Istio's `ValidateVirtualService` (istio/istio pkg/config/validation/virtualservice.go
 * `validateHTTPRoute`, `validateHTTPRouteMatchRequest`; validation.go `validateStringMatch`,
 * `validateHTTPMirrors`) for what stagegate emits, and the webhook verdict compile() applies to
 * every VirtualService and DestinationRule. Split from validation.ts, whose helpers it uses.
 */
import { regexErrors } from './re2.js';
import {
  destinationRuleMessages,
  gatewayNameMessages,
  headerNameErrors,
  ISTIO_SUPPORTED,
  type IstioMessage,
  labelErrors,
  protoDurationNanos,
  type RetryPolicy,
  retryErrors,
  subsetNameErrors,
  wildcardDomainErrors,
  durationFieldErrors,
} from './validation.js';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});

/** `ValidateVirtualService` for what stagegate emits: hosts, gateways, http routes. */
export function virtualServiceMessages(spec: Rec, minor: number = ISTIO_SUPPORTED.oldestMinor): IstioMessage[] {
  const out: IstioMessage[] = [];
  const at = (prefix: (string | number)[], ms: IstioMessage[]) => {
    for (const m of ms) out.push({ ...m, path: [...prefix, ...m.path] });
  };
  const errors = (path: (string | number)[], messages: string[]) => {
    for (const message of messages) out.push({ path, level: 'error', message });
  };
  const gateways = Array.isArray(spec.gateways) ? spec.gateways.map(String) : [];
  const meshBound = gateways.length === 0 || gateways.includes('mesh');
  const hosts = Array.isArray(spec.hosts) ? spec.hosts.map(String) : [];
  for (const [i, host] of hosts.entries()) {
    if (host === '*' && meshBound)
      errors(['hosts', i], ['wildcard host * is not allowed for virtual services bound to the mesh gateway']);
    else if (!/^[\d.]+$|:/.test(host)) errors(['hosts', i], wildcardDomainErrors(host));
    const before = hosts.indexOf(host);
    if (before < i) errors(['hosts', i], [`duplicate hosts in virtual service: ${hosts[before]} & ${host}`]);
  }
  at(['gateways'], gatewayNameMessages(gateways));
  const http = Array.isArray(spec.http) ? spec.http : [];
  if (http.length === 0 && spec.tcp === undefined && spec.tls === undefined)
    errors([], ['http, tcp or tls must be provided in virtual service']);
  for (const [r, raw] of http.entries()) at(['http', r], httpRouteMessages(rec(raw), minor));
  return out;
}

function httpRouteMessages(route: Rec, minor: number): IstioMessage[] {
  const out: IstioMessage[] = [];
  const errors = (path: (string | number)[], messages: string[]) => {
    for (const message of messages) out.push({ path, level: 'error', message });
  };
  errors(['timeout'], durationFieldErrors(route.timeout));
  if (route.retries !== undefined) {
    const r = rec(route.retries);
    const perTry = durationFieldErrors(r.perTryTimeout);
    errors(['retries', 'perTryTimeout'], perTry);
    const nanos = typeof r.perTryTimeout === 'string' ? protoDurationNanos(r.perTryTimeout) : undefined;
    const retry: RetryPolicy = {
      ...(typeof r.attempts === 'number' ? { attempts: r.attempts } : {}),
      ...(r.perTryTimeout !== undefined ? { perTryTimeoutNanos: nanos ?? 1_000_000 } : {}),
      ...(typeof r.retryOn === 'string' ? { retryOn: r.retryOn } : {}),
    };
    for (const m of retryErrors(retry, minor))
      if (m.path[0] !== 'perTryTimeout') out.push({ ...m, path: ['retries', ...m.path] });
  }
  for (const [m, raw] of (Array.isArray(route.match) ? route.match : []).entries()) {
    for (const [name, sm] of Object.entries(rec(rec(raw).headers))) {
      errors(['match', m, 'headers', name], headerNameErrors(name, minor));
      errors(['match', m, 'headers', name], stringMatchErrors(rec(sm), 'headers'));
    }
    errors(['match', m, 'sourceLabels'], labelErrors(rec(rec(raw).sourceLabels)));
  }
  for (const [k, d] of (Array.isArray(route.route) ? route.route.map(rec) : []).entries()) {
    const add = rec(rec(rec(d.headers).response).add);
    for (const [name, value] of Object.entries(add))
      errors(['route', k, 'headers', 'response', 'add', name], responseHeaderErrors(name, value));
  }
  if (route.mirror !== undefined) {
    const mirror = rec(route.mirror);
    errors(['mirror', 'host'], wildcardDomainErrors(String(mirror.host ?? '')));
    if (mirror.subset !== undefined) errors(['mirror', 'subset'], subsetNameErrors(String(mirror.subset)));
  }
  const mirrorValue = rec(route.mirrorPercentage).value;
  if (typeof mirrorValue === 'number') {
    if (mirrorValue > 100)
      errors(['mirrorPercentage'], [`mirror_percentage must have a max value of 100 (it has ${goFloat(mirrorValue)})`]);
    if (mirrorValue < 0)
      errors(['mirrorPercentage'], [`mirror_percentage must have a min value of 0 (it has ${goFloat(mirrorValue)})`]);
  }
  const destinations = Array.isArray(route.route) ? route.route.map(rec) : [];
  let total = 0;
  for (const [i, d] of destinations.entries()) {
    const weight = typeof d.weight === 'number' ? d.weight : 0;
    if (weight < 0) errors(['route', i, 'weight'], [`weight ${weight} < 0`]);
    total += weight;
    const dest = d.destination === undefined ? undefined : rec(d.destination);
    if (!dest) {
      errors(['route', i], ['destination is required']);
      continue;
    }
    const host = String(dest.host ?? '');
    errors(
      ['route', i, 'destination', 'host'],
      host === '*' ? [`invalid destination host ${host}`] : wildcardDomainErrors(host),
    );
    if (dest.subset !== undefined) errors(['route', i, 'destination', 'subset'], subsetNameErrors(String(dest.subset)));
    const port = rec(dest.port).number;
    if (typeof port === 'number' && (port < 1 || port > 65535))
      errors(['route', i, 'destination', 'port'], [`port number ${port} must be in the range 1..65535`]);
  }
  if (destinations.length > 1 && total === 0) errors(['route'], ['total destination weight = 0']);
  return out;
}

/**
 * The errors Istio's validating webhook would answer for a VirtualService or DestinationRule
 * (`spec.http[0].retries.retryOn: " reset" is not a valid retryOn policy`); none for other kinds.
 * compile() refuses an object with any, so what Istio would reject never leaves synth.
 */
export function webhookErrors(
  obj: { readonly kind: string; readonly spec?: unknown },
  minor: number = ISTIO_SUPPORTED.oldestMinor,
): string[] {
  const spec = rec(obj.spec);
  const messages =
    obj.kind === 'VirtualService'
      ? virtualServiceMessages(spec, minor)
      : obj.kind === 'DestinationRule'
        ? destinationRuleMessages(spec)
        : [];
  const path = (segments: readonly (string | number)[]) =>
    segments.map((s, k) => (typeof s === 'number' ? `[${s}]` : k === 0 ? s : `.${s}`)).join('');
  return messages.filter((m) => m.level === 'error').map((m) => `${path(['spec', ...m.path])}: ${m.message}`);
}

/** `validateStringMatch`: an empty prefix and a regex RE2 refuses are errors. */
export function stringMatchErrors(sm: Rec, where: string): string[] {
  if (sm.prefix === '') return [`${JSON.stringify(where)}: prefix string match should not be empty`];
  if (typeof sm.regex === 'string') return regexErrors(sm.regex, where);
  return [];
}

/** Go's `%f`: six decimals. */
const goFloat = (x: number): string => x.toFixed(6);

/**
 * `ValidateHTTPHeaderOperationName` and `ValidateHTTPHeaderValue` (validation.go) for an added
 * response header. A `%` starts an Envoy formatter variable: a lone one is refused (`%%` is a
 * literal); stagegate writes none, so any `%` but `%%` is reported.
 */
export function responseHeaderErrors(name: string, value: unknown): string[] {
  const out: string[] = [];
  if (name === '') out.push('header name cannot be empty');
  else if (name.toLowerCase() === 'host') out.push(`invalid header ${JSON.stringify(name)}: cannot set Host header`);
  else if (name.startsWith(':')) out.push(`invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`);
  const text = String(value);
  // httpHeaderValueRegexp: no control character but tab.
  const control = [...text].some((ch) => {
    const c = ch.charCodeAt(0);
    return (c < 0x20 && c !== 0x09) || c === 0x7f;
  });
  if (control) out.push(`header value configuration ${text} is invalid`);
  else if (/%/.test(text.replace(/%%/g, '')))
    out.push(`header value configuration: stagegate writes no Envoy formatter variable (${text})`);
  return out;
}
