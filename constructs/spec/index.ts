/** The intent spec layer: YAML / props → schema → cross-field rules → resolved model. */
export type * from './types.js';
export { formatPath, validateDocument, type Problem } from './validate.js';
export {
  formatProblem,
  IntentError,
  locateInIntent,
  MAX_INTENT_BYTES,
  parseIntent,
  type ParseResult,
  type SourceProblem,
} from './load.js';
export { toModel } from './to-model.js';
export { ROLLOUT_SCHEMA } from './schema.js';
