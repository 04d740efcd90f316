/**
 * `npm run demo:waves`: the two-cluster demo (README "The two-cluster demo"), everything on
 * 127.0.0.1. One emulated GitHub repository seeded with two waves across eu-1 and us-1; per
 * cluster a synthetic Istio exporter whose routing follows main's generated/<cluster>/ files and
 * a real Prometheus loading that cluster's PrometheusRules (reloaded at every merge); every tick,
 * CI (verify + the wave gate, one Prometheus per cluster) and one reconcile pass of the bot — the
 * code `stagegate advance` runs, through @octokit/rest against the emulator.
 * storefront is promoted to 100 % in both clusters. payments-api's canary fails in us-1 only;
 * with onClusterFailure: cluster the bot rolls back us-1 alone, eu-1 goes on to 100 %, and the
 * rollout is not done while us-1 is rolled back.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rollbackBranch } from '../../../constructs/conventions.js';
import { reconcile, type RolloutReport } from '../../../app/bot/reconcile.js';
import { PrometheusApi } from '../../../app/gate/prometheus-api.js';
import { startEmulator } from '../../emulator/index.js';
import { startPrometheus, type RunningPrometheus } from '../../prometheus.js';
import { startExporter, type ServiceTraffic } from '../exporter.js';
import { demoGithub, demoToken, seedFromIntents, serviceTraffic, sleep } from '../world.js';
import { WaveCi } from './ci.js';
import { WaveMainline } from './mainline.js';

export const WAVE_ROLLOUTS_DIR = resolve(import.meta.dirname, 'rollouts');
export const WAVE_CLUSTERS = ['eu-1', 'us-1'] as const;

export interface WaveCast {
  readonly name: string;
  readonly expected: 'promote' | { readonly rolledBackIn: string };
  /** Canary error ratio per cluster (the regression lives in one cluster's canary pods). @default none */
  readonly canaryErrorRatio?: Readonly<Record<string, number>>;
}

export const WAVE_CAST: readonly WaveCast[] = [
  { name: 'storefront', expected: 'promote' },
  { name: 'payments-api', expected: { rolledBackIn: 'us-1' }, canaryErrorRatio: { 'us-1': 0.25 } },
];

export interface WaveDemoOptions {
  readonly rolloutsDir?: string;
  readonly cast?: readonly WaveCast[];
  /** CI + bot every this often. @default 2000 */
  readonly tickMs?: number;
  /** Fail when the story has not ended by then. @default 4 min */
  readonly deadlineMs?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface WaveRolloutSummary {
  readonly name: string;
  readonly expected: WaveCast['expected'];
  readonly finalStage: string;
  readonly lastStage: string;
  /** spec.abort on main: the whole rollout, or only these clusters. */
  readonly aborted: false | 'rollout' | readonly string[];
  readonly abortReason?: string;
  /** Default-route weights of each cluster's VirtualService on main at the end. */
  readonly weights: Readonly<Record<string, { readonly stable: number; readonly canary: number }>>;
  /** The bot's last word on it (e.g. "complete at full"). */
  readonly lastReport: string;
  readonly lastAction: string;
  readonly rollbackPulls: ReadonlyArray<{ readonly number: number; readonly title: string; readonly merged: boolean }>;
}

export interface WaveDemoSummary {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly seconds: number;
  readonly rollouts: readonly WaveRolloutSummary[];
  readonly cleanup: { readonly prometheusExited: boolean; readonly tempDirsRemoved: boolean };
}

const OWNER = 'demo';
const REPO = 'fleet-rollouts';

export async function runWaveDemo(opts: WaveDemoOptions = {}): Promise<WaveDemoSummary> {
  const started = Date.now();
  const cast = opts.cast ?? WAVE_CAST;
  const dir = opts.rolloutsDir ?? WAVE_ROLLOUTS_DIR;
  const log = opts.log ?? (() => {});
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  const say = (who: string, text: string) => log(`[${String(Math.round(seconds())).padStart(3)}s] ${who}: ${text}`);
  const work = mkdtempSync(join(tmpdir(), 'stagegate-waves-demo-'));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(work, { recursive: true, force: true })];
  const proms: RunningPrometheus[] = [];
  let result: Omit<WaveDemoSummary, 'cleanup'> | undefined;
  try {
    const seedFiles = seedFromIntents(
      cast.map((r) => r.name),
      dir,
      'tools/demo/waves/rollouts/',
    );
    const botToken = demoToken('bot');
    const ciToken = demoToken('ci');
    const emu = await startEmulator({
      owner: OWNER,
      repo: REPO,
      seedFiles,
      dataDir: join(work, 'github'),
      users: { [botToken]: 'stagegate-bot', [ciToken]: 'ci' },
    });
    cleanups.push(() => emu.close());
    say('github', `emulated ${emu.url}/repos/${OWNER}/${REPO} seeded with ${cast.map((r) => r.name).join(', ')}`);

    const mainline = new WaveMainline(
      emu,
      new Map(cast.map((r) => [r.name, `rollouts/${r.name}.yaml`])),
      WAVE_CLUSTERS,
      join(work, 'rules'),
    );
    mainline.refresh();
    const apis = new Map<string, PrometheusApi>();
    for (const [i, cluster] of WAVE_CLUSTERS.entries()) {
      const exporter = await startExporter({ services: cast.map((r) => traffic(mainline, cluster, r)), seed: 42 + i });
      cleanups.push(() => exporter.close());
      const prom = await startPrometheus({
        ruleFiles: mainline.ruleFiles(cluster),
        scrapeTargets: [`127.0.0.1:${exporter.port}`],
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      });
      proms.push(prom);
      cleanups.push(() => prom.stop());
      apis.set(cluster, new PrometheusApi(prom.url));
      say(cluster, `prometheus ${prom.url} (pid ${prom.process.pid}) scraping its own exporter ${exporter.url}`);
    }

    const { bot, ciGithub } = demoGithub({ owner: OWNER, repo: REPO, apiUrl: emu.url, botToken, ciToken });
    const ci = new WaveCi({
      github: ciGithub,
      repo: `${OWNER}/${REPO}`,
      apiUrl: emu.url,
      token: ciToken,
      prometheus: apis,
      mainline,
      names: cast.map((r) => r.name),
      workDir: work,
      now: () => new Date(),
    });

    const deadline = started + (opts.deadlineMs ?? 4 * 60_000);
    const last = new Map<string, RolloutReport>();
    const lastVerdict = new Map<string, string>();
    for (;;) {
      if (opts.signal?.aborted) throw new Error('demo interrupted; cleaning up');
      const tickStart = Date.now();
      for (let round = 0; round < 3; round++) {
        for (const h of await ci.pass()) {
          const line = `#${h.pr} ${h.verdict.kind}${h.verdict.baking ? ' (baking)' : ''}: ${h.verdict.clusters.map((c) => `${c.cluster} ${c.verdict.kind}`).join(', ')}`;
          if (lastVerdict.get(h.rollout) !== line) say(h.rollout, `gate ${line}`);
          lastVerdict.set(h.rollout, line);
        }
        const reports = await reconcile(bot);
        for (const r of reports) {
          const name = r.rollout.split('/')[1]!;
          // A wait is told once per kind (bake, checks), not every time its countdown changes.
          const kind = (x: RolloutReport | undefined) => x?.summary.replace(/\d+(\.\d+)?\s*[a-z]+ left/g, '');
          if (kind(last.get(name)) !== kind(r)) say(name, `bot ${r.summary}`);
          last.set(name, r);
        }
        if (mainline.refresh()) {
          await Promise.all(proms.map((p) => p.reload()));
          for (const r of cast) say(r.name, `main: ${describeMain(mainline, r.name)}`);
        }
        if (!reports.some((r) => r.action === 'open' || r.action === 'rollback' || r.action === 'update')) break;
      }
      if (cast.every((r) => settled(r, mainline, last.get(r.name)))) break;
      if (Date.now() > deadline)
        throw new Error(
          `the two-cluster demo did not finish within ${Math.round((opts.deadlineMs ?? 240_000) / 1000)} s: ` +
            cast.map((r) => `${r.name} ${describeMain(mainline, r.name)}`).join('; '),
        );
      await sleep(Math.max(0, (opts.tickMs ?? 2000) - (Date.now() - tickStart)), opts.signal);
    }

    const rollouts: WaveRolloutSummary[] = [];
    for (const r of cast) {
      const live = mainline.get(r.name);
      const m = live.model;
      const pulls = await ciGithub.pullsByHead(rollbackBranch(m.namespace, m.name));
      rollouts.push({
        name: r.name,
        expected: r.expected,
        finalStage: m.stage,
        lastStage: m.stages.at(-1)!.name,
        aborted: m.abort ? 'rollout' : m.clusterAbort ? m.clusterAbort.clusters : false,
        ...((m.abort ?? m.clusterAbort) ? { abortReason: (m.abort ?? m.clusterAbort)!.reason } : {}),
        weights: Object.fromEntries([...live.clusters].map(([c, v]) => [c, v.weights])),
        lastReport: last.get(r.name)?.summary ?? '',
        lastAction: last.get(r.name)?.action ?? '',
        rollbackPulls: pulls.map((p) => ({ number: p.number, title: p.title, merged: p.merged })),
      });
    }
    const problems = judgeWaves(rollouts);
    result = { ok: problems.length === 0, problems, seconds: seconds(), rollouts };
  } finally {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err) => log(`cleanup failed: ${(err as Error).message}`));
  }
  return {
    ...result!,
    cleanup: {
      prometheusExited: proms.every((p) => p.process.exitCode !== null || p.process.signalCode !== null),
      tempDirsRemoved: !existsSync(work),
    },
  };
}

/** What must be true for the demo to count: promoted in both clusters; rolled back in the one, the other at 100 %. */
export function judgeWaves(rollouts: readonly WaveRolloutSummary[]): string[] {
  const problems: string[] = [];
  for (const r of rollouts) {
    const at = (c: string) => r.weights[c] ?? { stable: -1, canary: -1 };
    if (r.finalStage !== r.lastStage)
      problems.push(`${r.name} did not reach its last stage ${r.lastStage} (at ${r.finalStage})`);
    if (r.expected === 'promote') {
      if (r.aborted !== false) problems.push(`${r.name} was rolled back (${JSON.stringify(r.aborted)})`);
      for (const c of WAVE_CLUSTERS)
        if (at(c).canary !== 100) problems.push(`${r.name}: ${c} sends ${at(c).canary} % to canary on main, not 100 %`);
      if (r.lastAction !== 'finish') problems.push(`${r.name}: the bot did not call it complete ("${r.lastReport}")`);
      continue;
    }
    const red = r.expected.rolledBackIn;
    if (!Array.isArray(r.aborted) || r.aborted.join() !== red)
      problems.push(`${r.name}: main's spec.abort does not roll back ${red} alone (${JSON.stringify(r.aborted)})`);
    if (!/stagegate\/health failed/.test(r.abortReason ?? ''))
      problems.push(`${r.name}: the abort on main carries no health evidence ("${r.abortReason ?? ''}")`);
    if (!r.rollbackPulls.some((p) => p.merged && p.title.includes(` in ${red} `)))
      problems.push(`${r.name}: no merged rollback PR of ${red} alone`);
    for (const c of WAVE_CLUSTERS) {
      const want = c === red ? { stable: 100, canary: 0 } : { stable: 0, canary: 100 };
      if (at(c).canary !== want.canary)
        problems.push(`${r.name}: ${c} sends ${at(c).canary} % to canary on main, not ${want.canary} %`);
    }
    if (r.lastAction === 'finish') problems.push(`${r.name}: the bot called it complete while ${red} is rolled back`);
  }
  return problems;
}

/** The story of one rollout is over: complete, or at its last stage with the red cluster rolled back and held. */
function settled(r: WaveCast, mainline: WaveMainline, report: RolloutReport | undefined): boolean {
  const m = mainline.get(r.name).model;
  if (m.abort) return true;
  if (m.stage !== m.stages.at(-1)!.name) return false;
  return r.expected === 'promote'
    ? report?.action === 'finish'
    : m.clusterAbort !== undefined && report?.action === 'nothing';
}

function describeMain(mainline: WaveMainline, name: string): string {
  const live = mainline.get(name);
  const m = live.model;
  const weights = [...live.clusters].map(([c, v]) => `${c} ${v.weights.canary} %`).join(', ');
  const scope = m.abort
    ? ' (rolled back)'
    : m.clusterAbort
      ? ` (${m.clusterAbort.clusters.join(', ')} rolled back)`
      : '';
  return `${m.stage}${scope}: canary ${weights}`;
}

function traffic(mainline: WaveMainline, cluster: string, r: WaveCast): ServiceTraffic {
  const m = mainline.get(r.name).model;
  return serviceTraffic(m, () => mainline.routing(cluster, r.name), {
    canaryErrorRatio: r.canaryErrorRatio?.[cluster] ?? m.traffic.baselineErrorRatio,
  });
}
