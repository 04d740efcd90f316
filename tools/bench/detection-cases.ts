/**
 * The simulated scenario of the detection benchmark: one stage of a canary at a fixed weight for
 * an hour, regressions starting at minute 20, on a 100 rps service (docs/design.md §2).
 */
import type { RolloutModel } from '../../constructs/model.js';
import { BLIP_MAX_MS } from '../../constructs/promql/windows.js';
import type { RolloutDocument } from '../../constructs/spec/types.js';
import { latencyCdf, type VersionBehaviour } from './traffic.js';

export const NAMESPACE = 'bench';
export const SERVICE_RPS = 100;
/** Canary weights the cases run at: an early stage and a half split. */
export const WEIGHTS: readonly number[] = [10, 50];
export const BASELINE_ERRORS = 0.001;
export const MEDIAN_MS = 70;
export const LATENCY_MAX_MS = 300;
export const ERROR_MAX = 0.01;
export const SCRAPE_SECONDS = 30;
export const EVAL_SECONDS = 60;
export const HORIZON_SECONDS = 60 * 60;
export const ONSET_SECONDS = 20 * 60;
export const BLIP_SECONDS = BLIP_MAX_MS / 1000;

export type CaseKind = 'healthy' | 'blip' | 'regression' | 'no-traffic';

export interface Case {
  readonly name: string;
  readonly kind: CaseKind;
  readonly weight: number;
  /** The intent calls it a regression: it must roll back. */
  readonly mustDetect: boolean;
  readonly canary: (onset: number) => VersionBehaviour;
  /** Canary share of bad requests (5xx, or above the latency limit) after onset (for the floor). */
  readonly badShare?: number;
}

export interface Rollout {
  readonly name: string;
  readonly testCase: Case;
  readonly model: RolloutModel;
}

export const stable = (weight: number): VersionBehaviour => ({
  rps: SERVICE_RPS * (1 - weight / 100),
  errorRatio: () => BASELINE_ERRORS,
  medianMs: () => MEDIAN_MS,
});
export const canaryRps = (weight: number) => (SERVICE_RPS * weight) / 100;

// traffic.ts draws the requests of each scrape interval (t − scrape, t] with the behaviour at its
// end t, so a change "at onset" must apply from the first interval ending *after* it: with
// `t >= onset` the interval (onset − scrape, onset] was already bad and every detection time
// (measured from onset) came out one scrape interval too short, for both detectors.
const after = (onset: number, before: number, then: number) => (t: number) => (t > onset ? then : before);

function casesAt(weight: number): Case[] {
  const rps = canaryRps(weight);
  const errors = (k: number): Case => ({
    name: `errors-x${k}@${weight}`,
    kind: 'regression',
    weight,
    mustDetect: true,
    badShare: k * ERROR_MAX,
    canary: (o) => ({ rps, errorRatio: after(o, BASELINE_ERRORS, k * ERROR_MAX), medianMs: () => MEDIAN_MS }),
  });
  const latency = (k: number, mustDetect: boolean): Case => ({
    name: `latency-x${k}@${weight}`,
    kind: 'regression',
    weight,
    mustDetect,
    badShare: 1 - latencyCdf(LATENCY_MAX_MS, MEDIAN_MS * k),
    canary: (o) => ({ rps, errorRatio: () => BASELINE_ERRORS, medianMs: after(o, MEDIAN_MS, MEDIAN_MS * k) }),
  });
  return [
    {
      name: `healthy@${weight}`,
      kind: 'healthy',
      weight,
      mustDetect: false,
      canary: () => ({ ...stable(weight), rps }),
    },
    {
      name: `blip-${BLIP_SECONDS}s@${weight}`,
      kind: 'blip',
      weight,
      mustDetect: false,
      canary: (o) => ({
        rps,
        errorRatio: (t) => (t > o && t <= o + BLIP_SECONDS ? 1 : BASELINE_ERRORS),
        medianMs: () => MEDIAN_MS,
      }),
    },
    errors(2),
    errors(5),
    errors(10),
    // ×1.5 puts the canary p99 exactly at maxVsStable × stable: the intent calls that healthy.
    latency(1.5, false),
    latency(3, true),
  ];
}

/** Every case at every weight, and a canary that never gets a request (the Service routes none). */
export function allCases(): Case[] {
  return [
    ...WEIGHTS.flatMap(casesAt),
    {
      name: 'no-traffic@10',
      kind: 'no-traffic',
      weight: 10,
      mustDetect: false,
      canary: () => ({ rps: 0, errorRatio: () => 0, medianMs: () => MEDIAN_MS }),
    },
  ];
}

export function simIntent(name: string, weight: number): RolloutDocument {
  return {
    apiVersion: 'stagegate.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      service: { host: name, port: 8080 },
      stable: 'v1',
      canary: 'v2',
      stages: [
        { name: 'canary', weight, bake: '1h' },
        { name: 'full', weight: 100 },
      ],
      stage: 'canary',
      health: {
        errorRatio: { max: ERROR_MAX, maxVsStable: 2 },
        latencyP99Ms: { max: LATENCY_MAX_MS, maxVsStable: 1.5 },
      },
      traffic: { requestsPerSecond: SERVICE_RPS, baselineErrorRatio: BASELINE_ERRORS },
    },
  };
}
