/**
 * Cross-field rules of `spec.cohort` (schema.ts checks each field's shape): one of the two forms,
 * conditions in every alternative, Istio's StringMatch checks (istio/istio
 * pkg/config/validation/validation.go `validateStringMatch`, `validateStringRegexp`; virtualservice.go
 * `validateHTTPRouteMatchRequest`) in Istio's words, and what a cookie or a source label can match.
 */
import { COOKIE_VALUE_RE } from '../istio/cookies.js';
import { regexErrors } from '../istio/re2.js';

type Rec = Record<string, unknown>;
type Add = (path: (string | number)[], message: string) => void;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});

const MATCH_KINDS = ['exact', 'prefix', 'regex'] as const;
const CONDITIONS: readonly string[] = ['headers', 'cookie', 'sourceLabels'];

/** Problems of `spec.cohort`, each at the field the user wrote. */
export function cohortRules(spec: Rec, add: Add): void {
  if (!isRecord(spec.cohort)) return;
  const cohort = spec.cohort;
  const short = cohort.header !== undefined || cohort.values !== undefined;
  if (short && cohort.match !== undefined) {
    add(['cohort', 'match'], 'write either header + values or match, not both');
    return;
  }
  if (!short && cohort.match === undefined) {
    add(['cohort'], 'needs header and values (exact header values), or match (alternatives of conditions)');
    return;
  }
  if (short) {
    if (cohort.header === undefined) add(['cohort', 'header'], 'is required');
    if (cohort.values === undefined) add(['cohort', 'values'], 'is required');
    return;
  }
  const gateways = Array.isArray(rec(spec.service).gateways) ? (rec(spec.service).gateways as unknown[]) : ['mesh'];
  (Array.isArray(cohort.match) ? cohort.match : []).forEach((raw, i) => {
    if (!isRecord(raw)) return;
    alternativeRules(raw, gateways, (path, message) => add(['cohort', 'match', i, ...path], message));
  });
}

function alternativeRules(alt: Rec, gateways: readonly unknown[], add: Add): void {
  // An unknown key (a typo of one of these) is the schema's to report.
  if (Object.keys(alt).some((k) => !CONDITIONS.includes(k))) return;
  if (alt.headers === undefined && alt.cookie === undefined && alt.sourceLabels === undefined) {
    add(
      [],
      'needs at least one of headers, cookie, sourceLabels: an alternative with no condition matches every request',
    );
    return;
  }
  for (const [name, sm] of Object.entries(rec(alt.headers))) {
    stringMatchRules(rec(sm), 'headers', (path, m) => add(['headers', name, ...path], m));
    if (name === 'cookie' && alt.cookie !== undefined)
      add(
        ['headers', name],
        'cookie is matched through the cookie header, and Istio has one match per header; use cookie or headers.cookie, not both',
      );
  }
  if (isRecord(alt.cookie)) {
    const cookie = alt.cookie;
    stringMatchRules(cookie, 'headers', (path, m) => add(['cookie', ...path], m));
    for (const kind of ['exact', 'prefix'] as const) {
      const v = cookie[kind];
      if (typeof v === 'string' && !COOKIE_VALUE_RE.test(v))
        add(
          ['cookie', kind],
          `must be a cookie value: no spaces, double quotes, commas, semicolons or backslashes (RFC 6265 cookie-octet; got ${JSON.stringify(v)})`,
        );
    }
  }
  if (isRecord(alt.sourceLabels)) {
    // Keys and values are Kubernetes label syntax (schema.ts), which is Istio's labels.Instance.Validate.
    if (!gateways.includes('mesh'))
      add(
        ['sourceLabels'],
        'matches only requests from sidecars: Istio applies sourceLabels on the mesh gateway alone (HTTPMatchRequest docs); add mesh to spec.service.gateways or match on headers',
      );
  }
}

/** Istio's StringMatch: one of exact, prefix, regex; no empty prefix; a regex RE2 compiles. */
function stringMatchRules(sm: Rec, where: string, add: Add): void {
  const given = MATCH_KINDS.filter((k) => sm[k] !== undefined);
  if (given.length !== 1) {
    const found = given.length === 0 ? 'none' : given.join(' and ');
    add([], `must set exactly one of exact, prefix, regex (Istio's StringMatch is a oneof; got ${found})`);
    return;
  }
  if (sm.prefix === '') add(['prefix'], `${JSON.stringify(where)}: prefix string match should not be empty`);
  if (typeof sm.regex === 'string') for (const m of regexErrors(sm.regex, where)) add(['regex'], m);
}
