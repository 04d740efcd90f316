/**
 * What both demos (tools/demo/run.ts, one cluster; tools/demo/waves/run.ts, two) build their world
 * from: the seeded repository, the demo users' tokens, the GitHub clients with the demo's fast
 * retries, each service's synthetic traffic, and an abortable sleep.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitHubAdapter } from '../../app/bot/github.js';
import { type BotSettings, botFromSettings } from '../../app/bot/setup.js';
import { compile } from '../../constructs/compile.js';
import type { RolloutModel } from '../../constructs/model.js';
import type { ServiceTraffic } from './exporter.js';
import type { ManifestRouting } from './manifest.js';

const LATENCY = { p50: 50, p99: 200 };

export function seedFromIntents(names: readonly string[], dir: string, restore: string): Record<string, string> {
  const sources = names.map((name) => ({ path: `rollouts/${name}.yaml`, text: readIntent(dir, name, restore) }));
  const seedFiles: Record<string, string> = Object.fromEntries(sources.map((s) => [s.path, s.text]));
  for (const c of compile(sources)) seedFiles[`generated/${c.file}`] = c.content;
  return seedFiles;
}

function readIntent(dir: string, name: string, restore: string): string {
  try {
    return readFileSync(join(dir, `${name}.yaml`), 'utf8');
  } catch (err) {
    throw new Error(`demo intent ${name}.yaml is missing in ${dir}; restore ${restore}`, { cause: err });
  }
}

/** A fresh random token of a demo user (the emulator maps it to the user). */
export function demoToken(user: string): string {
  return `${user}-${randomBytes(12).toString('hex')}`;
}

/** The bot's reconcile options and CI's client against the emulator, with the demo's fast retries. */
export function demoGithub(s: {
  readonly owner: string;
  readonly repo: string;
  readonly apiUrl: string;
  readonly botToken: string;
  readonly ciToken: string;
  readonly wrapPort?: BotSettings['wrapPort'];
}): { github: typeof DEMO_GITHUB; bot: ReturnType<typeof botFromSettings>['options']; ciGithub: GitHubAdapter } {
  const github = DEMO_GITHUB;
  const { options: bot } = botFromSettings({
    owner: s.owner,
    repo: s.repo,
    token: s.botToken,
    apiUrl: s.apiUrl,
    github,
    ...(s.wrapPort ? { wrapPort: s.wrapPort } : {}),
  });
  const ciGithub = new GitHubAdapter({ owner: s.owner, repo: s.repo, token: s.ciToken, baseUrl: s.apiUrl, ...github });
  return { github, bot, ciGithub };
}

const DEMO_GITHUB = { retryUnitMs: 20, writeSpacingMs: 0 };

/** The synthetic traffic of rollout `m`, routed live by `routing` (what main's VirtualService says). */
export function serviceTraffic(
  m: RolloutModel,
  routing: () => ManifestRouting,
  extra: { readonly cohortRequestsPerSecond?: number; readonly canaryErrorRatio?: number } = {},
): ServiceTraffic {
  const baseline = m.traffic.baselineErrorRatio;
  return {
    namespace: m.namespace,
    service: m.service.host,
    stable: m.stable,
    canary: m.canary,
    requestsPerSecond: m.traffic.requestsPerSecond ?? 100,
    cohortRequestsPerSecond: extra.cohortRequestsPerSecond ?? 0,
    canaryWeight: () => routing().canaryWeight,
    cohortRoute: () => routing().cohortRoute,
    mirrorPercent: () => routing().mirrorPercent ?? 0,
    cohortFault: () => routing().cohortFault,
    errorRatio: { stable: baseline, canary: extra.canaryErrorRatio ?? baseline },
    latencyMs: { stable: LATENCY, canary: LATENCY },
  };
}

/** Waits `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
