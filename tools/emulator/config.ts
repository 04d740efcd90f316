/**
 * `stagegate emulator --config FILE`: the JSON form of EmulatorOptions, checked field by field
 * so a typo is an error that names it rather than a silently default emulator.
 */
import type { AppConfig } from './identity.js';
import { PERMISSION_LEVELS, type PermissionLevel } from './permissions.js';
import type { BranchProtection, EmulatorOptions, FaultMatch, FaultRule, FaultSpec, MergeMethod } from './types.js';

/** What a config file may hold; every field optional. */
export interface EmulatorConfig {
  readonly repo?: string;
  readonly options: Partial<EmulatorOptions>;
  readonly faults: FaultRule[];
  readonly randomFaults?: {
    readonly seed: number;
    readonly rate: number;
    readonly kinds?: FaultSpec[];
    readonly match?: FaultMatch;
  };
  /** A file the CLI appends one JSON line per request to. */
  readonly requestLog?: string;
}

const TOP = new Set([
  'repo',
  'users',
  'apps',
  'emails',
  'protection',
  'mergeMethods',
  'allowAutoMerge',
  'allowUpdateBranch',
  'admins',
  'permissions',
  'teams',
  'rateLimit',
  'checkRunsByUsers',
  'lazyMergeability',
  'validate',
  'faults',
  'randomFaults',
  'requestLog',
]);
const PROTECTION = new Set([
  'requiredApprovingReviews',
  'requireCodeOwnerReviews',
  'requiredStatusChecks',
  'strict',
  'mergeQueue',
  'bypass',
]);
const METHODS: readonly MergeMethod[] = ['merge', 'squash', 'rebase'];

export class ConfigError extends Error {}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, want: string, got: unknown): never {
  throw new ConfigError(`${where} must be ${want} (got ${JSON.stringify(got)})`);
}

function stringMap(v: unknown, where: string): Record<string, string> {
  if (!isObj(v)) fail(where, 'an object of strings', v);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string' || x === '') fail(`${where}.${k}`, 'a string', x);
  return v as Record<string, string>;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') fail(where, 'true or false', v);
  return v;
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(where, 'an array of strings', v);
  return v as string[];
}

function apps(v: unknown): Record<string, AppConfig> {
  if (!isObj(v)) fail('apps', 'an object of token → slug', v);
  const out: Record<string, AppConfig> = {};
  for (const [token, spec] of Object.entries(v)) {
    const where = `apps.${token}`;
    if (typeof spec === 'string' && spec !== '') out[token] = spec;
    else if (isObj(spec) && typeof spec.slug === 'string') {
      for (const k of ['id', 'botUserId'])
        if (spec[k] !== undefined && !Number.isInteger(spec[k])) fail(`${where}.${k}`, 'an integer', spec[k]);
      out[token] = spec as AppConfig;
    } else fail(where, 'a slug or { "slug": … }', spec);
  }
  return out;
}

function permissions(v: unknown): Record<string, PermissionLevel> {
  if (!isObj(v)) fail('permissions', 'an object of login → role', v);
  for (const [login, level] of Object.entries(v))
    if (!PERMISSION_LEVELS.includes(level as PermissionLevel))
      fail(`permissions.${login}`, PERMISSION_LEVELS.join(' | '), level);
  return v as Record<string, PermissionLevel>;
}

function protection(v: unknown): Record<string, BranchProtection> {
  if (!isObj(v)) fail('protection', 'an object of branch → rules', v);
  const out: Record<string, BranchProtection> = {};
  for (const [branch, rules] of Object.entries(v)) {
    const where = `protection.${branch}`;
    if (!isObj(rules)) fail(where, 'an object', rules);
    for (const k of Object.keys(rules))
      if (!PROTECTION.has(k))
        throw new ConfigError(`${where}.${k} is not a rule (known: ${[...PROTECTION].join(', ')})`);
    const n = rules.requiredApprovingReviews;
    if (n !== undefined && !(Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 10))
      fail(`${where}.requiredApprovingReviews`, 'an integer 0–10 (the ruleset limit)', n);
    for (const k of ['requireCodeOwnerReviews', 'strict', 'mergeQueue'])
      if (rules[k] !== undefined) bool(rules[k], `${where}.${k}`);
    if (rules.bypass !== undefined) strings(rules.bypass, `${where}.bypass`);
    const checks = rules.requiredStatusChecks;
    if (checks !== undefined) {
      if (!Array.isArray(checks)) fail(`${where}.requiredStatusChecks`, 'an array', checks);
      checks.forEach((c, i) => {
        const at = `${where}.requiredStatusChecks[${i}]`;
        if (!isObj(c) || typeof c.context !== 'string') fail(at, '{ "context": NAME, "app"?: SLUG }', c);
        if (c.app !== undefined && typeof c.app !== 'string') fail(`${at}.app`, 'an App slug', c.app);
      });
    }
    out[branch] = rules as BranchProtection;
  }
  return out;
}

function match(v: unknown, where: string): FaultMatch | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) fail(where, 'an object', v);
  let path: RegExp | undefined;
  if (v.path !== undefined) {
    if (typeof v.path !== 'string') fail(`${where}.path`, 'a regular expression source', v.path);
    try {
      path = new RegExp(v.path);
    } catch (err) {
      throw new ConfigError(`${where}.path is not a regular expression: ${(err as Error).message}`);
    }
  }
  return {
    ...(typeof v.method === 'string' ? { method: v.method } : {}),
    ...(path ? { path } : {}),
    ...(typeof v.login === 'string' ? { login: v.login } : {}),
  };
}

function spec(v: unknown, where: string): FaultSpec {
  if (!isObj(v)) fail(where, 'an object', v);
  switch (v.kind) {
    case 'status':
      if (!Number.isInteger(v.status)) fail(`${where}.status`, 'an HTTP status', v.status);
      return {
        kind: 'status',
        status: v.status as number,
        ...(typeof v.message === 'string' ? { message: v.message } : {}),
      };
    case 'secondaryRateLimit':
      return { kind: 'secondaryRateLimit', ...(typeof v.retryAfter === 'number' ? { retryAfter: v.retryAfter } : {}) };
    case 'latency':
      if (typeof v.ms !== 'number') fail(`${where}.ms`, 'milliseconds', v.ms);
      return { kind: 'latency', ms: v.ms };
    case 'drop':
    case 'dropAfter':
    case 'racePush':
      return { kind: v.kind };
    default:
      return fail(`${where}.kind`, 'one of status, secondaryRateLimit, latency, drop, dropAfter, racePush', v.kind);
  }
}

/** A fault rule from JSON: `match.path` is a regex source; `times` a count or "Infinity". */
export function faultRule(v: unknown, where = 'fault'): FaultRule {
  const s = spec(v, where);
  const raw = v as Obj;
  const times = raw.times === 'Infinity' || raw.times === null ? Number.POSITIVE_INFINITY : raw.times;
  if (times !== undefined && !(typeof times === 'number' && times > 0))
    fail(`${where}.times`, 'a positive count or "Infinity"', raw.times);
  const m = match(raw.match, `${where}.match`);
  return { ...s, ...(m ? { match: m } : {}), ...(times !== undefined ? { times: times as number } : {}) };
}

/** Parses and checks a config file's text; `source` names it in errors. */
export function parseConfig(text: string, source: string): EmulatorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (!isObj(raw)) throw new ConfigError(`${source} must hold a JSON object`);
  for (const k of Object.keys(raw))
    if (!TOP.has(k)) throw new ConfigError(`${source}: unknown field "${k}" (known: ${[...TOP].join(', ')})`);
  const options: Record<string, unknown> = {};
  if (raw.users !== undefined) options.users = stringMap(raw.users, 'users');
  if (raw.apps !== undefined) options.apps = apps(raw.apps);
  if (raw.emails !== undefined) options.emails = stringMap(raw.emails, 'emails');
  if (raw.protection !== undefined) options.protection = protection(raw.protection);
  if (raw.mergeMethods !== undefined) {
    const methods = strings(raw.mergeMethods, 'mergeMethods');
    for (const m of methods) if (!METHODS.includes(m as MergeMethod)) fail('mergeMethods[]', METHODS.join(' | '), m);
    options.mergeMethods = methods;
  }
  if (raw.admins !== undefined) options.admins = strings(raw.admins, 'admins');
  if (raw.permissions !== undefined) options.permissions = permissions(raw.permissions);
  if (raw.teams !== undefined) {
    if (!isObj(raw.teams)) fail('teams', 'an object of org/slug → logins', raw.teams);
    options.teams = Object.fromEntries(Object.entries(raw.teams).map(([t, m]) => [t, strings(m, `teams.${t}`)]));
  }
  for (const k of ['allowAutoMerge', 'allowUpdateBranch', 'checkRunsByUsers', 'lazyMergeability'] as const)
    if (raw[k] !== undefined) options[k] = bool(raw[k], k);
  if (raw.validate !== undefined) options.validateResponses = bool(raw.validate, 'validate');
  if (raw.rateLimit !== undefined) {
    if (!(Number.isInteger(raw.rateLimit) && (raw.rateLimit as number) > 0))
      fail('rateLimit', 'a positive integer', raw.rateLimit);
    options.rateLimit = raw.rateLimit;
  }
  if (raw.repo !== undefined && (typeof raw.repo !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(raw.repo)))
    fail('repo', 'OWNER/NAME', raw.repo);
  if (raw.faults !== undefined && !Array.isArray(raw.faults)) fail('faults', 'an array', raw.faults);
  const faults = ((raw.faults as unknown[] | undefined) ?? []).map((f, i) => faultRule(f, `faults[${i}]`));
  let randomFaults: EmulatorConfig['randomFaults'];
  if (raw.randomFaults !== undefined) {
    const r = raw.randomFaults;
    if (!isObj(r) || typeof r.seed !== 'number' || typeof r.rate !== 'number')
      fail('randomFaults', '{ "seed": N, "rate": 0..1, "kinds"?: [...], "match"?: {...} }', r);
    const kinds =
      r.kinds === undefined ? undefined : (r.kinds as unknown[]).map((k, i) => spec(k, `randomFaults.kinds[${i}]`));
    randomFaults = {
      seed: r.seed,
      rate: r.rate,
      ...(kinds ? { kinds } : {}),
      ...(r.match ? { match: match(r.match, 'randomFaults.match') } : {}),
    };
  }
  if (raw.requestLog !== undefined && typeof raw.requestLog !== 'string')
    fail('requestLog', 'a file path', raw.requestLog);
  return {
    ...(typeof raw.repo === 'string' ? { repo: raw.repo } : {}),
    options: options as Partial<EmulatorOptions>,
    faults,
    ...(randomFaults ? { randomFaults } : {}),
    ...(typeof raw.requestLog === 'string' ? { requestLog: raw.requestLog } : {}),
  };
}
