// The construct library's table of contents.
export * from './staged-rollout.js';
export * from './rollout-resources.js';
export * from './virtual-service.js';
export * from './http-route.js';
export * from './destination-rule.js';
export * from './rollout-alerts.js';
export * from './rollout-dashboard.js';
export * from './model.js';
export * from './duration.js';
export * from './conventions.js';
export * from './compile.js';
export * from './spec/index.js';
export type * from './spec/types.js';
