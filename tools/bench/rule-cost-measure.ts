/**
 * One phase of the rule-cost bench (rule-cost.ts) measured on a running Prometheus: its CPU
 * seconds (/proc/<pid>/stat utime+stime) and the wall seconds they took; its RSS
 * (/proc/<pid>/status VmRSS) and Σ prometheus_rule_group_last_duration_seconds from its own
 * /metrics, sampled about every 15 s and averaged over the phase, with the slowest group's
 * duration seen in any sample. Also the rules of longest last evaluation (/api/v1/rules
 * `evaluationTime`) and the instant queries (/api/v1/query) the bench sends.
 */
import { readFileSync } from 'node:fs';
import type { RunningPrometheus } from '../prometheus.js';

export interface PhaseFigures {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS = 100;

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function procRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error('rule-cost bench aborted'));
      },
      { once: true },
    );
  });

/** Prometheus' own /metrics, summed by metric name over the given names. */
export async function selfMetrics(url: string): Promise<{ sum: Map<string, number>; max: Map<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = new Map<string, number>();
  const max = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('prometheus_rule_')) continue;
    const name = line.slice(0, line.search(/[{ ]/));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    sum.set(name, (sum.get(name) ?? 0) + value);
    max.set(name, Math.max(max.get(name) ?? 0, value));
  }
  return { sum, max };
}

/** The `n` rules of longest last evaluation (Prometheus' /api/v1/rules `evaluationTime`, in seconds). */
export async function slowest(url: string, n: number): Promise<{ name: string; seconds: number }[]> {
  const res = await fetch(`${url}/api/v1/rules`);
  const json = (await res.json()) as {
    data: { groups: { rules: { name: string; evaluationTime: number }[] }[] };
  };
  return json.data.groups
    .flatMap((g) => g.rules.map((r) => ({ name: r.name, seconds: r.evaluationTime })))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, n);
}

export async function instant(url: string, query: string): Promise<number | undefined> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query }) });
  const json = (await res.json()) as { status: string; data?: { result: { value: [number, string] }[] } };
  if (json.status !== 'success') throw new Error(`prometheus rejected ${query.slice(0, 200)}`);
  const first = json.data?.result[0];
  return first ? Number(first.value[1]) : undefined;
}

export async function measurePhase(
  prom: RunningPrometheus,
  seconds: number,
  signal: AbortSignal | undefined,
  during?: (stop: AbortSignal) => Promise<void>,
): Promise<PhaseFigures & { sumGroup: number; maxGroup: number }> {
  const pid = prom.process.pid!;
  const cpu0 = procCpuSeconds(pid);
  const t0 = performance.now();
  const stop = new AbortController();
  const load = during?.(stop.signal);
  const sums: number[] = [];
  let maxGroup = 0;
  const rss: number[] = [];
  const samples = Math.max(1, Math.round(seconds / 15));
  for (let i = 0; i < samples; i++) {
    await sleep((seconds * 1000) / samples, signal);
    const m = await selfMetrics(prom.url);
    sums.push(m.sum.get('prometheus_rule_group_last_duration_seconds') ?? 0);
    maxGroup = Math.max(maxGroup, m.max.get('prometheus_rule_group_last_duration_seconds') ?? 0);
    rss.push(procRssBytes(pid));
  }
  stop.abort();
  await load;
  const wallSeconds = (performance.now() - t0) / 1000;
  return {
    cpuSeconds: procCpuSeconds(pid) - cpu0,
    wallSeconds,
    rssBytes: rss.reduce((a, b) => a + b, 0) / rss.length,
    sumGroup: sums.reduce((a, b) => a + b, 0) / sums.length,
    maxGroup,
  };
}
