/**
 * A real `prometheus` (Debian package) run by stagegate itself: for the demo, the gate tests and
 * the detection benchmark. Always on 127.0.0.1, on a free port, with its own data directory,
 * and stopped (with the directory removed) by `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';

export interface PrometheusOptions {
  /** Rule files (Prometheus format, `groups:`) to load. */
  readonly ruleFiles?: readonly string[];
  /** `host:port` targets to scrape at `scrapeInterval`. */
  readonly scrapeTargets?: readonly string[];
  /** @default "1s" */
  readonly scrapeInterval?: string;
  /** @default "1s" */
  readonly evaluationInterval?: string;
  /** An existing TSDB directory (e.g. from {@link backfill}); removed on stop only if we made it. */
  readonly tsdbDir?: string;
  /** How long `start` waits for /-/ready. @default 30 s */
  readonly readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Asks Prometheus to re-read its configuration and rule files. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const work = mkdtempSync(join(tmpdir(), 'stagegate-prometheus-'));
  const config = {
    global: { scrape_interval: opts.scrapeInterval ?? '1s', evaluation_interval: opts.evaluationInterval ?? '1s' },
    rule_files: [...(opts.ruleFiles ?? [])],
    scrape_configs: opts.scrapeTargets?.length
      ? [{ job_name: 'istio-mesh', static_configs: [{ targets: [...opts.scrapeTargets] }] }]
      : [],
  };
  const configFile = join(work, 'prometheus.yml');
  writeFileSync(configFile, dump(config));
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${opts.tsdbDir ?? join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=30d',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, opts.readyTimeoutMs ?? 30_000, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    process: child,
    stop,
    async reload() {
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!res.ok) throw new Error(`prometheus reload failed: HTTP ${res.status} ${await res.text()}`);
    },
  };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode}: ${stderr().trim()}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus did not become ready within ${timeoutMs} ms: ${stderr().trim()}`);
}

/**
 * A TSDB directory holding `openMetrics` (text exposition with timestamps, ending in `# EOF`),
 * written by `promtool tsdb create-blocks-from openmetrics`. Lets tests put hours of realistic
 * history into a real Prometheus in a second. `remove()` deletes it.
 */
export function backfill(openMetrics: string): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-tsdb-'));
  const input = join(dir, 'input.om');
  writeFileSync(input, openMetrics.endsWith('# EOF\n') ? openMetrics : `${openMetrics}# EOF\n`);
  const data = join(dir, 'data');
  const run = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, data], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  rmSync(input, { force: true });
  if (run.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`promtool could not backfill: ${(run.stderr || run.stdout || String(run.error)).trim()}`);
  }
  return { dir: data, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Evaluates the recording rules in `ruleFile` over [start, end] against the Prometheus at `url`
 * (`promtool tsdb create-blocks-from rules`) and moves the resulting blocks into `tsdbDir`;
 * restart that Prometheus to see them. Lets tests give backfilled history its recorded series.
 * promtool runs as a child this process waits for without blocking: the Prometheus it queries
 * writes its log to a pipe this process drains (startPrometheus), and a blocked event loop let
 * that pipe fill, which stalled Prometheus' logging and with it the queries promtool waited on.
 */
export async function backfillRecordingRules(opts: {
  readonly url: string;
  readonly ruleFile: string;
  readonly start: Date;
  readonly end: Date;
  readonly tsdbDir: string;
  readonly evalInterval?: string;
  /** promtool's time limit. @default 300_000 */
  readonly timeoutMs?: number;
}): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'stagegate-rules-blocks-'));
  try {
    const args = [
      'tsdb',
      'create-blocks-from',
      'rules',
      '--quiet',
      `--url=${opts.url}`,
      `--start=${opts.start.toISOString()}`,
      `--end=${opts.end.toISOString()}`,
      `--output-dir=${out}`,
      `--eval-interval=${opts.evalInterval ?? '30s'}`,
      opts.ruleFile,
    ];
    const run = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
      (resolve, reject) => {
        const child = spawn('promtool', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const keep = (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-4000);
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, output });
        });
      },
    );
    if (run.code !== 0) {
      // A run killed at its time limit has only promtool's progress in its output.
      const why = run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
      throw new Error(`promtool could not backfill rules (${why}): ${run.output.trim().slice(-2000)}`);
    }
    for (const block of readdirSync(out)) renameSync(join(out, block), join(opts.tsdbDir, block));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
