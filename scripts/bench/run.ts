/**
 * `stagegate bench`: every benchmark of one run, each figure as a ratio against a baseline
 * measured in the same run (so a slow machine slows both sides).
 */
import { runDetectionBench, type DetectionReport } from './detection.js';
import { runSynthBench, type SynthReport } from './synth.js';

export interface BenchOptions {
  /** Under a minute: small sizes, few simulated rollouts. */
  readonly quick: boolean;
  readonly only?: readonly ('synth' | 'detection')[];
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface BenchReport {
  readonly quick: boolean;
  readonly node: string;
  readonly cpus: number;
  readonly synth?: SynthReport;
  readonly detection?: DetectionReport;
  /** Benchmarks not run, with why. */
  readonly skipped: Readonly<Record<string, string>>;
}

/** Sizes of a run; tests pass tiny ones. */
export interface BenchSizes {
  readonly synthSizes: readonly number[];
  readonly cdk8sMax: number;
  readonly profileAt?: number;
  readonly healthy: number;
  readonly perCase: number;
}

export const FULL: BenchSizes = { synthSizes: [100, 1000, 5000], cdk8sMax: 1000, profileAt: 1000, healthy: 1000, perCase: 40 };
export const QUICK: BenchSizes = { synthSizes: [40, 200], cdk8sMax: 200, healthy: 100, perCase: 10 };

export async function runBench(opts: BenchOptions, sizes: BenchSizes = opts.quick ? QUICK : FULL): Promise<BenchReport> {
  const want = (name: 'synth' | 'detection') => !opts.only || opts.only.includes(name);
  const timeoutMs = opts.quick ? 60_000 : 300_000;
  const base = { signal: opts.signal, log: opts.log, timeoutMs };
  const synth = want('synth')
    ? await runSynthBench({ ...base, sizes: sizes.synthSizes, cdk8sMax: sizes.cdk8sMax, ...(sizes.profileAt ? { profileAt: sizes.profileAt } : {}) })
    : undefined;
  const detection = want('detection') ? await runDetectionBench({ ...base, healthy: sizes.healthy, perCase: sizes.perCase }) : undefined;
  const { availableParallelism } = await import('node:os');
  return {
    quick: opts.quick,
    node: process.version,
    cpus: availableParallelism(),
    ...(synth ? { synth } : {}),
    ...(detection ? { detection } : {}),
    skipped: { bot: 'not measured yet: needs the bot reconcile entry point and the GitHub emulator wired together (see README: benchmarks)' },
  };
}
