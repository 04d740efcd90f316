/**
 * `stagegate gate`: the verdict of a rollout's live stage from Prometheus, for one rollout or for
 * every open stage PR (`--open-prs`, what the workflow's gate job runs), optionally posted as the
 * `stagegate/health` check run on the PR head.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { branchCandidates, DEFAULT_ROLLOUTS_DIR, stageBranch } from '../../constructs/conventions.js';
import { nextStage, type RolloutModel } from '../../constructs/model.js';
import { CommandError, EXIT, UsageError, defineCommand, type Io } from '../cli/command.js';
import { GITHUB_ENV, githubAccess } from '../cli/flags.js';
import { compileDir, findModel } from '../cli/intents.js';
import { POST_OPTIONS, postCheckRun } from '../cli/post-check.js';
import { healthCheckRun } from '../gate/check-run.js';
import { evaluateGate, type Verdict } from '../gate/evaluate.js';
import { PrometheusApi } from '../gate/prometheus-api.js';
import { evaluateWave, type WaveSource, type WaveVerdict } from '../gate/waves.js';
import { reachedClusters } from '../../constructs/clusters.js';
import { botIdentity } from '../bot/reconcile.js';
import { botFromSettings } from '../bot/setup.js';

/** Exit codes of `gate`, so scripts can branch without parsing: pass 0, fail 1, hold 3. */
export const GATE_EXIT: Record<Verdict['kind'], number> = { pass: EXIT.ok, fail: EXIT.fail, hold: EXIT.hold };

export const gateCommand = defineCommand({
  name: 'gate',
  summary: 'pass / hold / fail of the live stage from Prometheus, with evidence (exit 0 / 3 / 1)',
  options: {
    prometheus: {
      type: 'string',
      multiple: true,
      value: 'URL|CLUSTER=URL',
      help:
        'the Prometheus base URL (required); for a wave across clusters either one global view (Thanos, Mimir) ' +
        'whose series carry --cluster-label, or CLUSTER=URL once per cluster',
    },
    'cluster-label': {
      type: 'string',
      value: 'LABEL',
      help: 'with one global --prometheus: the label naming the cluster of a series (default cluster)',
    },
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    'live-since': {
      type: 'string',
      value: 'TIME',
      help: 'when the live stage went live, RFC 3339 (default: the last commit of the intent in this checkout)',
    },
    at: { type: 'string', value: 'TIME', help: 'judge at this time, RFC 3339 (default: now)' },
    ...POST_OPTIONS,
    'open-prs': {
      type: 'boolean',
      help: 'judge every open stage PR of --repo and post stagegate/health on each head (implies --post)',
    },
    only: {
      type: 'string',
      multiple: true,
      value: 'ROLLOUT|BRANCH',
      help: 'with --open-prs: only this rollout (name, namespace/name) or PR head branch',
    },
    state: {
      type: 'string',
      value: 'FILE',
      help: 'with --open-prs: what was posted on each head, kept between runs; an unchanged verdict is not posted again',
    },
  },
  positionals: { usage: '[<rollout>]', min: 0, max: 1, missing: 'which rollout? (name or namespace/name)' },
  env: [...GITHUB_ENV.map((e) => ({ ...e, help: `with --post / --open-prs: ${e.help}` }))],
  exits: {
    ok: 'pass (--open-prs: every PR judged pass, or judged and posted)',
    fail: 'fail: the live stage is unhealthy (--open-prs: on at least one PR)',
    hold: 'hold: not enough evidence yet, baking, or Prometheus unreachable; wait',
    error: 'no verdict: an intent is invalid, --prometheus is not a URL, or posting failed',
  },
  async run({ values, positionals }, io) {
    const [name] = positionals;
    if (values['open-prs'] && name !== undefined)
      throw new UsageError('--open-prs judges every open stage PR; name no rollout with it');
    if (!values['open-prs'] && name === undefined) throw new UsageError('which rollout? (name or namespace/name)');
    if ((values.only || values.state) && !values['open-prs'])
      throw new UsageError('--only and --state go with --open-prs');
    if (values.prometheus === undefined) throw new UsageError('--prometheus URL is required');
    const sources = prometheusSources(values.prometheus);
    const json = values.json === true;
    const rolloutsDir = values.rollouts ?? DEFAULT_ROLLOUTS_DIR;
    const compiled = compileDir(rolloutsDir, io, json);
    if (!compiled) {
      io.stderr('stagegate gate: no verdict while an intent is invalid (exit 4, not a fail)\n');
      return EXIT.error;
    }
    const now = parseTime(values.at, '--at') ?? new Date();
    const explicitSince = parseTime(values['live-since'], '--live-since');
    const judge = (model: RolloutModel, path: string | undefined) => {
      const since = optional('liveSince', explicitSince ?? (path ? lastCommitTime(path, io) : undefined));
      // A wave across clusters: every cluster its live stage reaches (app/gate/waves.ts).
      if (model.clusters)
        return evaluateWave({
          wave: model,
          source: waveSource(model, sources, values['cluster-label']),
          now,
          ...since,
        });
      if (!sources.plain) throw new CommandError(`--prometheus needs a plain URL for ${model.namespace}/${model.name}`);
      return evaluateGate({ model, prometheus: sources.plain, now, ...since });
    };
    const paths = new Map<string, string | undefined>(
      compiled.map((c) => [`${c.model.namespace}/${c.model.name}`, c.source]),
    );
    // One entry per rollout: a wave's outputs per cluster share its whole model.
    const rollouts = [...new Map(compiled.map((c) => [c.source, c.cluster?.wave ?? c.model])).values()];

    if (!values['open-prs']) {
      const model = findModel(rollouts, name!);
      const verdict = await judge(model, paths.get(`${model.namespace}/${model.name}`));
      io.stdout(
        json
          ? `${JSON.stringify(verdict, null, 2)}\n`
          : `${verdict.rollout}: ${verdict.summary}${verdict.baking ? ' (baking)' : ''}\n${clusterLines(verdict)}`,
      );
      await postCheckRun(values, io, healthCheckRun(verdict));
      return GATE_EXIT[verdict.kind];
    }

    // Every open stage PR: the head branch names the rollout and the stage it proposes; the
    // verdict is about the live stage on the default branch (this checkout).
    const access = githubAccess(values, io, '--open-prs');
    const { adapter, options } = botFromSettings({
      owner: access.owner,
      repo: access.repo,
      token: access.token,
      apiUrl: access.apiUrl,
      ...(access.appSlug !== undefined ? { appSlug: access.appSlug } : {}),
    });
    const byBranch = new Map<string, RolloutModel>();
    for (const m of rollouts) {
      const next = nextStage(m);
      // branch_2 … branch_9 too: the bot's fallback names when someone else holds the branch
      // (docs/design.md §4a).
      if (next && !m.abort)
        for (const b of branchCandidates(stageBranch(m.namespace, m.name, next.name))) byBranch.set(b, m);
    }
    // Only the bot's own PRs (docs/design.md §4a): a PR someone else opened on a bot branch is
    // never the bot's, so posting health on it only spends the installation's budget.
    const bot = (await botIdentity(options)).botLogin;
    const only = values.only ?? [];
    const wanted = (branch: string, m: RolloutModel) =>
      only.length === 0 || only.some((o) => o === branch || o === m.name || o === `${m.namespace}/${m.name}`);
    const stateFile = values.state === undefined ? undefined : resolve(io.cwd, values.state);
    const posted = readState(stateFile, `${access.apiUrl} ${access.owner}/${access.repo}`);
    const results: Array<{ pr: number; rollout: string; sha: string; verdict: Verdict; checkRun: number | null }> = [];
    for (const pr of await adapter.openPulls()) {
      const model = byBranch.get(pr.headRef);
      if (!model || !wanted(pr.headRef, model) || pr.author !== bot) continue;
      const verdict = await judge(model, paths.get(`${model.namespace}/${model.name}`));
      const run = healthCheckRun(verdict);
      // The same verdict as last time on this head costs no request (issue 10, item 10): the
      // check run already says it. A lost state file only means posting once more.
      const key = `${run.status}/${run.conclusion ?? ''}/${verdict.kind}/${verdict.baking}`;
      const same = posted.runs[pr.headSha];
      const id = same?.key === key ? null : (await adapter.upsertCheckRun(pr.headSha, run)).id;
      if (id !== null) posted.runs[pr.headSha] = { key, id };
      results.push({ pr: pr.number, rollout: verdict.rollout, sha: pr.headSha, verdict, checkRun: id ?? same!.id });
      if (!json)
        io.stdout(
          `#${pr.number} ${verdict.rollout}: ${verdict.summary}${verdict.baking ? ' (baking)' : ''} → ` +
            `${id === null ? `unchanged, check run ${same!.id}` : `check run ${id}`}\n`,
        );
    }
    if (stateFile) {
      const open = new Set(results.map((r) => r.sha));
      for (const sha of Object.keys(posted.runs))
        if (!open.has(sha) && (values.only ?? []).length === 0) delete posted.runs[sha];
      mkdirSync(dirname(stateFile), { recursive: true });
      writeFileSync(`${stateFile}.tmp`, JSON.stringify(posted));
      renameSync(`${stateFile}.tmp`, stateFile);
    }
    if (json) io.stdout(`${JSON.stringify({ ok: true, results }, null, 2)}\n`);
    else if (results.length === 0) io.stdout('no open stage PR to judge\n');
    const kinds = new Set(results.map((r) => r.verdict.kind));
    return kinds.has('fail') ? EXIT.fail : kinds.has('hold') ? EXIT.hold : EXIT.ok;
  },
});

interface PostedState {
  readonly scope: string;
  readonly runs: Record<string, { key: string; id: number }>;
}

/** The state file for this API and repository; a missing, corrupt or foreign one is a fresh start. */
function readState(file: string | undefined, scope: string): PostedState {
  if (file === undefined || !existsSync(file)) return { scope, runs: {} };
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as PostedState;
    return state.scope === scope && typeof state.runs === 'object' && state.runs !== null ? state : { scope, runs: {} };
  } catch {
    return { scope, runs: {} };
  }
}

interface PrometheusSources {
  /** The one URL given without a cluster: a one-cluster Prometheus, or a wave's global view. */
  readonly plain?: PrometheusApi;
  readonly perCluster: ReadonlyMap<string, PrometheusApi>;
}

/** `--prometheus URL` at most once, `--prometheus CLUSTER=URL` once per cluster. */
function prometheusSources(texts: readonly string[]): PrometheusSources {
  let plain: PrometheusApi | undefined;
  const perCluster = new Map<string, PrometheusApi>();
  for (const text of texts) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(.*)$/.exec(text);
    if (m) {
      if (perCluster.has(m[1]!)) throw new UsageError(`--prometheus ${m[1]}=… is given twice`);
      perCluster.set(m[1]!, prometheusApi(m[3]!));
    } else {
      if (plain) throw new UsageError('--prometheus URL is given twice; name clusters as --prometheus CLUSTER=URL');
      plain = prometheusApi(text);
    }
  }
  return { ...(plain ? { plain } : {}), perCluster };
}

/** Per-cluster URLs when any is given (each reached cluster needs one), else the plain URL as a global view. */
function waveSource(wave: RolloutModel, sources: PrometheusSources, label = 'cluster'): WaveSource {
  if (sources.perCluster.size === 0) {
    if (!sources.plain) throw new CommandError(`--prometheus needs a URL for ${wave.namespace}/${wave.name}`);
    return { global: sources.plain, clusterLabel: label };
  }
  const missing = reachedClusters(wave).filter((c) => !sources.perCluster.has(c));
  if (missing.length > 0)
    throw new CommandError(
      `${wave.namespace}/${wave.name} reaches ${missing.join(', ')} at stage "${wave.stage}" but --prometheus names no URL for it; add --prometheus ${missing[0]}=URL`,
    );
  return { perCluster: sources.perCluster };
}

/** One line per judged cluster under a wave's verdict. */
function clusterLines(verdict: Verdict): string {
  if (!('clusters' in verdict)) return '';
  return (verdict as WaveVerdict).clusters.map((c) => `  ${c.cluster}: ${c.verdict.summary}\n`).join('');
}

/** `--prometheus` must be an http(s) URL; anything else is configuration to fix, not a verdict. */
function prometheusApi(text: string): PrometheusApi {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CommandError(
      `--prometheus must be an http(s) URL such as http://prometheus:9090 (got ${JSON.stringify(text)})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CommandError(`--prometheus must be an http(s) URL (got a ${url.protocol} URL)`);
  return new PrometheusApi(text);
}

/** When the intent last changed in this checkout (git), a stand-in for "the live stage went live". */
function lastCommitTime(path: string, io: Io): Date | undefined {
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%cI', '--', path], {
      cwd: io.cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const date = new Date(out);
    return out === '' || Number.isNaN(date.getTime()) ? undefined : date;
  } catch {
    return undefined;
  }
}

function parseTime(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} takes an RFC 3339 time (got "${text}")`);
  return date;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
