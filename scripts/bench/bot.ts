/**
 * The bot benchmark: GitHub requests of one reconcile pass against the emulator, for many
 * rollouts, idle (every stage still baking) and advancing (every bake over: one stage PR each).
 * A 304 (ETag hit) does not count against GitHub's limit, so it is reported apart.
 */
import { dump } from 'js-yaml';
import { compile } from '../../constructs/compile.js';
import { botFromSettings } from '../bot/setup.js';
import { reconcile } from '../bot/reconcile.js';
import { startEmulator } from '../emulator/index.js';
import { benchIntent } from './intents.js';

export interface BotPass {
  readonly rollouts: number;
  readonly pass: 'idle-first' | 'idle-repeat' | 'advancing';
  /** Requests that count against the rate limit (everything but 304). */
  readonly counted: number;
  readonly notModified: number;
  readonly ms: number;
}

export interface BotReport {
  readonly passes: readonly BotPass[];
  /**
   * Counted requests per hour at a 5-minute reconcile with 500 rollouts in steady state (a repeat
   * pass: PRs open, checks pending), scaled per rollout from the largest size measured.
   */
  readonly requestsPerHourAt500: number;
  readonly scaledFrom: number;
  readonly requestsPerHourAt500Advancing: number;
  /** GitHub's primary limit for an App installation / token. */
  readonly limitPerHour: 5000;
}

const PASSES_PER_HOUR = 12;

export async function runBotBench(opts: { readonly sizes: readonly number[]; readonly log?: (l: string) => void }): Promise<BotReport> {
  const passes: BotPass[] = [];
  const start = new Date('2026-01-05T09:00:00Z');
  for (const n of opts.sizes) {
    const seedFiles: Record<string, string> = {};
    const sources = Array.from({ length: n }, (_, i) => {
      const doc = benchIntent(i);
      return { path: `rollouts/${doc.metadata.name}.yaml`, text: dump(doc, { lineWidth: -1 }) };
    });
    for (const s of sources) seedFiles[s.path] = s.text;
    for (const c of compile(sources)) seedFiles[`generated/${c.file}`] = c.content;
    let now = start;
    const emulator = await startEmulator({ owner: 'bench', repo: 'platform', seedFiles, port: 0, now: () => now, rateLimit: 1_000_000 });
    try {
      const { options } = botFromSettings({
        owner: 'bench', repo: 'platform', token: 'bench-token', apiUrl: emulator.url, now: () => now,
        github: { retryUnitMs: 1, writeSpacingMs: 0 },
      });
      const pass = async (kind: BotPass['pass']) => {
        emulator.resetLog();
        const t = performance.now();
        await reconcile(options);
        const notModified = emulator.requests.filter((r) => r.status === 304).length;
        const entry = { rollouts: n, pass: kind, counted: emulator.requests.length - notModified, notModified, ms: Math.round(performance.now() - t) };
        opts.log?.(`bot ${n} rollouts, ${kind}: ${entry.counted} counted requests (+${notModified} 304) in ${entry.ms} ms`);
        passes.push(entry);
      };
      now = new Date(start.getTime() + 60_000);
      await pass('idle-first');
      now = new Date(start.getTime() + 6 * 60_000);
      await pass('idle-repeat');
      now = new Date(start.getTime() + 8 * 3_600_000);
      await pass('advancing');
    } finally {
      await emulator.close();
    }
  }
  const at = (kind: BotPass['pass']) => {
    const largest = passes.filter((p) => p.pass === kind).sort((a, b) => b.rollouts - a.rollouts)[0]!;
    return Math.round((largest.counted * PASSES_PER_HOUR * 500) / largest.rollouts);
  };
  return { passes, requestsPerHourAt500: at('idle-repeat'), scaledFrom: Math.max(...opts.sizes), requestsPerHourAt500Advancing: at('advancing'), limitPerHour: 5000 };
}
