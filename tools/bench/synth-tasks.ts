/**
 * The two ways of producing the manifests that the synth benchmark compares, each timed from
 * intent texts in memory to files on disk, each through public APIs only:
 * - ours: `compile()` from the `stagegate` entry point, one write per file (what `stagegate
 *   synth` does, minus the atomic directory swap);
 * - cdk8s: what a cdk8s user would write: one plain App, one Chart per rollout holding a
 *   `StagedRollout` built from the intent's props, then `app.synth()`.
 * Intent generation happens before the clock starts, in every task.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { compile, parseIntent, StagedRollout } from '../../constructs/index.js';
import { benchSources } from './intents.js';

export interface SynthTaskArgs {
  readonly n: number;
  readonly outDir: string;
}

export interface SynthTaskResult {
  readonly ms: number;
  /** CPU time (user + system, all threads) over the same span: less sensitive to a busy machine. */
  readonly cpuMs: number;
  readonly files: number;
  readonly bytes: number;
}

export type SynthTaskName = 'ours' | 'cdk8s';

async function ours({ n, outDir }: SynthTaskArgs): Promise<SynthTaskResult> {
  const sources = benchSources(n);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const compiled = compile(sources);
  mkdirSync(outDir, { recursive: true });
  for (const rollout of compiled) writeFileSync(join(outDir, rollout.file), rollout.content);
  const ms = performance.now() - start;
  const cpuMs = cpuSince(cpu);
  return { ms, cpuMs, files: compiled.length, bytes: compiled.reduce((s, c) => s + c.content.length, 0) };
}

async function cdk8s({ n, outDir }: SynthTaskArgs): Promise<SynthTaskResult> {
  const sources = benchSources(n);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const app = new App({ outdir: outDir });
  for (const source of sources) {
    const parsed = parseIntent(source.path, source.text);
    if (!parsed.ok) throw new Error(`generated intent ${source.path} is invalid: ${parsed.problems[0]?.message}`);
    const { metadata, spec } = parsed.document;
    new StagedRollout(new Chart(app, metadata.name), metadata.name, { ...spec, ...metadata });
  }
  app.synth();
  const ms = performance.now() - start;
  const cpuMs = cpuSince(cpu);
  return { ms, cpuMs, files: app.charts.length, bytes: 0 };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

export const SYNTH_TASKS: Record<SynthTaskName, (args: SynthTaskArgs) => Promise<SynthTaskResult>> = {
  ours,
  cdk8s,
};
