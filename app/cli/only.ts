/**
 * `--only ROLLOUT|BRANCH` for event-driven passes (issue 10, item 10): a check_run event names its
 * PR's head branch (`stagegate/<namespace>/<name>/<stage>`), so that pass looks at one rollout
 * instead of all. It is a port wrapper (docs/design.md §4: the platform port is injected; a
 * filter, like a cache, wraps it): the pass sees only the matching intents under rollouts/, and
 * everything else it does is unchanged. Intent texts are read by blob sha (remembered across
 * runs by the content-addressed cache), so matching costs no request when the cache is warm.
 */
import { parse } from 'yaml';
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import type { GitHubPort } from '../bot/port.js';
import { UsageError } from './command.js';

interface Wanted {
  readonly namespace?: string;
  readonly name: string;
}

/** A rollout (`name`, `namespace/name`, `rollouts/name.yaml`) or a stagegate branch. */
export function parseOnly(text: string): Wanted {
  const branch = /^stagegate\/([^/]+)\/([^/]+)\/[^/]+$/.exec(text);
  if (branch) return { namespace: branch[1]!, name: branch[2]! };
  const file = new RegExp(`^${DEFAULT_ROLLOUTS_DIR}/([^/]+)\\.ya?ml$`).exec(text);
  if (file) return { name: file[1]! };
  const id = /^(?:([a-z0-9][a-z0-9-]*)\/)?([a-z0-9][a-z0-9-]*)$/.exec(text);
  if (id) return { ...(id[1] ? { namespace: id[1] } : {}), name: id[2]! };
  throw new UsageError(
    `--only takes a rollout (name, namespace/name, rollouts/NAME.yaml) or a stagegate/<namespace>/<name>/<stage> branch (got ${JSON.stringify(text)})`,
  );
}

function metadataOf(text: string): { namespace?: string; name?: string } {
  try {
    const doc = parse(text, { maxAliasCount: 100 }) as { metadata?: { name?: unknown; namespace?: unknown } } | null;
    const m = doc?.metadata;
    return {
      ...(typeof m?.name === 'string' ? { name: m.name } : {}),
      ...(typeof m?.namespace === 'string' ? { namespace: m.namespace } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Wraps the port so that a pass sees only the intents `only` names (all when empty) and, with
 * `skipOpen`, only rollouts without an open stagegate PR (`advance --skip-open`: the frequent
 * scheduled pass, whose work is bake ends and next stages; open PRs move by check-run events and
 * the hourly full pass). Undefined when nothing is filtered.
 */
export function onlyRollouts(
  only: readonly string[],
  skipOpen = false,
): ((port: GitHubPort) => GitHubPort) | undefined {
  if (only.length === 0 && !skipOpen) return undefined;
  const wanted = only.map(parseOnly);
  return (port) => {
    const blobsUnder: GitHubPort['blobsUnder'] = async (sha, dir) => {
      const all = await port.blobsUnder(sha, dir);
      if (dir !== DEFAULT_ROLLOUTS_DIR) return all;
      const kept = new Map<string, string>();
      // Open PRs on stagegate/<namespace>/<name>/… branches (one listing; the pass reads it again, answered from memory or 304).
      const busy = skipOpen
        ? new Set(
            (await port.openPulls())
              .map((p) => /^stagegate\/([^/]+)\/([^/]+)\//.exec(p.headRef))
              .filter((m) => m !== null)
              .map((m) => `${m[1]}/${m[2]}`),
          )
        : new Set<string>();
      for (const [path, blob] of all) {
        const intent = /^rollouts\/[^/]+\.ya?ml$/.test(path);
        if (!intent) {
          kept.set(path, blob);
          continue;
        }
        // An unreadable or invalid intent matches by its file name, so its error is still reported.
        const meta = metadataOf(await port.blob(blob));
        const name = meta.name ?? path.replace(/^rollouts\//, '').replace(/\.ya?ml$/, '');
        const named =
          wanted.length === 0 ||
          wanted.some((w) => w.name === name && (w.namespace === undefined || w.namespace === meta.namespace));
        if (named && !busy.has(`${meta.namespace}/${name}`)) kept.set(path, blob);
      }
      return kept;
    };
    return new Proxy(port, {
      get(target, prop, receiver) {
        if (prop === 'blobsUnder') return blobsUnder;
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}
