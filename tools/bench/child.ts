/**
 * Runs one measured task in a fresh process, so peak RSS and timings belong to that task alone
 * (started by measure.ts; never run by users). Prints one JSON line: the task's result.
 */
import { SYNTH_TASKS, type SynthTaskName } from './synth-tasks.js';

const [task, arg] = process.argv.slice(2);
const fn = SYNTH_TASKS[task as SynthTaskName];
if (!fn) {
  process.stderr.write(`bench child: unknown task ${task}\n`);
  process.exit(2);
}
const result = await fn(JSON.parse(arg ?? '{}'));
process.stdout.write(`${JSON.stringify({ ...result, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
