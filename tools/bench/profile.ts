/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): top functions by self time and by
 * inclusive time, so the report says where the time goes without opening DevTools.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly fn: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly topSelf: readonly ProfileEntry[];
  readonly topInclusive: readonly ProfileEntry[];
}

function label(node: ProfileNode): string {
  const url = node.callFrame.url
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/(constructs|scripts)\//, '$1/');
  return `${node.callFrame.functionName || '(anonymous)'} ${url}`.trim();
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const leaf = byId.get(id);
    if (!leaf) return;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + ms);
    // Count each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = label(byId.get(cur)!);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  });
  const rank = (m: Map<string, number>, keep: (k: string) => boolean) =>
    [...m]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms), share: +(ms / totalMs).toFixed(3) }));
  // Inclusive time only for our code and libraries: module loading and the task wrapper would top every list.
  const interesting = (k: string) =>
    /(constructs|scripts)\/|\.js$/.test(k) && !/child\.ts|synth-tasks\.ts|node:internal|tsx\//.test(k);
  return {
    totalMs: Math.round(totalMs),
    topSelf: rank(self, (k) => !/^\((root|idle|program)\)/.test(k)),
    topInclusive: rank(inclusive, interesting),
  };
}

/** The summary of the one profile `node --cpu-prof` wrote into `dir`. */
export function summarizeProfileDir(dir: string, top = 15): ProfileSummary {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}; was the child started with --cpu-prof?`);
  return summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, top);
}
