/**
 * RolloutModel factory for tests that run before (or without) the spec parser: a realistic
 * rollout (docs/design.md §1's checkout) whose fields can be overridden one by one.
 */
import type { HealthModel, RolloutModel, StageModel } from '../../constructs/model.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const CHECKOUT_STAGES: readonly StageModel[] = [
  { name: 'internal', weight: 0, cohort: true, bakeMs: 30 * MINUTE },
  { name: 'one-percent', weight: 1, cohort: true, bakeMs: HOUR },
  { name: 'ten-percent', weight: 10, cohort: true, bakeMs: 2 * HOUR },
  { name: 'half', weight: 50, cohort: true, bakeMs: 2 * HOUR },
  { name: 'full', weight: 100, cohort: true },
];

export interface ModelOverrides extends Partial<Omit<RolloutModel, 'health' | 'traffic' | 'metrics'>> {
  readonly health?: Partial<HealthModel>;
  readonly traffic?: Partial<RolloutModel['traffic']>;
  readonly metrics?: Partial<RolloutModel['metrics']>;
}

export function rolloutModel(overrides: ModelOverrides = {}): RolloutModel {
  const { health, traffic, metrics, ...rest } = overrides;
  return {
    name: 'checkout',
    namespace: 'shop',
    service: { host: 'checkout', port: 8080, gateways: ['mesh'] },
    versionLabel: 'version',
    stable: 'v1',
    canary: 'v2',
    cohort: { label: 'x-stagegate-cohort', match: [{ headers: { 'x-stagegate-cohort': { exact: 'internal' } } }] },
    stages: CHECKOUT_STAGES,
    stage: 'one-percent',
    health: {
      errorRatio: { max: 0.01, maxVsStable: 2 },
      latencyP99Ms: { max: 300, maxVsStable: 1.5 },
      minRequests: 'auto',
      saturation: { max: 0.01 },
      ...health,
    },
    trafficPolicy: {},
    timebox: { stageMs: 24 * HOUR, rolloutMs: 7 * 24 * HOUR },
    metrics: {
      reporter: 'destination',
      versionLabel: 'destination_version',
      timeScale: 1,
      protocol: 'http',
      ...metrics,
    },
    traffic: { requestsPerSecond: 400, baselineErrorRatio: 0.002, ...traffic },
    dashboard: false,
    ...rest,
  };
}
