/**
 * The synth benchmark, against the goals of docs/design.md §5: `compile()` against a plain cdk8s
 * `App.synth()` of the same constructs, at several sizes, each task in its own process
 * (see measure.ts); then the start-up Argo CD feels, `stagegate synth --stdout` of 10 rollouts
 * through the compiled bin, against a bare `node` start measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchSources } from './intents.js';
import { runChild } from './measure.js';
import { type ProfileSummary, summarizeProfileDir } from './profile.js';
import type { SynthTaskName, SynthTaskResult } from './synth-tasks.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/stagegate.mjs');

/** The goals (docs/design.md §5); a report says which were met. */
export const SYNTH_GOALS = {
  /** ours / plain cdk8s at 1,000 rollouts. */
  ratioToCdk8s: 0.5,
  /** t(5,000) / t(1,000); 5 is linear. */
  growth: 5.5,
  peakRssBytes: 1024 * 1048576,
  /** `synth --stdout` of 10 rollouts through the bin, start-up included. */
  stdoutMs: 1000,
} as const;

export interface SynthBenchOptions {
  /** Sizes (rollouts); the largest should be 5× another one for `growth`. */
  readonly sizes: readonly number[];
  /** cdk8s runs only up to here: it grows super-linearly. */
  readonly cdk8sMax: number;
  /** Runs of each task at each size, alternating; the fastest counts. @default 1 */
  readonly repeats?: number;
  /** Size at which `compile()` is profiled; undefined: no profile. */
  readonly profileAt?: number;
  /** Runs of `synth --stdout` (and of the bare node start); the median counts. 0: skip. */
  readonly stdoutRuns?: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface SynthRun {
  readonly rollouts: number;
  readonly oursMs: number;
  readonly oursCpuMs: number;
  readonly cdk8sMs?: number;
  readonly cdk8sCpuMs?: number;
  readonly oursMaxRssBytes: number;
  readonly cdk8sMaxRssBytes?: number;
  readonly bytes: number;
}

export interface StdoutRun {
  readonly rollouts: number;
  /** Median wall time of `node bin/stagegate.mjs synth --stdout`, start-up included. */
  readonly ms: number;
  /** Median CPU time (user + system) of those runs: what start-up costs when the machine is busy. */
  readonly cpuMs: number;
  /** Median wall time of `node -e 0` on the same machine, same run. */
  readonly nodeMs: number;
  /** ms / nodeMs. */
  readonly ratioToNode: number;
}

export interface SynthReport {
  readonly runs: readonly SynthRun[];
  /** ours(largest) / ours(largest / 5); 5 is linear. */
  readonly growth: number;
  readonly growthFrom: number;
  /** ours / cdk8s at the largest size both ran (below 1: stagegate is faster). */
  readonly ratioToCdk8s: number;
  readonly ratioToCdk8sAt: number;
  /** The same two ratios over CPU time (wall time decides the goals; CPU shows what load did to it). */
  readonly growthCpu: number;
  readonly ratioToCdk8sCpu: number;
  readonly peakRssBytes: number;
  readonly stdout?: StdoutRun;
  /** 1-minute load average at the end of the run, against the cores: a busy machine slows both sides. */
  readonly loadAverage: number;
  /** Each goal of {@link SYNTH_GOALS}: met or not (undefined: not measured in this run). */
  readonly goalsMet: Readonly<Record<keyof typeof SYNTH_GOALS, boolean | undefined>>;
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
      // Alternating runs, the fastest of each side kept: on a shared machine a burst of other work
      // lands on one run, not on every run of one side.
      const oursRuns: Measured[] = [];
      const cdk8sRuns: Measured[] = [];
      for (let i = 0; i < Math.max(1, opts.repeats ?? 1); i++) {
        oursRuns.push(await task('ours', n));
        if (n <= opts.cdk8sMax) cdk8sRuns.push(await task('cdk8s', n));
      }
      const ours = fastest(oursRuns)!;
      const cdk8s = fastest(cdk8sRuns);
      log(
        `synth ${n}: ours ${ms(ours.ms)}${cdk8s ? `, plain cdk8s ${ms(cdk8s.ms)}` : ''}, peak RSS ${mib(ours.maxRssBytes)}`,
      );
      runs.push({
        rollouts: n,
        oursMs: round(ours.ms),
        oursCpuMs: round(ours.cpuMs),
        oursMaxRssBytes: ours.maxRssBytes,
        bytes: ours.bytes,
        ...(cdk8s
          ? { cdk8sMs: round(cdk8s.ms), cdk8sCpuMs: round(cdk8s.cpuMs), cdk8sMaxRssBytes: cdk8s.maxRssBytes }
          : {}),
      });
    }
    const largest = runs[runs.length - 1]!;
    const fifth = runs.find((r) => r.rollouts * 5 === largest.rollouts) ?? runs[0]!;
    const bothRan = [...runs].reverse().find((r) => r.cdk8sMs !== undefined);
    const stdout = (opts.stdoutRuns ?? 5) > 0 ? measureStdout(work, opts.stdoutRuns ?? 5, opts.timeoutMs) : undefined;
    if (stdout) {
      log(
        `synth --stdout ${stdout.rollouts}: ${ms(stdout.ms)} through the bin (${ms(stdout.cpuMs)} CPU), bare node ${ms(stdout.nodeMs)}`,
      );
    }
    let profile: SynthReport['profile'];
    if (opts.profileAt !== undefined) {
      const dir = join(work, 'profile');
      await task('ours', opts.profileAt, dir);
      profile = { rollouts: opts.profileAt, ...summarizeProfileDir(dir) };
    }
    const ratioToCdk8s = bothRan ? ratio(bothRan.oursMs, bothRan.cdk8sMs!) : Number.NaN;
    const growth = ratio(largest.oursMs, fifth.oursMs);
    const peakRssBytes = Math.max(...runs.map((r) => r.oursMaxRssBytes));
    const fiveFold = fifth.rollouts * 5 === largest.rollouts;
    return {
      runs,
      growth,
      growthFrom: fifth.rollouts,
      ratioToCdk8s,
      ratioToCdk8sAt: bothRan?.rollouts ?? 0,
      growthCpu: ratio(largest.oursCpuMs, fifth.oursCpuMs),
      ratioToCdk8sCpu: bothRan ? ratio(bothRan.oursCpuMs, bothRan.cdk8sCpuMs!) : Number.NaN,
      peakRssBytes,
      ...(stdout ? { stdout } : {}),
      loadAverage: Math.round(loadavg()[0]! * 100) / 100,
      goalsMet: {
        ratioToCdk8s: bothRan?.rollouts === 1000 ? ratioToCdk8s <= SYNTH_GOALS.ratioToCdk8s : undefined,
        growth: fiveFold && fifth.rollouts === 1000 ? growth <= SYNTH_GOALS.growth : undefined,
        peakRssBytes: peakRssBytes < SYNTH_GOALS.peakRssBytes,
        stdoutMs: stdout ? stdout.ms < SYNTH_GOALS.stdoutMs : undefined,
      },
      ...(profile ? { profile } : {}),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `synth --stdout` of 10 rollouts as Argo CD runs it: a fresh process of the compiled bin. */
function measureStdout(work: string, runs: number, timeoutMs: number): StdoutRun {
  if (!existsSync(join(ROOT, 'dist/app/cli/main.js'))) {
    throw new Error('bench: dist/ is missing; `npm run build` first (npm run bench does)');
  }
  const dir = join(work, 'stdout', 'rollouts');
  mkdirSync(dir, { recursive: true });
  const sources = benchSources(10);
  for (const [i, s] of sources.entries()) writeFileSync(join(dir, `r${i}.yaml`), s.text);
  const cpu: number[] = [];
  const time = (args: readonly string[]): number => {
    // bash's `time` reports the child's user and system CPU seconds on stderr (TIMEFORMAT).
    const script = 'TIMEFORMAT="cpu %3U %3S"; time "$0" "$@" >/dev/null';
    const start = performance.now();
    const run = spawnSync('bash', ['-c', script, process.execPath, ...args], {
      cwd: join(work, 'stdout'),
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    const elapsed = performance.now() - start;
    if (run.status !== 0) throw new Error(`bench: ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
    const [, user, system] = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(run.stderr) ?? [];
    if (args[0] === BIN) cpu.push((Number(user) + Number(system)) * 1000);
    return elapsed;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const synth: number[] = [];
  const bare: number[] = [];
  // One unmeasured run of each first: the file cache, not start-up, would dominate it.
  time([BIN, 'synth', '--stdout', '--rollouts', 'rollouts']);
  time(['-e', '0']);
  for (let i = 0; i < runs; i++) {
    synth.push(time([BIN, 'synth', '--stdout', '--rollouts', 'rollouts']));
    bare.push(time(['-e', '0']));
  }
  const msMedian = round(median(synth));
  const nodeMs = round(median(bare));
  return {
    rollouts: sources.length,
    ms: msMedian,
    cpuMs: round(median(cpu.slice(1))),
    nodeMs,
    ratioToNode: ratio(msMedian, nodeMs),
  };
}

/** The synth lines of `stagegate bench`'s text report. */
export function renderSynth(r: SynthReport): string[] {
  const goal = (met: boolean | undefined) => (met === undefined ? '' : met ? ' (goal met)' : ' (GOAL MISSED)');
  const out = [
    `synth  ${r.ratioToCdk8s.toFixed(2)}× plain cdk8s App.synth() at ${r.ratioToCdk8sAt} rollouts ` +
      `(goal ≤ ${SYNTH_GOALS.ratioToCdk8s})${goal(r.goalsMet.ratioToCdk8s)}; growth ×${r.growth} from ${r.growthFrom} ` +
      `(goal ≤ ${SYNTH_GOALS.growth})${goal(r.goalsMet.growth)}; peak RSS ${mib(r.peakRssBytes)} (goal < 1 GiB)${goal(r.goalsMet.peakRssBytes)}`,
  ];
  out.push(
    `       CPU time: ${r.ratioToCdk8sCpu.toFixed(2)}× plain cdk8s, growth ×${r.growthCpu} (load average ${r.loadAverage} at the end)`,
  );
  for (const run of r.runs) {
    const cdk8s = run.cdk8sMs ? `, plain cdk8s ${ms(run.cdk8sMs)} (${ms(run.cdk8sCpuMs!)} CPU)` : '';
    out.push(`       ${run.rollouts} rollouts: ${ms(run.oursMs)} (${ms(run.oursCpuMs)} CPU)${cdk8s}`);
  }
  if (r.stdout) {
    out.push(
      `       synth --stdout of ${r.stdout.rollouts} through the bin: ${ms(r.stdout.ms)} = ${r.stdout.ratioToNode.toFixed(2)}× ` +
        `a bare node start (${ms(r.stdout.nodeMs)}), ${ms(r.stdout.cpuMs)} CPU (goal < 1 s)${goal(r.goalsMet.stdoutMs)}`,
    );
  }
  return out;
}

const fastest = (runs: readonly Measured[]): Measured | undefined =>
  runs.reduce<Measured | undefined>((best, r) => (best === undefined || r.ms < best.ms ? r : best), undefined);
const round = (x: number) => Math.round(x * 10) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
