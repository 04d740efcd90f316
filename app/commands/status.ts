/**
 * `stagegate status [--repo OWNER/NAME | --rollouts DIR] [--json]`: every rollout at a glance
 * (issue 15), read-only. From GitHub it reads what a bot pass reads and shows the planner's
 * decision without executing it (app/bot/status.ts); from a checkout it shows what the intents say.
 */
import { DEFAULT_OUT_DIR, DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import { DEFAULTS_FILE, isDefaultsFile, parseDefaults } from '../../constructs/spec/defaults.js';
import { formatProblem, parseIntent } from '../../constructs/spec/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ResponseCache } from '../bot/cache.js';
import { clusterStatuses } from '../bot/cluster-status.js';
import type { Regenerate } from '../bot/content.js';
import { gitBlobSha } from '../bot/reader.js';
import { readStatus, fromModel, withClusters, type RolloutStatus } from '../bot/status.js';
import { botFromSettings, cacheScope, compilingRegenerate } from '../bot/setup.js';
import { CommandError, EXIT, UsageError, defineCommand } from '../cli/command.js';
import { APP_OPTIONS, GITHUB_ENV, REPO_OPTION, botSettings, githubAccess } from '../cli/flags.js';
import { formatStatus } from '../cli/status-table.js';
import { readIntents } from '../workspace.js';

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'read-only: every rollout, its live stage and weight, its PR and what it waits for, health, timebox',
  options: {
    ...REPO_OPTION,
    ...APP_OPTIONS,
    rollouts: {
      type: 'string',
      value: 'DIR',
      help: `read a checkout instead of GitHub: the intents only, no PRs (default ${DEFAULT_ROLLOUTS_DIR})`,
    },
    cache: {
      type: 'string',
      value: 'FILE',
      help: "with --repo: remembered answers (advance's --cache file works too), so a repeated status is mostly 304s",
    },
  },
  env: GITHUB_ENV.map((e) => ({ ...e, help: `with --repo: ${e.help}` })),
  exits: {
    ok: 'every rollout was read',
    fail: 'some rollout could not be read (an invalid intent, a failed call); the others are shown',
    error: 'nothing could be read (GitHub unreachable, bad token, no rollouts directory)',
  },
  async run({ values }, io) {
    if (values.cache !== undefined && values.repo === undefined) throw new UsageError('--cache goes with --repo');
    if (values.repo !== undefined && values.rollouts !== undefined)
      throw new UsageError('give --repo (GitHub) or --rollouts (a checkout), not both');
    let statuses: RolloutStatus[];
    let source: string;
    if (values.repo !== undefined) {
      const settings = botSettings(githubAccess(values, io, 'status'));
      if (values.cache === '') throw new UsageError('--cache needs a file path');
      const cacheFile = values.cache === undefined ? undefined : resolve(io.cwd, values.cache);
      const warn = (line: string): void => io.stderr(`stagegate status: ${line}\n`);
      const cache = cacheFile ? await ResponseCache.load(cacheFile, cacheScope(settings), warn) : undefined;
      const { options, adapter } = botFromSettings({
        ...settings,
        ...(cache ? { cache } : {}),
        github: { log: (l) => io.stderr(`${l}\n`), ...settings.github },
      });
      statuses = await readStatus(options);
      // A local file, never a request: what was learnt (ETags, content by sha) for the next run.
      if (cacheFile) await adapter.cache.save(cacheFile).catch((err: unknown) => warn((err as Error).message));
      source = `${settings.owner}/${settings.repo}`;
    } else {
      const dir = values.rollouts ?? DEFAULT_ROLLOUTS_DIR;
      statuses = await checkoutStatus(dir, io.cwd);
      source = dir;
    }
    if (values.json === true) io.stdout(`${JSON.stringify({ source, rollouts: statuses }, null, 2)}\n`);
    else io.stdout(formatStatus(statuses, source));
    for (const s of statuses.filter((x) => x.error !== undefined)) io.stderr(`${s.path}: ${s.error}\n`);
    return statuses.some((s) => s.phase === 'error') ? EXIT.fail : EXIT.ok;
  },
});

/**
 * A checkout knows the intents (with the repository defaults, as synth applies them) but not
 * when a stage went live nor the PRs: bake and timebox stay unknown there. A wave's clusters are
 * read from the checkout's generated/<cluster>/ files, as from GitHub (cluster-status.ts).
 */
async function checkoutStatus(dir: string, cwd: string): Promise<RolloutStatus[]> {
  let sources: ReturnType<typeof readIntents>;
  try {
    sources = readIntents(dir, cwd);
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  const defaultsSource = sources.find((s) => isDefaultsFile(s.path) || s.path.endsWith(`/${DEFAULTS_FILE}`));
  const defaults = defaultsSource ? parseDefaults(defaultsSource.path, defaultsSource.text) : undefined;
  const out: RolloutStatus[] = [];
  const regenerate = compilingRegenerate();
  for (const s of sources.filter((x) => x !== defaultsSource)) {
    const parsed =
      defaults && !defaults.ok
        ? defaults
        : parseIntent(s.path, s.text, defaults?.ok ? { defaults: defaults.defaults } : {});
    if (parsed.ok && parsed.model.clusters) {
      const texts = new Map<string, string>();
      const generated = new Map<string, string>();
      const regen: Regenerate = (p, t) => regenerate(p, t, defaultsSource?.text);
      const built = regen(s.path, s.text);
      for (const g of [built, ...(built.others ?? [])]) {
        const file = `${DEFAULT_OUT_DIR}/${g.file}`;
        const full = join(resolve(cwd), file);
        if (!existsSync(full)) continue;
        const text = readFileSync(full, 'utf8');
        texts.set(gitBlobSha(text), text);
        generated.set(file, gitBlobSha(text));
      }
      const clusters = await clusterStatuses({
        path: s.path,
        text: s.text,
        model: parsed.model,
        regenerate: regen,
        generated,
        blob: async (sha) => texts.get(sha) ?? '',
      });
      out.push(withClusters(fromModel(s.path, parsed.model), clusters));
    } else if (parsed.ok) out.push(fromModel(s.path, parsed.model));
    else {
      const error = parsed.problems.map(formatProblem).join('; ');
      out.push({
        rollout: s.path,
        path: s.path,
        phase: 'error',
        next: { action: 'none', detail: 'invalid intent' },
        error,
      });
    }
  }
  return out;
}
