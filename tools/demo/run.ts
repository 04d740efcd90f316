/**
 * `stagegate demo`: the whole loop on one machine, on 127.0.0.1 only. An emulated GitHub
 * repository seeded with two intents and their generated files; a synthetic Istio exporter whose
 * routing follows main's VirtualServices; a real Prometheus loading main's PrometheusRules
 * (reloaded at every merge); and, every tick, CI (verify + the health gate as a "ci" user)
 * followed by one reconcile pass of the bot — the code `stagegate advance` runs. storefront is
 * promoted to 100 %; payments-api regresses at its second stage and is rolled back; search, a staged
 * copy, is drilled (tools/demo/drill.ts) and rolled back by the drill's alert.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rollbackBranch, stageBranch } from '../../constructs/conventions.js';
import { liveStageIndex } from '../../constructs/model.js';
import { binary, render, rate, sum } from '../../constructs/promql/ast.js';
import { errorsExpr, istioTarget, requestsSelector } from '../../constructs/promql/istio.js';
import type { GitHubAdapter } from '../../app/bot/github.js';
import { reconcile, type RolloutReport } from '../../app/bot/reconcile.js';
import { Notifier } from '../../app/bot/notify.js';
import { startWebhookSink } from './webhook.js';
import { startEmulator } from '../emulator/index.js';
import { PrometheusApi } from '../../app/gate/prometheus-api.js';
import { startPrometheus, type RunningPrometheus } from '../prometheus.js';
import { DemoCi, type CiPass } from './ci.js';
import { startExporter, type ServiceTraffic } from './exporter.js';
import { Mainline } from './mainline.js';
import { Narrator } from './narrator.js';
import { progressLine, type DemoSummary, type RolloutSummary } from './report.js';
import { renderTimeline } from './timeline.js';
import { writeDemoReports } from './reports.js';
import { DemoDrill, type DemoDrillPlan, type DemoDrillResult } from './drill.js';
import { demoGithub, demoToken, seedFromIntents, serviceTraffic, sleep } from './world.js';

/** The intents shipped with the demo. */
export const DEMO_ROLLOUTS_DIR = resolve(import.meta.dirname, 'rollouts');

export interface DemoRollout {
  readonly name: string;
  readonly expected: 'promote' | 'rollback';
  /** Requests per second carrying the cohort header. @default 0 */
  readonly cohortRequestsPerSecond?: number;
  /** Canary error ratio injected once the rollout reaches stage index `atStage`. */
  readonly regression?: { readonly atStage: number; readonly canaryErrorRatio: number };
  /** A rollback drill on this (staged) rollout's cohort route. */
  readonly drill?: DemoDrillPlan;
}

export const DEMO_CAST: readonly DemoRollout[] = [
  { name: 'storefront', expected: 'promote', cohortRequestsPerSecond: 20 },
  { name: 'payments-api', expected: 'rollback', regression: { atStage: 1, canaryErrorRatio: 0.25 } },
  {
    name: 'search',
    expected: 'rollback',
    cohortRequestsPerSecond: 20,
    drill: { afterSeconds: 15, fault: { kind: 'abort', httpStatus: 503, percent: 50 } },
  },
];

export interface DemoOptions {
  /** Where the timeline SVG goes. */
  readonly outDir: string;
  /** Directory of the intents (`<name>.yaml` for every cast member). @default DEMO_ROLLOUTS_DIR */
  readonly rolloutsDir?: string;
  readonly cast?: readonly DemoRollout[];
  /** CI + bot every this often. @default 2500 */
  readonly tickMs?: number;
  /** Fail when the story has not ended by then. @default 6 min */
  readonly deadlineMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Aborts the demo (Ctrl-C); everything started is still cleaned up. */
  readonly signal?: AbortSignal;
}

const OWNER = 'demo';
const REPO = 'shop-rollouts';

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const cast = opts.cast ?? DEMO_CAST;
  const rolloutsDir = opts.rolloutsDir ?? DEMO_ROLLOUTS_DIR;
  const log = opts.log ?? (() => {});
  const work = mkdtempSync(join(tmpdir(), 'stagegate-demo-'));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(work, { recursive: true, force: true })];
  let prometheus: RunningPrometheus | undefined;
  let summary: Omit<DemoSummary, 'cleanup'> | undefined;
  try {
    // Tenths of a second: enough for people and for the rollback timing, no float noise in JSON.
    const seconds = () => Math.round((Date.now() - started) / 100) / 10;
    const seedFiles = seedFromIntents(
      cast.map((r) => r.name),
      rolloutsDir,
      'tools/demo/rollouts/',
    );
    const botToken = demoToken('bot');
    const ciToken = demoToken('ci');
    const sreToken = demoToken('sre');
    const reviewerToken = demoToken('reviewer');
    const emu = await startEmulator({
      owner: OWNER,
      repo: REPO,
      seedFiles,
      dataDir: join(work, 'github'),
      users: { [botToken]: 'stagegate-bot', [ciToken]: 'ci', [sreToken]: 'sre', [reviewerToken]: 'reviewer' },
    });
    cleanups.push(() => emu.close());
    log(
      progressHeader(
        `emulated GitHub ${emu.url}/repos/${OWNER}/${REPO} seeded with ${cast.map((r) => r.name).join(', ')}`,
        seconds(),
      ),
    );

    const ruleDir = join(work, 'rules');
    mkdirSync(ruleDir);
    const mainline = new Mainline(emu, new Map(cast.map((r) => [r.name, `rollouts/${r.name}.yaml`])), ruleDir);
    mainline.refresh();

    const exporter = await startExporter({ services: cast.map((r) => traffic(mainline, r)), seed: 42 });
    cleanups.push(() => exporter.close());
    prometheus = await startPrometheus({
      ruleFiles: mainline.ruleFiles(),
      scrapeTargets: [`127.0.0.1:${exporter.port}`],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    const prom = prometheus;
    cleanups.push(() => prom.stop());
    log(
      progressHeader(
        `prometheus ${prom.url} (pid ${prom.process.pid}) scraping the exporter ${exporter.url} every 1 s`,
        seconds(),
      ),
    );

    // Notifications as a team would get them (README "Notifications"): the bot posts after each pass.
    const notifications: string[] = [];
    const sink = await startWebhookSink((e) => {
      notifications.push(`${e.rollout.split('/')[1]}: ${e.event}`);
      log(progressLine(seconds(), e.rollout.split('/')[1]!, `notify: ${e.text}`));
    });
    cleanups.push(() => sink.close());
    const notifier = new Notifier({ url: sink.url, format: 'json', repository: `${OWNER}/${REPO}`, backoffMs: 20 });
    const { github, bot, ciGithub } = demoGithub({
      owner: OWNER,
      repo: REPO,
      apiUrl: emu.url,
      botToken,
      ciToken,
      wrapPort: (p) => notifier.wrap(p),
    });
    const promApi = new PrometheusApi(prom.url);
    const ci = new DemoCi({
      github: ciGithub,
      repo: `${OWNER}/${REPO}`,
      apiUrl: emu.url,
      token: ciToken,
      prometheus: promApi,
      mainline,
      names: cast.map((r) => r.name),
      workDir: work,
      now: () => new Date(),
    });
    const narrator = new Narrator(cast, mainline, seconds, log);
    const drills = cast.flatMap((r) =>
      r.drill
        ? [
            new DemoDrill({
              ...{ name: r.name, path: `rollouts/${r.name}.yaml`, plan: r.drill, owner: OWNER, repo: REPO },
              ...{ apiUrl: emu.url, sreToken, reviewerToken, github, mainline, seconds },
              say: (name, text) => narrator.say(name, text),
            }),
          ]
        : [],
    );
    const deadline = started + (opts.deadlineMs ?? 6 * 60_000);
    const tickMs = opts.tickMs ?? 2500;
    const injected = new Set<string>();
    let tail = 2; // ticks after the story ends, so the timeline shows the rollback settle

    for (;;) {
      if (opts.signal?.aborted) throw new Error('demo interrupted; cleaning up');
      const tickStart = Date.now();
      // CI reacts to new PR heads at once (as a pull_request workflow would): a round is repeated
      // while the bot opened or rebuilt a PR, at most three times a tick.
      for (let round = 0; round < 3; round++) {
        const ciPass: CiPass = await ci.pass();
        narrator.ci(ciPass);
        const reports: RolloutReport[] = await reconcile(bot);
        narrator.bot(reports);
        await notifier.flush();
        if (mainline.refresh()) {
          await prom.reload();
          narrator.mainChanged();
        }
        if (!reports.some((r) => r.action === 'open' || r.action === 'rollback' || r.action === 'update')) break;
      }
      for (const r of cast) {
        if (!r.regression || injected.has(r.name)) continue;
        const live = mainline.get(r.name).model;
        if (!live.abort && liveStageIndex(live) >= r.regression.atStage) {
          exporter.set(live.service.host, { canaryErrorRatio: r.regression.canaryErrorRatio });
          injected.add(r.name);
          narrator.say(
            r.name,
            `injecting a regression: canary ${live.canary} now answers ${Math.round(r.regression.canaryErrorRatio * 100)} % of requests with 500`,
          );
        }
      }
      for (const d of drills)
        if ((await d.tick()) && mainline.refresh()) {
          await prom.reload();
          narrator.mainChanged();
        }
      await narrator.sample(async (name) => errorRatios(promApi, mainline, name));
      const done = narrator.storyComplete();
      if (done) tail -= 1;
      if (done && tail < 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `the demo did not finish within ${Math.round((opts.deadlineMs ?? 360_000) / 1000)} s: ${narrator.where()}; ` +
            'is this machine very busy? the progress lines above show the last step reached',
        );
      }
      await sleep(Math.max(0, tickMs - (Date.now() - tickStart)), opts.signal);
    }

    const rollouts: RolloutSummary[] = [];
    for (const r of cast)
      rollouts.push(narrator.summarize(r, await pullsOf(ciGithub, mainline, r.name), emu.log('main')));
    mkdirSync(opts.outDir, { recursive: true });
    const timeline = join(opts.outDir, 'timeline.svg');
    writeFileSync(
      timeline,
      renderTimeline({ title: 'stagegate demo: canary weight and 5xx ratio', rollouts: narrator.timeline() }),
    );
    // issue #16: the post-release report of each rollout, from main's history and this Prometheus.
    const names = cast.map((r) => r.name);
    const reportArgs = { gitDir: emu.gitDir, mainline, names, prometheus: promApi, outDir: opts.outDir };
    for (const path of await writeDemoReports(reportArgs)) log(`report: ${path}`);
    const measured: DemoDrillResult[] = [];
    for (const d of drills) {
      const m = await d.measure(opts.deadlineMs ?? 6 * 60_000);
      measured.push(m);
      log(`drill: ${m.rollout}: ${m.summary}`);
      for (const line of m.ledger) log(`drill: ledger on main: ${line}`);
    }
    const problems = [...judge(rollouts), ...judgeDrills(measured)];
    summary = {
      ok: problems.length === 0,
      problems,
      seconds: seconds(),
      rollouts,
      commits: emu.log('main').length,
      notifications,
      timeline,
      drills: measured,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err) => log(`cleanup failed: ${(err as Error).message}`));
    }
  }
  const child = prometheus?.process;
  return {
    ...summary,
    cleanup: {
      prometheusPid: child?.pid,
      prometheusExited: child === undefined || child.exitCode !== null || child.signalCode !== null,
      tempDirsRemoved: !existsSync(work),
    },
  };
}

/** What must be true for the demo to count: the promoted one at its last stage, the other rolled back with evidence. */
export function judge(rollouts: readonly RolloutSummary[]): string[] {
  const problems: string[] = [];
  for (const r of rollouts) {
    if (r.expected === 'promote') {
      if (r.aborted || r.finalStage !== r.stages.at(-1))
        problems.push(
          `${r.name} did not reach its last stage ${r.stages.at(-1)} (at ${r.finalStage}${r.aborted ? ', aborted' : ''})`,
        );
      if (r.finalWeights.canary !== 100)
        problems.push(`${r.name}: the VirtualService on main sends ${r.finalWeights.canary} % to canary, not 100 %`);
    } else {
      if (!r.aborted) problems.push(`${r.name} was not aborted (at ${r.finalStage})`);
      const merged = r.pulls.find((p) => p.kind === 'rollback' && p.merged);
      if (!merged || !r.rollback) problems.push(`${r.name} has no merged rollback PR`);
      else if (!/stagegate\/health failed/.test(r.rollback.abortReason))
        problems.push(`${r.name}: the abort on main carries no health evidence ("${r.rollback.abortReason}")`);
      if (r.finalWeights.stable !== 100)
        problems.push(`${r.name}: the VirtualService on main sends ${r.finalWeights.stable} % to stable, not 100 %`);
    }
  }
  return problems;
}

/** A drill counts when it ended in a measured rollback (fault → red → rollback merged → 100 % stable). */
export function judgeDrills(drills: readonly DemoDrillResult[]): string[] {
  return drills.flatMap((d) =>
    d.outcome !== 'rolled-back'
      ? [`drill of ${d.rollout} did not end in a rollback: ${d.summary}`]
      : d.ledger.length === 0
        ? [`drill of ${d.rollout}: the rollback's merge commit on main records no drill times`]
        : [],
  );
}

/*
 * Shared with the two-cluster demo (tools/demo/waves/run.ts): the repository's seed, the tokens,
 * the bot's and CI's GitHub clients, a service's synthetic traffic, and the tick's sleep.
 */

/** Each intent `<dir>/<name>.yaml` at rollouts/<name>.yaml and the files compile() generates from them. */
function traffic(mainline: Mainline, r: DemoRollout): ServiceTraffic {
  return serviceTraffic(mainline.get(r.name).model, () => mainline.routing(r.name), {
    cohortRequestsPerSecond: r.cohortRequestsPerSecond ?? 0,
  });
}

/** Canary and stable error ratio over the last 10 s, straight from the raw Istio series (what the rules count as an error). */
async function errorRatios(
  api: PrometheusApi,
  mainline: Mainline,
  name: string,
): Promise<{ canary?: number; stable?: number }> {
  const m = mainline.get(name).model;
  const t = istioTarget(m);
  const by = [t.versionLabel];
  const expr = render(binary('/', errorsExpr(t, 10_000, by), sum(rate(requestsSelector(t), 10_000), by)));
  const samples = await api.query(expr, new Date()).catch(() => []);
  const of = (v: string) => {
    const x = samples.find((s) => s.labels[t.versionLabel] === v)?.value;
    return x !== undefined && Number.isFinite(x) ? x : undefined;
  };
  const canary = of(m.canary);
  const stable = of(m.stable);
  return { ...(canary !== undefined ? { canary } : {}), ...(stable !== undefined ? { stable } : {}) };
}

async function pullsOf(github: GitHubAdapter, mainline: Mainline, name: string): Promise<RolloutSummary['pulls']> {
  const m = mainline.get(name).model;
  const branches = [
    ...m.stages.slice(1).map((s) => ({ branch: stageBranch(m.namespace, m.name, s.name), kind: 'stage' as const })),
    { branch: rollbackBranch(m.namespace, m.name), kind: 'rollback' as const },
  ];
  const out = [];
  for (const { branch, kind } of branches) {
    for (const p of await github.pullsByHead(branch)) {
      out.push({
        number: p.number,
        title: p.title,
        state: p.state,
        merged: p.merged,
        kind,
        createdAt: p.createdAt,
        mergedAt: p.mergedAt,
        closedAt: p.closedAt,
      });
    }
  }
  return out.sort((a, b) => a.number - b.number);
}

function progressHeader(text: string, t: number): string {
  return `[${String(Math.round(t)).padStart(3)}s] ${text}`;
}
