// Entry of a `stagegate synth` worker thread (see synth-workers.ts). Plain JavaScript because a
// worker starts without the parent's tsx hooks: it registers them, then loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./synth-worker.ts');
