/**
 * Schema of `spec.signals`: user-defined health signals (README "User-defined signals"). The shape
 * of each field only; the template's PromQL and the cross-field rules are in signal-rules.ts.
 */
import { duration, int, object, str } from './schema-parts.js';

const signalSchema = object(
  {
    name: { type: 'string', format: 'dns-label' },
    query: str,
    bad: { enum: ['higher', 'lower'] },
    limit: { type: 'number' },
    maxVsStable: { type: 'number', minimum: 1 },
    action: { enum: ['rollback', 'hold'] },
    window: duration,
    minSamples: int(1),
    // A reference to a repository template not found in rollouts/_defaults.yaml (spec/signal-templates.ts).
    template: { type: 'string', format: 'dns-label' },
    parameters: { type: 'object', additionalProperties: { type: 'string' } },
  },
  ['name'],
);

export const SIGNALS_SCHEMA = { type: 'array', items: signalSchema };
