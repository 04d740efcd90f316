/**
 * The JSON Schema of `stagegate.dev/v1alpha1` Rollout intents, and the translation of ajv's
 * terse errors ("must be <= 100") into messages that say what was expected and what was found.
 *
 * The schema checks the shape of each field on its own: types, ranges, enums, unknown keys
 * and string formats. Rules that relate two fields live in `validate.ts`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { INTENT_API_VERSION, INTENT_KIND } from '../conventions.js';
import { isDuration, parseDuration } from '../duration.js';
import { SUPPORTED_MIN_MINOR } from '../istio/telemetry.js';
import { SCRAPE_INTERVAL_LIMIT_MS } from '../promql/windows.js';

import { duration, int, object, type Schema, str } from './schema-parts.js';
import { ROUTING_PROPERTIES, STAGE_MIRROR } from './routing-schema.js';
import { SIGNALS_SCHEMA } from './signal-schema.js';

const stageSchema = object(
  {
    name: { type: 'string', format: 'dns-label' },
    weight: int(0, 100),
    cohort: { type: 'boolean' },
    mirror: STAGE_MIRROR,
    bake: duration,
    clusters: { type: 'array', minItems: 1, items: { type: 'string', format: 'dns-label' } },
    // People in the loop (approval-rules.ts): `codeowners`, or a mapping; `format` and the
    // object keywords each apply to their own type only, so each form gets its own message.
    approval: {
      type: ['string', 'object'],
      format: 'approval-source',
      properties: {
        codeowners: { const: true },
        teams: { type: 'array', minItems: 1, items: { type: 'string', format: 'team' } },
        count: int(1, 100),
      },
      additionalProperties: false,
    },
  },
  ['name'],
);

/** Istio's validatePercentage range, without 0: a fault that never fires proves nothing. */
const DRILL_PERCENT: Schema = { type: 'number', minimum: 0.0001, maximum: 100 };

const limitsSchema = (maxSchema: Schema): Schema =>
  object({ max: maxSchema, maxVsStable: { type: 'number', minimum: 1 } });

export const ROLLOUT_SCHEMA: Schema = object(
  {
    // No `type` beside const / enum: a wrong type would then be reported twice.
    apiVersion: { const: INTENT_API_VERSION },
    kind: { const: INTENT_KIND },
    metadata: object(
      { name: { type: 'string', format: 'dns-label' }, namespace: { type: 'string', format: 'dns-label' } },
      ['name'],
    ),
    spec: object(
      {
        service: object(
          {
            host: { type: 'string', format: 'dns-subdomain' },
            port: int(1, 65535),
            // The host is a ServiceEntry host, used literally (constructs/istio/hosts.ts).
            serviceEntry: { type: 'boolean' },
            gateways: { type: 'array', minItems: 1, items: str },
          },
          ['host', 'port'],
        ),
        versionLabel: { type: 'string', format: 'label-key' },
        stable: { type: 'string', format: 'label-value' },
        canary: { type: 'string', format: 'label-value' },
        // cohort, shadow, router, gatewayApi, sticky (routing-schema.ts).
        ...ROUTING_PROPERTIES,
        stages: { type: 'array', minItems: 1, items: stageSchema },
        stage: str,
        // `abort:` with only a comment under it (as in docs/design.md §1) is YAML null: not aborted.
        abort: {
          ...object(
            {
              reason: str,
              at: { type: 'string', format: 'rfc3339' },
              // Only these clusters of a wave roll back (cluster-rules.ts, onClusterFailure: cluster).
              clusters: { type: 'array', minItems: 1, items: { type: 'string', format: 'dns-label' } },
            },
            ['reason', 'at'],
          ),
          type: ['object', 'null'],
        },
        // A rehearsal's fault on the cohort route (app/drill/fault.ts; docs/design.md §4, README "Rehearsals (drill)").
        drill: object({
          abort: object({ httpStatus: int(500, 599), percent: DRILL_PERCENT }, ['httpStatus', 'percent']),
          delay: object({ fixedDelay: duration, percent: DRILL_PERCENT }, ['fixedDelay', 'percent']),
        }),
        health: object({
          errorRatio: limitsSchema({ type: 'number', exclusiveMinimum: 0, maximum: 1 }),
          latencyP99Ms: limitsSchema({ type: 'number', exclusiveMinimum: 0 }),
          minRequests: {
            anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1 }],
            expected: 'a positive integer or "auto"',
          },
          saturation: object({ max: { type: 'number', exclusiveMinimum: 0, maximum: 1 } }),
        }),
        trafficPolicy: object({
          timeout: duration,
          retries: object({ attempts: int(0), perTryTimeout: duration, retryOn: str }, ['attempts']),
          // `false`: no outlier detection at all; absent: stagegate's default (model.ts OUTLIER_DEFAULTS).
          outlierDetection: {
            ...object({
              consecutive5xxErrors: int(0),
              consecutiveGatewayErrors: int(0),
              interval: duration,
              baseEjectionTime: duration,
              maxEjectionPercent: int(0, 100),
              minHealthPercent: int(0, 100),
            }),
            type: ['object', 'boolean'],
          },
          connectionPool: object({
            tcp: object({ maxConnections: int(1), connectTimeout: duration }),
            http: object({
              http1MaxPendingRequests: int(1),
              http2MaxRequests: int(1),
              maxRequestsPerConnection: int(0),
              maxRetries: int(0),
              idleTimeout: duration,
            }),
          }),
        }),
        timebox: object({ stage: duration, rollout: duration }),
        metrics: object({
          reporter: { enum: ['destination', 'source', 'waypoint'] },
          versionLabel: { enum: ['destination_version', 'destination_canonical_revision'] },
          timeScale: int(1, 3600),
          protocol: { enum: ['http', 'grpc'] },
          // Prometheus' scrape interval of the Istio metrics: sizes the short windows (promql/windows.ts).
          scrapeInterval: { ...duration, format: 'scrape-interval' },
        }),
        traffic: object({
          requestsPerSecond: { type: 'number', exclusiveMinimum: 0 },
          baselineErrorRatio: { type: 'number', minimum: 0, maximum: 1 },
        }),
        dashboard: { type: 'boolean' },
        // The PrometheusRule's metadata (what a Prometheus Operator ruleSelector reads).
        alerts: object({
          labels: {
            type: 'object',
            propertyNames: { type: 'string', format: 'label-key' },
            additionalProperties: { type: 'string', format: 'label-value' },
          },
          namespace: { type: 'string', format: 'dns-label' },
        }),
        // Which networking.istio.io version the VirtualService and DestinationRule are written in.
        istio: object({
          apiVersion: { enum: ['v1', 'v1beta1'] },
          // Istio releases the intent targets (constructs/istio/telemetry.ts), "1.N" inclusive.
          minVersion: { type: 'string', format: 'istio-minor' },
          maxVersion: { type: 'string', format: 'istio-minor' },
        }),
        // Waves across clusters (constructs/spec/cluster-rules.ts): each name is a generated/ folder.
        clusters: { type: 'array', minItems: 1, items: { type: 'string', format: 'dns-label' } },
        onClusterFailure: { enum: ['rollout', 'cluster'] },
        // User-defined health signals (signal-schema.ts).
        signals: SIGNALS_SCHEMA,
      },
      ['service', 'stable', 'canary', 'stages', 'stage'],
    ),
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
);

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** RFC 7230 `token`: what an HTTP header name may contain. */
const HEADER_TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TEAM_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[a-z0-9][a-z0-9_-]{0,99}$/;
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL_RE.test(s);
}

function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && s.split('.').every((part) => DNS_LABEL_RE.test(part));
}

function isLabelKey(s: string): boolean {
  const slash = s.lastIndexOf('/');
  const name = slash < 0 ? s : s.slice(slash + 1);
  const prefix = slash < 0 ? undefined : s.slice(0, slash);
  return name.length <= 63 && LABEL_NAME_RE.test(name) && (prefix === undefined || isDnsSubdomain(prefix));
}

function isRfc3339(s: string): boolean {
  const m = RFC3339_RE.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip.
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 61;
}

/** Each custom format: its check, and the message when a string fails it. */
const FORMATS: Record<string, { readonly test: (s: string) => boolean; readonly message: (s: string) => string }> = {
  'go-duration': {
    test: (s) => isDuration(s) && parseDuration(s) > 0,
    message: (s) =>
      isDuration(s)
        ? `must be longer than 0 (got ${show(s)})`
        : `must be a duration such as 500ms, 30s, 5m, 1h30m or 7d (got ${show(s)})`,
  },
  'dns-label': {
    test: isDnsLabel,
    message: (s) =>
      `must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit (got ${show(s)})`,
  },
  'dns-subdomain': {
    test: isDnsSubdomain,
    message: (s) =>
      `must be a Kubernetes Service name such as "checkout" or "checkout.shop.svc.cluster.local" (got ${show(s)})`,
  },
  'label-key': {
    test: isLabelKey,
    message: (s) => `must be a Kubernetes label key such as "version" or "app.kubernetes.io/version" (got ${show(s)})`,
  },
  'label-value': {
    test: (s) => s.length <= 63 && LABEL_NAME_RE.test(s),
    message: (s) =>
      s === ''
        ? 'must not be empty'
        : `must be a Kubernetes label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (got ${show(s)})`,
  },
  'header-name': {
    test: (s) => HEADER_TOKEN_RE.test(s) && s === s.toLowerCase(),
    // Istio accepts uppercase and Envoy lowercases header names before matching (HeaderData keeps a
    // LowerCaseString); stagegate keeps the one spelling HTTP/2 puts on the wire, as Istio's docs ask.
    message: (s) =>
      HEADER_TOKEN_RE.test(s)
        ? `must be lowercase, the spelling Envoy matches and Istio's docs ask for (got ${show(s)}; write ${show(s.toLowerCase())})`
        : `header name ${s} is not a valid header name (Istio's check: letters, digits and !#$%&'*+-.^_\`|~ only; got ${show(s)})`,
  },
  'cookie-name': {
    // RFC 6265 §4.1.1: cookie-name is an RFC 2616 token, the characters of a header name.
    test: (s) => HEADER_TOKEN_RE.test(s),
    message: (s) => `must be a cookie name: letters, digits and !#$%&'*+-.^_\`|~ only (got ${show(s)})`,
  },
  'max-age': {
    // Set-Cookie Max-Age is a number of seconds (RFC 6265 §5.2.2).
    test: (s) => isDuration(s) && parseDuration(s) >= 1000 && parseDuration(s) % 1000 === 0,
    message: (s) =>
      isDuration(s)
        ? `must be whole seconds, at least 1s: a cookie's Max-Age counts seconds (got ${show(s)})`
        : `must be a duration such as 30m, 24h or 7d (got ${show(s)})`,
  },
  'scrape-interval': {
    test: (s) => isDuration(s) && parseDuration(s) > 0 && parseDuration(s) <= SCRAPE_INTERVAL_LIMIT_MS,
    message: (s) =>
      isDuration(s) && parseDuration(s) > 0
        ? `must be at most 2m: the 5m burn-rate window needs at least two scrapes (got ${show(s)})`
        : `must be a duration such as 15s, 30s or 1m (got ${show(s)})`,
  },
  'istio-minor': {
    test: (s) => /^1\.\d{1,3}$/.test(s) && Number(s.slice(2)) >= SUPPORTED_MIN_MINOR,
    message: (s) =>
      /^1\.\d{1,3}$/.test(s)
        ? `must be 1.${SUPPORTED_MIN_MINOR} or later: stagegate relies on the Istio telemetry of 1.${SUPPORTED_MIN_MINOR}+ (got ${show(s)})`
        : `must be an Istio minor release such as "1.22" or "1.29" (got ${show(s)})`,
  },
  'approval-source': {
    test: (s) => s === 'codeowners',
    message: (s) =>
      `must be codeowners, or a mapping such as { codeowners: true, count: 2 } or { teams: [org/team] } (got ${show(s)})`,
  },
  team: {
    // An organization login (letters, digits, "-", at most 39) and a team slug (lowercase, digits, "-", "_"):
    // GET /orgs/{org}/teams/{team_slug}/memberships/{username} takes both.
    test: (s) => TEAM_RE.test(s),
    message: (s) =>
      s.startsWith('@')
        ? `must be org/team-slug without the "@" CODEOWNERS puts in front (got ${show(s)}; write ${show(s.slice(1))})`
        : `must be a team as org/team-slug, such as "acme/payments-oncall" (got ${show(s)})`,
  },
  rfc3339: {
    test: isRfc3339,
    message: (s) => `must be an RFC 3339 timestamp such as 2026-11-26T10:00:00Z (got ${show(s)})`,
  },
};

let compiled: ValidateFunction | undefined;

/** The compiled validator; compiled on first use so importing the library stays cheap. */
export function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
    for (const [name, format] of Object.entries(FORMATS))
      ajv.addFormat(name, { type: 'string', validate: format.test });
    compiled = ajv.compile(ROLLOUT_SCHEMA);
  }
  return compiled;
}

/** How a found value is shown after "got": strings quoted, collections by kind. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function describeRange(schema: Schema): string {
  const { minimum, maximum, exclusiveMinimum } = schema as {
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
  };
  if (minimum !== undefined && maximum !== undefined) return `between ${minimum} and ${maximum}`;
  if (exclusiveMinimum !== undefined && maximum !== undefined)
    return `greater than ${exclusiveMinimum} and at most ${maximum}`;
  if (exclusiveMinimum !== undefined) return `greater than ${exclusiveMinimum}`;
  if (minimum !== undefined) return `at least ${minimum}`;
  return `at most ${maximum}`;
}

/** Damerau–Levenshtein (optimal string alignment): "wieght" is one swap from "weight". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = name.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, name);
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

export interface SchemaProblem {
  /** JSON pointer segments of the offending value (or of the missing / unknown key). */
  readonly segments: readonly string[];
  readonly message: string;
  /** True for an unknown key: positions point at the key, not its value. */
  readonly atKey: boolean;
  /** For an unknown key that looks like a typo: the field it was probably meant to be. */
  readonly suggestion?: string;
}

/** ajv errors → one human message per problem. */
export function humanize(errors: readonly ErrorObject[]): SchemaProblem[] {
  const pointer = (p: string): string[] =>
    p === ''
      ? []
      : p
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // An anyOf failure also reports why each branch failed; its own `expected` text says it all.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: SchemaProblem[] = [];
  for (const e of errors) {
    if (anyOfPaths.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    const segments = pointer(e.instancePath);
    const got = show(e.data);
    const parent = (e.parentSchema ?? {}) as Schema;
    switch (e.keyword) {
      case 'required': {
        out.push({
          segments: [...segments, (e.params as { missingProperty: string }).missingProperty],
          message: 'is required',
          atKey: false,
        });
        break;
      }
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((parent.properties as Schema | undefined) ?? {});
        const guess = closestMatch(key, allowed);
        const hint = guess ? `did you mean ${JSON.stringify(guess)}?` : `allowed: ${allowed.join(', ')}`;
        out.push({
          segments: [...segments, key],
          message: `unknown field ${JSON.stringify(key)} (${hint})`,
          atKey: true,
          suggestion: guess,
        });
        break;
      }
      case 'type': {
        const types = ([] as string[]).concat(e.schema as string | string[]).filter((t) => t !== 'null');
        out.push({
          segments,
          message: `must be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')} (got ${got})`,
          atKey: false,
        });
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        out.push({ segments, message: `must be ${describeRange(parent)} (got ${got})`, atKey: false });
        break;
      case 'const':
        out.push({ segments, message: `must be ${String(e.schema)} (got ${got})`, atKey: false });
        break;
      case 'enum':
        out.push({
          segments,
          message: `must be one of: ${(e.schema as unknown[]).join(', ')} (got ${got})`,
          atKey: false,
        });
        break;
      case 'minLength':
      case 'minItems':
        out.push({ segments, message: 'must not be empty', atKey: false });
        break;
      // A key that fails `propertyNames` (alerts.labels): its format error below says why, at the key.
      case 'propertyNames':
        break;
      case 'format': {
        const format = FORMATS[e.schema as string];
        const key = (e as { propertyName?: string }).propertyName;
        if (key !== undefined) {
          out.push({ segments: [...segments, key], message: format!.message(key), atKey: true });
          break;
        }
        out.push({
          segments,
          message: format ? format.message(e.data as string) : `must be a ${String(e.schema)} (got ${got})`,
          atKey: false,
        });
        break;
      }
      case 'anyOf':
        out.push({
          segments,
          message: `must be ${String(parent.expected ?? 'one of the allowed forms')} (got ${got})`,
          atKey: false,
        });
        break;
      default:
        out.push({ segments, message: `${e.message ?? 'is invalid'} (got ${got})`, atKey: false });
    }
  }
  return out;
}
