/**
 * Evaluating rule expressions over the past with a real Prometheus: history is backfilled with
 * promtool, expressions are evaluated with /api/v1/query_range at the rule evaluation interval,
 * and `for:` is applied to the result the way the rule manager does (pending from the first
 * evaluation with a result, firing once it has held for `for`, reset by any evaluation without).
 */
import { spawn } from 'node:child_process';

export interface Series {
  readonly metric: Readonly<Record<string, string>>;
  /** [unix seconds, value] at each evaluation that returned this series. */
  readonly values: readonly (readonly [number, number])[];
}

export interface RangeQuery {
  readonly start: number;
  readonly end: number;
  readonly stepSeconds: number;
}

/** `promtool tsdb create-blocks-from openmetrics input dataDir`, bounded in time. */
export function createBlocks(input: string, dataDir: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new Error('could not run promtool; install the prometheus package (apt-get install prometheus)', {
          cause: err,
        }),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`promtool could not backfill ${input} (exit ${code}): ${stderr.trim()}`));
    });
  });
}

export async function queryRange(
  url: string,
  expr: string,
  range: RangeQuery,
  signal?: AbortSignal,
): Promise<Series[]> {
  const body = new URLSearchParams({
    query: expr,
    start: String(range.start),
    end: String(range.end),
    step: `${range.stepSeconds}s`,
  });
  const res = await fetch(`${url}/api/v1/query_range`, { method: 'POST', body, ...(signal ? { signal } : {}) });
  const json = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  };
  if (json.status !== 'success' || !json.data) {
    throw new Error(`prometheus rejected a query (${json.error ?? `HTTP ${res.status}`}): ${expr.slice(0, 300)}`);
  }
  return json.data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, Number(v)] as const) }));
}

/**
 * When the alert would first fire: `expr` returned `series` at the listed evaluations, which
 * happen every `stepSeconds`; undefined when it never fires.
 */
export function firstFiring(
  values: readonly (readonly [number, number])[],
  forSeconds: number,
  stepSeconds: number,
): number | undefined {
  let activeAt: number | undefined;
  let previous: number | undefined;
  for (const [t] of values) {
    if (previous === undefined || t - previous > stepSeconds * 1.5) activeAt = t;
    previous = t;
    if (t - activeAt! >= forSeconds) return t;
  }
  return undefined;
}

/**
 * Whether the alert is firing at evaluation `t`: `expr` returned a value at every evaluation of
 * the last `forSeconds` up to and including `t`, with no evaluation missed.
 */
export function firingAt(
  values: readonly (readonly [number, number])[],
  t: number,
  forSeconds: number,
  stepSeconds: number,
): boolean {
  let i = values.findIndex(([ts]) => ts === t);
  if (i < 0) return false;
  let since = t;
  while (i > 0 && since - values[i - 1]![0] <= stepSeconds * 1.5 && t - since < forSeconds) since = values[--i]![0];
  return t - since >= forSeconds;
}

/** OpenMetrics lines of recorded series (gauges), one family per record name. */
export function recordedOpenMetrics(families: ReadonlyMap<string, readonly Series[]>): string {
  const out: string[] = [];
  for (const [record, series] of families) {
    out.push(`# TYPE ${record} gauge`);
    for (const s of series) {
      const labels = Object.entries(s.metric)
        .filter(([k]) => k !== '__name__')
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
        .join(',');
      for (const [t, v] of s.values) {
        if (Number.isFinite(v)) out.push(`${record}{${labels}} ${v} ${t}`);
      }
    }
  }
  out.push('# EOF', '');
  return out.join('\n');
}
