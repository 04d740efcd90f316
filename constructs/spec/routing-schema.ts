/**
 * The routing fields of the intent's schema (issue #14): cohort (short form or match), shadow,
 * router + gatewayApi, sticky, and a stage's mirror. Shapes only; the rules that relate fields
 * are in cohort-rules.ts, shadow-rules.ts and router-rules.ts, with Istio's and Gateway API's words.
 */
import { duration, object, type Schema, str } from './schema-parts.js';

/** Istio's StringMatch; "exactly one of" and the RE2 dialect are checked in cohort-rules.ts. */
const stringMatch = object({ exact: { type: 'string' }, prefix: { type: 'string' }, regex: { type: 'string' } });

const cohortMatch = object({
  headers: {
    type: 'object',
    propertyNames: { type: 'string', format: 'header-name' },
    additionalProperties: stringMatch,
  },
  cookie: object(
    { name: { type: 'string', format: 'cookie-name' }, ...(stringMatch.properties as Record<string, Schema>) },
    ['name'],
  ),
  sourceLabels: {
    type: 'object',
    propertyNames: { type: 'string', format: 'label-key' },
    additionalProperties: { type: 'string', format: 'label-value' },
  },
});

/** Shadow stage: percent of stable's requests mirrored to canary (Istio mirrorPercentage, a double). */
export const STAGE_MIRROR: Schema = { type: 'number', exclusiveMinimum: 0, maximum: 100 };

export const ROUTING_PROPERTIES: Record<string, Schema> = {
  cohort: object({
    header: { type: 'string', format: 'header-name' },
    values: { type: 'array', minItems: 1, items: str },
    // Instead of header + values (cohort-rules.ts): alternatives, each a set of conditions.
    match: { type: 'array', minItems: 1, items: cohortMatch },
  }),
  shadow: object(
    {
      duplicatesSafe: { type: 'boolean' },
      minRequests: {
        anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1 }],
        expected: 'a positive integer or "auto"',
      },
    },
    ['duplicatesSafe'],
  ),
  router: { enum: ['istio', 'gateway-api'] },
  gatewayApi: object({
    stableService: { type: 'string', format: 'dns-label' },
    canaryService: { type: 'string', format: 'dns-label' },
  }),
  // Sticky canary (istio/sticky.ts): the cookie and how long it keeps a user on canary.
  sticky: object({ cookie: { type: 'string', format: 'cookie-name' }, maxAge: { ...duration, format: 'max-age' } }),
};
