/**
 * The fault a drill injects (issue #16 `stagegate drill`, first slice): an Istio
 * `HTTPFaultInjection` (abort with an HTTP status and a percentage, or a fixed delay) on the
 * route of a staged copy that sends traffic to the canary only, checked twice before any PR:
 * - semantics as Istio's webhook judges them, istio/istio@86c9f01 (master 2026-08-22)
 *   pkg/config/validation/validation.go: `validateHTTPFaultInjection` l.2526 (abort and/or
 *   delay), `validateHTTPFaultInjectionAbort` l.2541, `validateHTTPStatus` l.2563 (refuses
 *   < 200 and > 600: 600 itself passes although the message says 200-599),
 *   `validateHTTPFaultInjectionDelay` l.2579 (`agent.ValidateDuration`: ≥ 1 ms, whole ms;
 *   exponentialDelay refused), `validatePercentage` l.355 (0, or 0.0001..100);
 * - the schema: the VirtualService construct compiles `spec.drill` into the cohort route's `fault`
 *   (constructs/virtual-service.ts `drillFault`), checked against the CRD in test/constructs/drill.test.ts.
 *
 * Istio applies `fault` per HTTP route, before a weighted destination is picked, so a fault on
 * the weighted default route would hit stable as much as canary and the gate, which compares
 * canary with stable, might never turn red. The drill therefore faults only a route whose every
 * destination is the canary subset (the cohort route), and refuses a stage without one.
 */
import { durationErrors } from '../../constructs/istio/validation.js';

export type DrillFault =
  | { readonly kind: 'abort'; readonly httpStatus: number; readonly percent: number }
  | { readonly kind: 'delay'; readonly fixedDelayMs: number; readonly percent: number };

/** `validatePercentage`. */
function percentageErrors(value: number): string[] {
  return value < 0 || value > 100 || (value > 0 && value < 0.0001)
    ? [`percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`]
    : [];
}

/** Istio's errors for `fault`, plus stagegate's own: a drill whose fault never fires proves nothing. */
export function faultErrors(fault: DrillFault): string[] {
  const errs = percentageErrors(fault.percent);
  if (fault.kind === 'abort') {
    if (!Number.isInteger(fault.httpStatus)) errs.push(`httpStatus ${fault.httpStatus} must be a whole number`);
    else if (fault.httpStatus < 200 || fault.httpStatus > 600)
      errs.push(`HTTP status ${fault.httpStatus} is not in range 200-599`);
    // Our rule, not Istio's: the rules count 5xx as errors (promql/istio.ts SERVER_ERRORS).
    else if (fault.httpStatus < 500 || fault.httpStatus > 599)
      errs.push(`httpStatus ${fault.httpStatus}: the error rules count 5xx only, so the gate would never turn red`);
  } else {
    errs.push(...durationErrors(fault.fixedDelayMs * 1_000_000));
  }
  if (fault.percent === 0) errs.push('percentage 0 injects nothing; the drill could not turn the gate red');
  return errs;
}

/** The refusal when a stage has no canary-only route (open.ts). */
export const NO_CANARY_ONLY_ROUTE =
  'no route of this stage sends traffic to the canary only: Istio applies a fault per route, before the weighted destination is picked, so it would hit stable too; drill a stage with the cohort route';

/** A namespace marked as staging: `staging`, `staging-…`, `…-staging`, or one named with `--staging-namespace`. */
export function isStagingNamespace(namespace: string, named: readonly string[] = []): boolean {
  return named.includes(namespace) || /(^|-)staging($|-)/.test(namespace);
}

/**
 * Whether a drill may run: a rollout counts as production unless its namespace is marked as
 * staging ({@link isStagingNamespace}); production needs `--yes-production` twice (one flag is
 * easy to paste from history; two say it was meant). Returns the refusal, or undefined.
 */
export function drillRefusal(namespace: string, staging: readonly string[], yesProduction: number): string | undefined {
  if (isStagingNamespace(namespace, staging) || yesProduction >= 2) return undefined;
  return `refusing to drill in ${namespace}: it is not marked as staging (staging, staging-*, *-staging or --staging-namespace ${namespace}), so it counts as production; give --yes-production twice to drill it anyway${yesProduction === 1 ? ' (given once)' : ''}`;
}
