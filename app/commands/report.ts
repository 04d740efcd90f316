/**
 * `stagegate report <rollout>`: the post-release analysis of a finished or aborted rollout
 * (issue #16) from the local Git checkout (`git log` of its intent: who made each stage live,
 * when, what ended it), or with `--repo` from GitHub through the bot's port (the default branch's
 * history, and the gate's verdicts on the rollout's PRs), and Prometheus (range queries per version
 * over the rollout's span: the built-in and every user-defined signal, the ALERTS that fired);
 * with `--post` the Markdown goes on the rollout's last PR of the bot's own as one comment (post.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { observeOne } from '../bot/reconcile.js';
import type { BotConfig } from '../bot/planner-types.js';
import type { GitHubPort } from '../bot/port.js';
import { defineCommand, type Io, UsageError } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, githubAccess } from '../cli/flags.js';
import { compileDir, findModel } from '../cli/intents.js';
import { botOptions, intentPathOf } from '../cli/rollout-command.js';
import { firedAlerts, gateVerdicts, NO_EXTRAS, type ReportExtras, userSignalSeries } from '../report/extras.js';
import { intentRevisionsFromGitHub } from '../report/github-history.js';
import type { IntentRevision } from '../report/model.js';
import { PrometheusApi, PrometheusUnavailable } from '../gate/prometheus-api.js';
import { intentRevisions } from '../report/git-history.js';
import { type ChartLine, renderReport } from '../report/markdown.js';
import { postReport } from '../report/post.js';
import { analyse, type SignalSeries } from '../report/model.js';
import { signalSeries } from '../report/series.js';

const NO_SIGNALS: SignalSeries = {
  requests: { stable: [], canary: [] },
  errorRatio: { stable: [], canary: [] },
  p99Ms: { stable: [], canary: [] },
};

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'post-release analysis of a rollout from Git and Prometheus: Markdown with an SVG chart per signal',
  options: {
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    prometheus: { type: 'string', value: 'URL', help: 'range queries per version (without it: Git only)' },
    out: { type: 'string', value: 'DIR', help: 'write <rollout>.report.md and the SVG charts there (default: stdout)' },
    post: {
      type: 'boolean',
      help: 'with --repo: post the report as one comment on the rollout’s last PR of the bot’s own (edited in place)',
    },
    ...REPO_OPTION,
    ...APP_OPTIONS,
  },
  env: GITHUB_ENV,
  positionals: { usage: '<rollout>', min: 1, max: 1, missing: 'name one rollout (its metadata.name or file name)' },
  exits: {
    ok: 'the report was written',
    fail: 'an intent is invalid; --post found no PR of the bot’s own to post on',
    error: 'git or Prometheus could not be read',
  },
  async run({ values, positionals }, io) {
    if (values.post === true && !values.repo)
      throw new UsageError('--post needs --repo OWNER/NAME: the report is posted through GitHub');
    const read = values.repo ? await fromGitHub(values, positionals[0]!, io) : fromGit(values, positionals[0]!, io);
    if (typeof read === 'number') return read;
    const { model, revisions } = read;
    let signals = NO_SIGNALS;
    let extras: ReportExtras = { ...NO_EXTRAS, ...(read.verdicts ? { verdicts: read.verdicts } : {}) };
    if (values.prometheus && revisions.length > 0) {
      const start = new Date(revisions[0]!.at);
      const end = new Date(Math.max(start.getTime() + 60_000, Date.now()));
      const api = new PrometheusApi(values.prometheus);
      try {
        signals = await signalSeries(model, api, { start, end });
        const [userSignals, alerts] = await Promise.all([
          userSignalSeries(model, api, { start, end }),
          firedAlerts(model, api, { start, end }),
        ]);
        extras = { ...extras, userSignals, alerts };
      } catch (err) {
        if (!(err instanceof PrometheusUnavailable)) throw err;
        io.stderr(`stagegate report: ${err.message}\n`);
        return 4;
      }
    }
    const analysis = analyse(model, revisions, signals, extras);
    if (values.json === true && values.post !== true) {
      io.stdout(`${JSON.stringify(analysis, null, 2)}\n`);
      return 0;
    }
    const out = values.out ? resolve(io.cwd, values.out) : undefined;
    if (out) {
      const rendered = renderReport(analysis);
      mkdirSync(out, { recursive: true });
      for (const [name, svg] of Object.entries(rendered.charts)) writeFileSync(join(out, name), svg);
      const md = join(out, `${model.namespace}-${model.name}.report.md`);
      writeFileSync(md, rendered.markdown);
      if (values.post !== true) {
        io.stdout(`${relative(io.cwd, md)}\n`);
        return 0;
      }
    }
    if (values.post === true && read.post) {
      const posted = renderReport(analysis, postedChart(out && relative(io.cwd, out)));
      const outcome = await postReport(read.post.port, read.post.config, model, posted.markdown);
      for (const s of outcome.skipped) io.stderr(`stagegate report: not posting on ${s}\n`);
      if (values.json === true) io.stdout(`${JSON.stringify(outcome)}\n`);
      if (outcome.kind === 'refused') {
        if (values.json !== true) io.stderr(`stagegate report: ${outcome.message}\n`);
        return 1;
      }
      const said = {
        posted: 'posted the report on',
        edited: 'edited the report on',
        unchanged: 'the report is unchanged on',
      };
      if (values.json !== true) io.stdout(`${model.namespace}/${model.name}: ${said[outcome.kind]} #${outcome.pr}\n`);
      return 0;
    }
    io.stdout(renderReport(analysis).markdown);
    return 0;
  },
});

/**
 * A chart in the posted comment: its file named, not embedded. The SVGs exist only where
 * `--out` wrote them (a comment can show an image only from a URL GitHub can fetch); README,
 * "Post-release report".
 */
function postedChart(outDir: string | undefined): ChartLine {
  return (file) =>
    outDir !== undefined
      ? `Chart: \`${outDir}/${file}\` (written by --out; an SVG file cannot be embedded in a PR comment).`
      : `Chart: \`${file}\`, written by \`stagegate report --out DIR\` (an SVG file cannot be embedded in a PR comment).`;
}

interface Read {
  readonly model: RolloutModel;
  /** With --repo: the port and the bot's identity --post writes with. */
  readonly post?: { readonly port: GitHubPort; readonly config: BotConfig };
  readonly revisions: readonly IntentRevision[];
  readonly verdicts?: ReportExtras['verdicts'];
}

/** The intent and its history from the local checkout (`git log`); an exit code when they cannot be read. */
function fromGit(values: { readonly rollouts?: string; readonly json?: boolean }, name: string, io: Io): Read | number {
  const compiled = compileDir(values.rollouts ?? DEFAULT_ROLLOUTS_DIR, io, values.json === true);
  if (!compiled) return 1;
  const model = findModel(
    compiled.map((c) => c.model),
    name,
  );
  const source = compiled.find((c) => c.model === model)!.source;
  try {
    return { model, revisions: intentRevisions({ cwd: io.cwd }, relative(io.cwd, resolve(io.cwd, source))) };
  } catch (err) {
    io.stderr(`stagegate report: ${(err as Error).message}\n`);
    return 4;
  }
}

/** The intent, its history on the default branch and the gate's verdicts, from GitHub (`--repo`). */
async function fromGitHub(values: Parameters<typeof githubAccess>[0], name: string, io: Io): Promise<Read> {
  const options = botOptions(githubAccess(values, io, 'report'), io);
  const path = intentPathOf(name);
  const { config, observed } = await observeOne(options, path);
  const model = observed.model;
  return {
    model,
    post: { port: options.port, config },
    revisions: await intentRevisionsFromGitHub(options.port, path, model),
    verdicts: await gateVerdicts(options.port, config, model),
  };
}
