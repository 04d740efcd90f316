/**
 * One measured task in a child process: its own heap, so `maxRssBytes` is that task's peak and
 * nothing of a previous task (JIT, caches, garbage) flatters the next one. Bounded in time;
 * the child is killed when the bound passes or the caller aborts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface ChildRun<T> {
  readonly result: T & { readonly maxRssBytes: number };
}

export interface ChildOptions {
  readonly timeoutMs: number;
  /** Directory for a V8 CPU profile (`--cpu-prof`), when one is wanted. */
  readonly cpuProfDir?: string;
  readonly signal?: AbortSignal;
}

export function runChild<T>(task: string, args: unknown, opts: ChildOptions): Promise<T & { maxRssBytes: number }> {
  const nodeArgs = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    '--import',
    'tsx',
    CHILD,
    task,
    JSON.stringify(args),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, opts.timeoutMs);
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => reject(new Error(`could not start the bench child for ${task}`, { cause: err })));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
      if (code !== 0) {
        const why = signal ? `killed (${signal}) after ${opts.timeoutMs} ms or on abort` : `exit code ${code}`;
        reject(new Error(`bench task ${task} failed: ${why}: ${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch (err) {
        reject(new Error(`bench task ${task} printed no result line; stderr: ${stderr.trim()}`, { cause: err }));
      }
    });
  });
}
