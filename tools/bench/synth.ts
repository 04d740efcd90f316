/**
 * The synth benchmark: `stagegate synth` against a plain cdk8s `app.synth()` and against the
 * serialize-and-write floor, at several sizes, each task in its own process (see measure.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from './measure.js';
import { summarizeProfileDir, type ProfileSummary } from './profile.js';
import type { SynthTaskName, SynthTaskResult } from './synth-tasks.js';

export interface SynthBenchOptions {
  /** Sizes (rollouts); the largest should be 5× another one for `growth`. */
  readonly sizes: readonly number[];
  /** cdk8s runs only up to here: it grows super-linearly. */
  readonly cdk8sMax: number;
  /** Size at which `stagegate synth` is profiled; undefined: no profile. */
  readonly profileAt?: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface SynthRun {
  readonly rollouts: number;
  readonly oursMs: number;
  readonly floorMs: number;
  readonly cdk8sMs?: number;
  readonly oursMaxRssBytes: number;
  readonly cdk8sMaxRssBytes?: number;
  readonly bytes: number;
}

export interface SynthReport {
  readonly runs: readonly SynthRun[];
  /** ours / floor at the largest size. */
  readonly ratioToFloor: number;
  /** ours(largest) / ours(largest / 5); 5 is linear. */
  readonly growth: number;
  readonly growthFrom: number;
  /** ours / cdk8s at the largest size both ran (below 1: stagegate is faster). */
  readonly ratioToCdk8s: number;
  readonly ratioToCdk8sAt: number;
  readonly peakRssBytes: number;
  readonly profile?: ProfileSummary & { readonly rollouts: number };
}

type Measured = SynthTaskResult & { maxRssBytes: number };

export async function runSynthBench(opts: SynthBenchOptions): Promise<SynthReport> {
  const sizes = [...new Set(opts.sizes)].sort((a, b) => a - b);
  const work = mkdtempSync(join(tmpdir(), 'stagegate-bench-synth-'));
  const log = opts.log ?? (() => {});
  const task = (name: SynthTaskName, n: number, cpuProfDir?: string) =>
    runChild<SynthTaskResult>(
      name,
      { n, outDir: join(work, `${name}-${n}`, 'generated') },
      {
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        ...(cpuProfDir ? { cpuProfDir } : {}),
      },
    ).finally(() => rmSync(join(work, `${name}-${n}`), { recursive: true, force: true }));
  try {
    const runs: SynthRun[] = [];
    for (const n of sizes) {
      const floor: Measured = await task('floor', n);
      const ours: Measured = await task('ours', n);
      const cdk8s: Measured | undefined = n <= opts.cdk8sMax ? await task('cdk8s', n) : undefined;
      log(
        `synth ${n}: ours ${ms(ours.ms)}, floor ${ms(floor.ms)}${cdk8s ? `, cdk8s ${ms(cdk8s.ms)}` : ''}, peak RSS ${mib(ours.maxRssBytes)}`,
      );
      runs.push({
        rollouts: n,
        oursMs: round(ours.ms),
        floorMs: round(floor.ms),
        oursMaxRssBytes: ours.maxRssBytes,
        bytes: ours.bytes,
        ...(cdk8s ? { cdk8sMs: round(cdk8s.ms), cdk8sMaxRssBytes: cdk8s.maxRssBytes } : {}),
      });
    }
    const largest = runs[runs.length - 1]!;
    const fifth = runs.find((r) => r.rollouts * 5 === largest.rollouts) ?? runs[0]!;
    const bothRan = [...runs].reverse().find((r) => r.cdk8sMs !== undefined);
    let profile: SynthReport['profile'];
    if (opts.profileAt !== undefined) {
      const dir = join(work, 'profile');
      await task('ours', opts.profileAt, dir);
      profile = { rollouts: opts.profileAt, ...summarizeProfileDir(dir) };
    }
    return {
      runs,
      ratioToFloor: ratio(largest.oursMs, largest.floorMs),
      growth: ratio(largest.oursMs, fifth.oursMs),
      growthFrom: fifth.rollouts,
      ratioToCdk8s: bothRan ? ratio(bothRan.oursMs, bothRan.cdk8sMs!) : Number.NaN,
      ratioToCdk8sAt: bothRan?.rollouts ?? 0,
      peakRssBytes: Math.max(...runs.map((r) => r.oursMaxRssBytes)),
      ...(profile ? { profile } : {}),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 10) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
