/**
 * The three ways of producing `generated/` that the synth benchmark compares, each timed from
 * intents-in-memory to files-on-disk:
 * - ours: `compileParallel()` + `writeGenerated()` (what `stagegate synth` does: `compile()` on
 *   the main thread and, for large inputs, worker threads);
 * - cdk8s: the same constructs in one plain cdk8s App (one Chart per rollout) and `app.synth()`,
 *   what a cdk8s user would write;
 * - floor: js-yaml serialization of the very same objects and one write per file; any synth
 *   must at least serialize and write, so this is the lower bound.
 * Intent generation happens before the clock starts, in every task.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { dump } from 'js-yaml';
import { compile } from '../../constructs/compile.js';
import { parseIntent } from '../../constructs/spec/index.js';
import { StagedRollout } from '../../constructs/staged-rollout.js';
import { compileParallel } from '../../app/synth-workers.js';
import { writeGenerated } from '../../app/workspace.js';
import { benchSources } from './intents.js';

export interface SynthTaskArgs {
  readonly n: number;
  readonly outDir: string;
}

export interface SynthTaskResult {
  readonly ms: number;
  readonly files: number;
  readonly bytes: number;
}

export type SynthTaskName = 'ours' | 'cdk8s' | 'floor';

async function ours({ n, outDir }: SynthTaskArgs): Promise<SynthTaskResult> {
  const sources = benchSources(n);
  const start = performance.now();
  const compiled = await compileParallel(sources);
  writeGenerated(outDir, compiled);
  const ms = performance.now() - start;
  return { ms, files: compiled.length, bytes: compiled.reduce((s, c) => s + c.content.length, 0) };
}

async function cdk8s({ n, outDir }: SynthTaskArgs): Promise<SynthTaskResult> {
  const sources = benchSources(n);
  const start = performance.now();
  const app = new App({ outdir: outDir });
  for (const source of sources) {
    const parsed = parseIntent(source.path, source.text);
    if (!parsed.ok) throw new Error(`generated intent ${source.path} is invalid: ${parsed.problems[0]?.message}`);
    const chart = new Chart(app, parsed.model.name);
    StagedRollout.fromModel(chart, parsed.model.name, parsed.model);
  }
  app.synth();
  const ms = performance.now() - start;
  return { ms, files: app.charts.length, bytes: 0 };
}

async function floor({ n, outDir }: SynthTaskArgs): Promise<SynthTaskResult> {
  // The objects come from compile() before the clock starts: the floor measures only what any
  // synth has to do with them.
  const compiled = compile(benchSources(n));
  const start = performance.now();
  mkdirSync(outDir, { recursive: true });
  let bytes = 0;
  for (const rollout of compiled) {
    const text = rollout.objects.map((o) => dump(o, { noRefs: true, lineWidth: -1 })).join('---\n');
    bytes += text.length;
    writeFileSync(join(outDir, rollout.file), text);
  }
  const ms = performance.now() - start;
  return { ms, files: compiled.length, bytes };
}

export const SYNTH_TASKS: Record<SynthTaskName, (args: SynthTaskArgs) => Promise<SynthTaskResult>> = {
  ours,
  cdk8s,
  floor,
};
