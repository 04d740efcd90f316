/**
 * `stagegate bench`: every benchmark of one run, each figure as a ratio against a baseline
 * measured in the same run (so a slow machine slows both sides).
 */
import { runBotBench, type BotReport } from './bot.js';
import { runDetectionBench, type DetectionReport } from './detection.js';
import { runFleetBench, type FleetReport } from './fleet.js';
import { RULE_COST_VARIANTS, runRuleCostBench, type RuleCostReport, type RuleCostVariant } from './rule-cost.js';
import { runSynthBench, type SynthReport } from './synth.js';

export type BenchName = 'synth' | 'detection' | 'bot' | 'rules' | 'fleet';
export const BENCH_NAMES: readonly BenchName[] = ['synth', 'detection', 'bot', 'rules', 'fleet'];

export interface BenchOptions {
  /** Under a minute: small sizes, few simulated rollouts. */
  readonly quick: boolean;
  readonly only?: readonly BenchName[];
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface BenchReport {
  readonly quick: boolean;
  readonly node: string;
  readonly cpus: number;
  readonly synth?: SynthReport;
  readonly detection?: DetectionReport;
  readonly bot?: BotReport;
  readonly rules?: RuleCostReport;
  readonly fleet?: FleetReport;
}

/** Sizes of a run; tests pass tiny ones. */
export interface BenchSizes {
  readonly synthSizes: readonly number[];
  readonly cdk8sMax: number;
  readonly profileAt?: number;
  /** Runs of each synth task per size, alternating ours and cdk8s; the fastest counts. @default 1 */
  readonly synthRepeats?: number;
  /** Runs of `synth --stdout` through the bin (median counts); 0 skips it. @default 5 */
  readonly stdoutRuns?: number;
  /** Healthy detection rollouts per canary weight. */
  readonly healthy: number;
  readonly perCase: number;
  readonly botSizes: readonly number[];
  /** Rollouts of the fleet part (fleet.ts), each measured one-cluster and × 3 clusters. */
  readonly fleetSizes?: readonly number[];
  /** Rule cost in a real Prometheus (rule-cost.ts). @default by `quick` */
  readonly ruleCost?: RuleCostSizes;
}

export interface RuleCostSizes {
  readonly sizes: readonly number[];
  readonly historyMinutes: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
}

/** 6 h 10 m of requests (the slow burn window reads 6 h); two evaluations of warm-up; 3 measured minutes. */
export const FULL_RULE_COST: RuleCostSizes = {
  sizes: [100, 500],
  historyMinutes: 370,
  warmupSeconds: 130,
  measureSeconds: 180,
};
/** A smoke run: the 6 h windows read 70 min only. */
export const QUICK_RULE_COST: RuleCostSizes = {
  sizes: [20],
  historyMinutes: 70,
  warmupSeconds: 130,
  measureSeconds: 60,
};

export const FULL: BenchSizes = {
  synthSizes: [100, 1000, 5000],
  cdk8sMax: 1000,
  profileAt: 1000,
  synthRepeats: 3,
  stdoutRuns: 5,
  // Per canary weight (detection-cases.ts WEIGHTS): 1,000 healthy runs in all.
  healthy: 500,
  perCase: 40,
  botSizes: [20, 100],
  fleetSizes: [20, 100],
};
export const QUICK: BenchSizes = {
  synthSizes: [40, 200],
  cdk8sMax: 200,
  stdoutRuns: 3,
  healthy: 50,
  perCase: 5,
  botSizes: [3, 6],
  fleetSizes: [5, 10],
};

/**
 * `RULE_COST_VARIANT=fleet` measures the fleet-wide recordings (constructs/fleet-rules.ts) instead
 * of the per-rollout rules synth writes, `fleet-alerts` the fleet-wide alerts too
 * (constructs/fleet-alerts.ts); anything else is refused.
 */
export function ruleCostVariant(env: NodeJS.ProcessEnv = process.env): RuleCostVariant | undefined {
  const v = env.RULE_COST_VARIANT;
  if (v === undefined || v === '') return undefined;
  if (!(RULE_COST_VARIANTS as readonly string[]).includes(v))
    throw new Error(`RULE_COST_VARIANT must be one of ${RULE_COST_VARIANTS.join(', ')} (got ${JSON.stringify(v)})`);
  return v as RuleCostVariant;
}

export async function runBench(
  opts: BenchOptions,
  sizes: BenchSizes = opts.quick ? QUICK : FULL,
): Promise<BenchReport> {
  const want = (name: BenchName) => !opts.only || opts.only.includes(name);
  const timeoutMs = opts.quick ? 60_000 : 300_000;
  const base = { signal: opts.signal, log: opts.log, timeoutMs };
  const synth = want('synth')
    ? await runSynthBench({
        ...base,
        sizes: sizes.synthSizes,
        cdk8sMax: sizes.cdk8sMax,
        ...(sizes.profileAt ? { profileAt: sizes.profileAt } : {}),
        ...(sizes.stdoutRuns !== undefined ? { stdoutRuns: sizes.stdoutRuns } : {}),
        ...(sizes.synthRepeats !== undefined ? { repeats: sizes.synthRepeats } : {}),
      })
    : undefined;
  const detection = want('detection')
    ? await runDetectionBench({ ...base, healthy: sizes.healthy, perCase: sizes.perCase })
    : undefined;
  const bot = want('bot')
    ? await runBotBench({ sizes: sizes.botSizes, ...(opts.log ? { log: opts.log } : {}) })
    : undefined;
  const ruleCost = sizes.ruleCost ?? (opts.quick ? QUICK_RULE_COST : FULL_RULE_COST);
  const rules = want('rules')
    ? await runRuleCostBench({
        ...ruleCost,
        ...(ruleCostVariant() ? { variant: ruleCostVariant() } : {}),
        timeoutMs: opts.quick ? 300_000 : 1_800_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      })
    : undefined;
  const fleet = want('fleet')
    ? await runFleetBench({
        sizes: sizes.fleetSizes ?? (opts.quick ? QUICK.fleetSizes! : FULL.fleetSizes!),
        ...(opts.log ? { log: opts.log } : {}),
      })
    : undefined;
  const { availableParallelism } = await import('node:os');
  return {
    quick: opts.quick,
    node: process.version,
    cpus: availableParallelism(),
    ...(synth ? { synth } : {}),
    ...(detection ? { detection } : {}),
    ...(bot ? { bot } : {}),
    ...(rules ? { rules } : {}),
    ...(fleet ? { fleet } : {}),
  };
}
