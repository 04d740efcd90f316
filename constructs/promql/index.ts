/** Typed PromQL for stagegate: the AST and renderer, Istio selectors, rollout queries and timing policy. */
export * from './ast.js';
export * from './istio.js';
export * from './rollout-queries.js';
export * from './windows.js';
