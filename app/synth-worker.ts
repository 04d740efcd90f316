/**
 * Body of a synth worker thread: claims batches of intents from the counter it shares with the
 * main thread and every other worker, compiles each intent on its own, posts the outcomes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileIntent } from '../constructs/compile.js';
import { portable, type WorkerData, type WorkerMessage } from './synth-workers.js';

const { sources, batchSize, counter } = workerData as WorkerData;
const claims = new Int32Array(counter);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
for (;;) {
  const batch = Atomics.add(claims, 0, 1);
  const start = batch * batchSize;
  if (start >= sources.length) break;
  post({ batch, outcomes: sources.slice(start, start + batchSize).map((s) => portable(compileIntent(s))) });
}
post({ done: true });
