import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, type IntentSource } from '../../constructs/compile.js';
import { IntentError } from '../../constructs/spec/index.js';
import { benchSources } from '../../tools/bench/intents.js';
import { compileParallel, defaultThreads } from '../../app/synth-workers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BAD = join(ROOT, 'test/fixtures/bad-intents');
const threaded = { threads: 2, minSources: 0, batchSize: 7 } as const;

const written = (rollouts: readonly { source: string; file: string; content: string }[]) =>
  rollouts.map(({ source, file, content }) => ({ source, file, content }));

/** compile()'s problems, or a marker that it succeeded. */
async function problemsOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return 'no problems';
  } catch (err) {
    if (!(err instanceof IntentError)) throw err;
    return err.problems;
  }
}

describe('compileParallel', () => {
  const sources = benchSources(150);

  it('writes exactly what compile() writes, in the same order, when worker threads compile every batch', async () => {
    const shuffled = [...sources].reverse();
    let counts = { main: -1, workers: -1 };
    const result = await compileParallel(shuffled, {
      ...threaded,
      mainThreadTakesBatches: false,
      onBatches: (c) => {
        counts = c;
      },
    });
    expect(result).toEqual(written(compile(sources)));
    expect(counts).toEqual({ main: 0, workers: Math.ceil(150 / 7) });
  });

  it('writes exactly what compile() writes when the main thread and a worker share the batches', async () => {
    let counts = { main: -1, workers: -1 };
    const result = await compileParallel(sources, {
      ...threaded,
      onBatches: (c) => {
        counts = c;
      },
    });
    expect(result).toEqual(written(compile(sources)));
    expect(counts.main + counts.workers).toBe(Math.ceil(150 / 7));
  });

  it('reports the same problems in the same order as compile(), bad intents and name clashes alike', async () => {
    const bad: IntentSource[] = readdirSync(BAD)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => ({ path: `bad/${f}`, text: readFileSync(join(BAD, f), 'utf8') }));
    const clash = {
      path: 'rollouts/zz-clash.yaml',
      text: sources[3]!.text.replace(/namespace: team-\d+/, 'namespace: elsewhere'),
    };
    const mixed = [...sources.slice(0, 40), ...bad, clash];
    const expected = await problemsOf(() => compile(mixed));
    expect(Array.isArray(expected) && expected.length).toBeGreaterThan(bad.length);
    expect(await problemsOf(() => compileParallel(mixed, threaded))).toEqual(expected);
  });

  it('finishes the work of a worker that fails to start on the main thread', async () => {
    const broken = new URL('../../app/no-such-worker.mjs', import.meta.url);
    const result = await compileParallel(sources.slice(0, 60), {
      ...threaded,
      workerEntry: broken,
      mainThreadTakesBatches: false,
    });
    expect(result).toEqual(written(compile(sources.slice(0, 60))));
  });

  it('starts no worker on a machine whose cores are busy', async () => {
    let counts = { main: -1, workers: -1 };
    const busy = () => ({ cores: 2, load: 3.2 });
    const result = await compileParallel(sources.slice(0, 30), {
      minSources: 0,
      batchSize: 7,
      machine: busy,
      onBatches: (c) => {
        counts = c;
      },
    });
    expect(result).toEqual(written(compile(sources.slice(0, 30))));
    expect(counts).toEqual({ main: -1, workers: -1 });
  });

  it('takes one thread per core the load leaves wholly idle, counting this process, at most four', () => {
    expect(defaultThreads({ cores: 2, load: 1 })).toBe(2);
    expect(defaultThreads({ cores: 2, load: 0.2 })).toBe(2);
    expect(defaultThreads({ cores: 2, load: 1.4 })).toBe(1);
    expect(defaultThreads({ cores: 2, load: 1.6 })).toBe(1);
    expect(defaultThreads({ cores: 2, load: 5 })).toBe(1);
    expect(defaultThreads({ cores: 16, load: 1 })).toBe(4);
  });

  it('stays on the main thread below the size where a worker pays', async () => {
    const small = sources.slice(0, 5);
    const broken = new URL('../../app/no-such-worker.mjs', import.meta.url);
    expect(await compileParallel(small, { threads: 2, workerEntry: broken })).toEqual(written(compile(small)));
  });
});
