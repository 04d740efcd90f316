/**
 * Istio's semantic validation applied to the intent fields that end up in a VirtualService or a
 * DestinationRule, so what Istio's validating webhook would refuse is reported at
 * `file:line:column` before anything compiles. The rules themselves are in
 * `../istio/validation.ts`; this file only maps intent fields onto them and adds the fix.
 * Each message starts with Istio's own text.
 */
import {
  gatewayNameMessages,
  ISTIO_SUPPORTED,
  MAX_EJECTION_ZERO,
  q,
  RETRY_ON_POLICIES,
  retryErrors,
  retryOnPolicies,
} from '../istio/validation.js';
import { isDuration, parseDuration } from '../duration.js';
import { closestMatch } from './schema.js';

type Rec = Record<string, unknown>;
type Add = (path: (string | number)[], message: string) => void;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});

const REFUSED = "Istio's validating webhook refuses it";

/** Istio's errors for the intent's retries, gateways, outlier detection and connection pool. */
export function istioIntentRules(spec: Rec, add: Add): void {
  const minor = targetMinor(spec);
  retryRules(rec(rec(spec.trafficPolicy).retries), add, minor);
  gatewayRules(rec(spec.service).gateways, add);
  const policy = rec(spec.trafficPolicy);
  const od = policy.outlierDetection;
  if (isRecord(od) && od.maxEjectionPercent === 0) {
    add(
      ['trafficPolicy', 'outlierDetection', 'maxEjectionPercent'],
      `${MAX_EJECTION_ZERO} (pilot applyOutlierDetection); write a value from 1 to 100, or outlierDetection: false for none`,
    );
  }
  const pool = policy.connectionPool;
  if (isRecord(pool) && pool.tcp === undefined && pool.http === undefined) {
    add(
      ['trafficPolicy', 'connectionPool'],
      `connection pool must have at least one field (${REFUSED}; set tcp or http, or remove it)`,
    );
  }
}

/** The oldest Istio minor the intent targets (`istio.minVersion: "1.N"`), else the oldest supported. */
function targetMinor(spec: Rec): number {
  const m = /^1\.(\d+)$/.exec(String(rec(spec.istio).minVersion ?? ''));
  return m ? Math.max(Number(m[1]), ISTIO_SUPPORTED.oldestMinor) : ISTIO_SUPPORTED.oldestMinor;
}

function retryRules(retries: Rec, add: Add, minor: number): void {
  if (typeof retries.attempts !== 'number') return;
  const perTry = retries.perTryTimeout;
  const retryOn = typeof retries.retryOn === 'string' ? retries.retryOn : undefined;
  const messages = retryErrors(
    {
      attempts: retries.attempts,
      // Intent durations are whole milliseconds above 0 (the schema), which ValidateDuration accepts.
      ...(typeof perTry === 'string' && isDuration(perTry) ? { perTryTimeoutNanos: parseDuration(perTry) * 1e6 } : {}),
      ...(retryOn !== undefined ? { retryOn } : {}),
    },
    minor,
  );
  const accepted = retryOnPolicies(minor);
  for (const m of messages) {
    if (m.message.startsWith('http retry policy configured')) {
      add(
        ['trafficPolicy', 'retries', 'attempts'],
        `${m.message} (${REFUSED}; remove perTryTimeout and retryOn, or set attempts to 1 or more)`,
      );
    } else if (m.path[0] === 'retryOn' && retryOn !== undefined) {
      add(
        ['trafficPolicy', 'retries', 'retryOn'],
        `${m.message} (${REFUSED}; ${retryOnFix(m.message, retryOn, accepted, minor)})`,
      );
    } else if (m.path[0] !== 'attempts') {
      add(['trafficPolicy', 'retries', String(m.path[0])], `${m.message} (${REFUSED})`);
    }
  }
}

function retryOnFix(message: string, retryOn: string, accepted: readonly string[], minor: number): string {
  const part = JSON.parse(message.slice(0, message.indexOf('" is not') + 1)) as string;
  if (part.trim() !== part || part === '') {
    const cleaned = retryOn
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .join(',');
    return `Istio splits retryOn on "," without trimming spaces; write ${q(cleaned)}`;
  }
  const later = RETRY_ON_POLICIES.find((p) => p.name === part && p.sinceMinor > minor);
  if (later) return `Istio 1.${minor} does not know it; it is accepted from Istio 1.${later.sinceMinor} on`;
  const guess = closestMatch(part, accepted);
  const hint = guess ? `did you mean ${q(guess)}? ` : '';
  return `${hint}Istio 1.${minor} accepts ${accepted.join(', ')} or an HTTP status code such as 503`;
}

function gatewayRules(gateways: unknown, add: Add): void {
  if (!Array.isArray(gateways)) return;
  // Each name on its own: Istio stops at the first name without "/" (a quirk that lets
  // `[mesh, ns/bad_name]` through); an intent gets every name checked.
  for (const [i, name] of gateways.entries()) {
    if (typeof name !== 'string' || name === '') continue;
    for (const m of gatewayNameMessages([name])) {
      if (m.level === 'error')
        add(
          ['service', 'gateways', i],
          `${m.message} (Istio's gateway name rule; write <namespace>/<name> of DNS-1123 labels, or mesh)`,
        );
      else add(['service', 'gateways', i], `${m.message} (stagegate writes only the form Istio recommends)`);
    }
  }
}
