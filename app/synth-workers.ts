/**
 * `stagegate synth` on several cores. Every intent compiles on its own, so the sorted intents
 * are cut into small batches that the main thread and worker threads claim from one shared
 * counter (Atomics): a worker still starting up (about a second: tsx, cdk8s, the CRD schemas)
 * simply claims fewer batches, and no thread idles while another has work queued. The outcomes
 * are put back in source order and checked across files by the same `assemble()` as
 * `compile()`, so the result — files, bytes, problems and their order — is exactly
 * `compile()`'s, whichever thread did what.
 *
 * `compile()` itself stays synchronous and single-threaded (the bot and `check` call it).
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  assemble,
  compile,
  compileIntent,
  orderSources,
  type IntentOutcome,
  type IntentSource,
  type SynthOutput,
} from '../constructs/compile.js';

export interface ParallelOptions {
  /**
   * Threads in all, the main one included. Default: one per idle core (cores minus the load
   * average, this process included), at most 4: on a busy machine a worker gets no core of its
   * own, and its start-up only adds to the work (measured: 1,000 intents at load 3 on 2 cores
   * took 4.7 s with a worker, 2.8 s without).
   */
  readonly threads?: number;
  /**
   * Below this many intents everything runs on the main thread: a worker costs about a second
   * to start, which only pays once the compile itself takes a few seconds.
   */
  readonly minSources?: number;
  /** Intents per claim: small enough to balance, big enough that messages stay few. */
  readonly batchSize?: number;
  /** Worker entry; tests point it elsewhere to prove a failing worker loses nothing. */
  readonly workerEntry?: URL;
  /** False leaves every batch to the workers (tests, to prove what a worker computes). */
  readonly mainThreadTakesBatches?: boolean;
  /** Load average and cores, for the default thread count; tests inject them. */
  readonly machine?: () => { readonly cores: number; readonly load: number };
  /** Told, at the end, how many batches each side compiled. */
  readonly onBatches?: (counts: { readonly main: number; readonly workers: number }) => void;
}

/**
 * A worker costs about 2 s of CPU before it compiles at full speed (module loading, then a cold
 * JIT), against about 2.8 ms per intent: below this it cannot save more than it costs.
 */
export const MIN_PARALLEL_SOURCES = 1000;
const DEFAULT_BATCH = 20;
const ENTRY = new URL('./synth-worker.mjs', import.meta.url);

/** What a worker sends: the outcomes of one batch, or that it found no batch left. */
export type WorkerMessage =
  | { readonly batch: number; readonly outcomes: readonly PortableOutcome[] }
  | { readonly done: true };

export interface WorkerData {
  readonly sources: readonly IntentSource[];
  readonly batchSize: number;
  readonly counter: SharedArrayBuffer;
}

/** An outcome without the in-memory model and objects, and with a crash as plain data, for postMessage. */
export type PortableOutcome =
  | Exclude<IntentOutcome<SynthOutput>, { kind: 'crashed' }>
  | {
      readonly kind: 'crashed';
      readonly name: string;
      readonly error: { readonly message: string; readonly stack?: string };
    };

export function portable(outcome: IntentOutcome): PortableOutcome {
  switch (outcome.kind) {
    case 'invalid':
      return outcome;
    case 'built': {
      const { source, file, content } = outcome.rollout;
      return { kind: 'built', name: outcome.name, problems: outcome.problems, rollout: { source, file, content } };
    }
    case 'crashed': {
      const err = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
      return {
        kind: 'crashed',
        name: outcome.name,
        error: { message: err.message, ...(err.stack ? { stack: err.stack } : {}) },
      };
    }
  }
}

/**
 * One thread per core that the load average leaves wholly idle, at most 4. Measured on this
 * project's 2-core machine while other jobs ran: two spinning threads got 1.1 cores between
 * them, and a worker only added its start-up; so a core that is partly busy does not count.
 */
export function defaultThreads({ cores, load }: { readonly cores: number; readonly load: number }): number {
  // This process is one of the runnable tasks the load counts.
  const idle = cores - Math.max(0, load - 1);
  return Math.max(1, Math.min(4, cores, Math.floor(idle)));
}

function revive(outcome: PortableOutcome): IntentOutcome<SynthOutput> {
  if (outcome.kind !== 'crashed') return outcome;
  const error = new Error(outcome.error.message);
  if (outcome.error.stack) error.stack = outcome.error.stack;
  return { kind: 'crashed', name: outcome.name, error };
}

/** Same result as {@link compile} (files sorted, same `IntentError`), computed on several threads. */
export async function compileParallel(
  sources: readonly IntentSource[],
  opts: ParallelOptions = {},
): Promise<SynthOutput[]> {
  const threads = Math.max(
    1,
    opts.threads ?? defaultThreads(opts.machine?.() ?? { cores: availableParallelism(), load: loadavg()[0]! }),
  );
  if (threads === 1 || sources.length < (opts.minSources ?? MIN_PARALLEL_SOURCES)) {
    return compile(sources).map(({ source, file, content }) => ({ source, file, content }));
  }
  const ordered = orderSources(sources);
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const batches = Math.ceil(ordered.length / batchSize);
  const outcomes: (PortableOutcome | undefined)[] = new Array(ordered.length);
  const counter = new SharedArrayBuffer(4);
  let finished = 0;
  const counts = { main: 0, workers: 0 };
  let allFinished = () => {};
  const store = (batch: number, results: readonly PortableOutcome[], by: 'main' | 'workers') => {
    results.forEach((o, j) => {
      outcomes[batch * batchSize + j] = o;
    });
    counts[by]++;
    if (++finished === batches) allFinished();
  };

  const data: WorkerData = { sources: ordered, batchSize, counter };
  const workers = Array.from(
    { length: threads - 1 },
    () => new Worker(opts.workerEntry ?? ENTRY, { workerData: data, execArgv: [] }),
  );
  const stopped = workers.map(
    (w) =>
      new Promise<void>((resolve) => {
        w.on('message', (m: WorkerMessage) => {
          if ('batch' in m) store(m.batch, m.outcomes, 'workers');
        });
        // A worker that fails (or never starts) leaves its claimed batch undone; it is redone below.
        w.on('error', () => resolve());
        w.on('exit', () => resolve());
      }),
  );

  const claims = new Int32Array(counter);
  while (opts.mainThreadTakesBatches !== false) {
    const batch = Atomics.add(claims, 0, 1);
    const start = batch * batchSize;
    if (start >= ordered.length) break;
    store(
      batch,
      ordered.slice(start, start + batchSize).map((s) => portable(compileIntent(s))),
      'main',
    );
  }
  // Every batch is claimed (or left to the workers); wait for those compiled elsewhere.
  if (finished < batches) {
    await Promise.race([
      new Promise<void>((resolve) => {
        allFinished = resolve;
      }),
      Promise.all(stopped),
    ]);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  opts.onBatches?.(counts);
  ordered.forEach((source, i) => {
    outcomes[i] ??= portable(compileIntent(source));
  });
  return assemble(
    ordered,
    outcomes.map((o) => revive(o!)),
  );
}
