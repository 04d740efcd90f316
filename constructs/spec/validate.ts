/**
 * One validation for both ways of writing an intent — YAML files and TypeScript construct
 * props: the JSON Schema first (shape of each field), then the rules that relate fields.
 * The cross-field rules live here and nowhere else; each names the props and values involved.
 */
import { DEFAULTS } from '../model.js';
import { isDuration, parseDuration } from '../duration.js';
import { LABEL_MANAGED_BY, LABEL_ROLLOUT } from '../conventions.js';
import { cohortRules } from './cohort-rules.js';
import { routerRules } from './router-rules.js';
import { shadowRules } from './shadow-rules.js';
import { istioIntentRules } from './istio-rules.js';
import { clusterRules } from './cluster-rules.js';
import { approvalRules } from './approval-rules.js';
import { signalRules } from './signal-rules.js';
import { intentTelemetryProblems } from '../istio/intent.js';
import { closestMatch, humanize, schemaValidator } from './schema.js';

/** One problem in an intent, located by its path from the document root. */
export interface Problem {
  /** e.g. ['spec', 'stages', 2, 'weight'] */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /**
   * `'key'`: the problem is about the key itself (an unknown field), so it is located at the key,
   * not at the value under it. Absent: located at the value.
   */
  readonly at?: 'key';
  /** Characters into the string value the problem is at (a signal's query template); load.ts adds it. */
  readonly offset?: number;
}

const IDENTIFIER_RE = /^[A-Za-z_$][\w$-]*$/;

/** `['spec', 'stages', 2, 'weight']` → `spec.stages[2].weight`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isStr = (v: unknown): v is string => typeof v === 'string';
/** A positive duration, or undefined when absent or invalid (the schema reports invalid ones). */
const durationMs = (v: unknown): number | undefined =>
  isStr(v) && isDuration(v) && parseDuration(v) > 0 ? parseDuration(v) : undefined;
const isWeight = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100;

/**
 * All problems of `doc`, schema first, then cross-field. An empty list means `toModel(doc)`
 * is safe. Works on parsed YAML and on TypeScript props alike.
 */
export function validateDocument(doc: unknown): Problem[] {
  const validate = schemaValidator();
  const problems: Problem[] = [];
  // "wieght" is unknown AND "weight" is missing: one typo, so only the typo is reported.
  const misspelt = new Set<string>();
  if (!validate(doc)) {
    for (const p of humanize(validate.errors ?? [])) {
      const path = typedPath(doc, p.segments);
      const problem: Problem = p.atKey ? { path, message: p.message, at: 'key' } : { path, message: p.message };
      if (p.suggestion !== undefined) misspelt.add(formatPath([...path.slice(0, -1), p.suggestion]));
      problems.push(problem);
    }
  }
  if (isRecord(doc) && isRecord(doc.spec)) problems.push(...layoutInIntent(doc.spec), ...crossField(doc.spec));
  // Hosts, version labels, scrape interval against what Istio writes (constructs/istio/intent.ts).
  if (isRecord(doc) && isRecord(doc.spec)) problems.push(...intentTelemetryProblems(doc));
  return problems.filter(
    (p) =>
      !(p.message.startsWith('is required') && misspelt.has(formatPath(p.path))) &&
      // layoutInIntent says why, instead of the schema's "unknown field".
      !(p.at === 'key' && formatPath(p.path) === 'spec.alerts.layout' && p.message.startsWith('unknown field')),
  );
}

/**
 * `alerts.layout` is the repository's (spec/defaults.ts): under `fleet` every rollout's alerts
 * live in one shared PrometheusRule, so one intent cannot choose otherwise (docs/design.md §7,
 * "Fleet layout (opt-in)"). Not in the schema, so the published ROLLOUT_SCHEMA does not offer it.
 */
function layoutInIntent(spec: Rec): Problem[] {
  if (!('layout' in rec(spec.alerts))) return [];
  return [
    {
      path: ['spec', 'alerts', 'layout'],
      message:
        'is repository-wide: set it in rollouts/_defaults.yaml (kind Defaults, spec.alerts.layout: per-rollout or fleet), not in an intent',
      at: 'key',
    },
  ];
}

/** JSON-pointer segments → a path whose array indices are numbers. */
function typedPath(doc: unknown, segments: readonly string[]): (string | number)[] {
  const path: (string | number)[] = [];
  let node = doc;
  for (const seg of segments) {
    if (Array.isArray(node)) {
      path.push(Number(seg));
      node = node[Number(seg)];
    } else {
      path.push(seg);
      node = isRecord(node) ? node[seg] : undefined;
    }
  }
  return path;
}

interface StageView {
  readonly index: number;
  readonly label: string;
  readonly raw: Rec;
  /** False when the stage is not a mapping at all (the schema reports that). */
  readonly mapping: boolean;
  readonly name?: string;
  /** The weight the stage will run at: its own, or 0 for a cohort stage that leaves it out. */
  readonly weight?: number;
  readonly defaulted: boolean;
  readonly cohort: boolean;
  readonly bakeMs?: number;
}

function stageViews(stages: unknown[]): StageView[] {
  return stages.map((s, index) => {
    const raw = rec(s);
    const name = isStr(raw.name) ? raw.name : undefined;
    const cohort = raw.cohort === true;
    // A shadow stage (mirror, shadow-rules.ts) runs at 0 like a cohort stage.
    const defaulted = raw.weight === undefined && (cohort || typeof raw.mirror === 'number');
    const weight = isWeight(raw.weight) ? raw.weight : defaulted ? 0 : undefined;
    return {
      index,
      label: name !== undefined ? JSON.stringify(name) : `spec.stages[${index}]`,
      raw,
      mapping: isRecord(s),
      name,
      weight,
      defaulted,
      cohort,
      bakeMs: durationMs(raw.bake),
    };
  });
}

function crossField(spec: Rec): Problem[] {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string): void => {
    problems.push({ path: ['spec', ...path], message });
  };
  const stages = stageViews(list(spec.stages));
  stageRules(spec, stages, add);

  const names = [...new Set(stages.flatMap((s) => (s.name !== undefined ? [s.name] : [])))];
  if (isStr(spec.stage) && spec.stage !== '' && names.length > 0 && !names.includes(spec.stage)) {
    const guess = closestMatch(spec.stage, names);
    const hint = guess ? `; did you mean ${JSON.stringify(guess)}?` : '';
    add(['stage'], `must be one of the stage names: ${names.join(', ')} (got ${JSON.stringify(spec.stage)}${hint})`);
  }

  if (isStr(spec.stable) && spec.stable !== '' && spec.stable === spec.canary) {
    const label = isStr(spec.versionLabel) ? spec.versionLabel : DEFAULTS.versionLabel;
    add(
      ['canary'],
      `must differ from stable (both are ${JSON.stringify(spec.stable)}); canary pods need their own value of the "${label}" label`,
    );
  }

  const service = rec(spec.service);
  uniqueStrings(list(service.gateways), 'gateway', (i, msg) => add(['service', 'gateways', i], msg));
  uniqueStrings(list(rec(spec.cohort).values), 'value', (i, msg) => add(['cohort', 'values', i], msg));

  const policy = rec(spec.trafficPolicy);
  const retries = rec(policy.retries);
  const timeout = durationMs(policy.timeout);
  const perTry = durationMs(retries.perTryTimeout);
  if (timeout !== undefined && perTry !== undefined && perTry > timeout) {
    add(
      ['trafficPolicy', 'retries', 'perTryTimeout'],
      `perTryTimeout ${String(retries.perTryTimeout)} is longer than trafficPolicy.timeout ${String(policy.timeout)}; each try must fit in the request timeout`,
    );
  }

  timeboxRules(spec, stages, add);
  baselineRule(spec, add);
  istioIntentRules(spec, add);
  cohortRules(spec, add);
  shadowRules(spec, add);
  routerRules(spec, add);
  clusterRules(spec, add);
  approvalRules(spec, add);
  signalRules(spec, (path, message, offset) =>
    problems.push(
      offset === undefined ? { path: ['spec', ...path], message } : { path: ['spec', ...path], message, offset },
    ),
  );
  for (const key of Object.keys(rec(rec(spec.alerts).labels))) {
    if (key === LABEL_MANAGED_BY || key === LABEL_ROLLOUT)
      add(['alerts', 'labels', key], `is set by stagegate on every PrometheusRule (${key}); choose another label`);
  }
  return problems;
}

type Add = (path: (string | number)[], message: string) => void;

function stageRules(spec: Rec, stages: readonly StageView[], add: Add): void {
  const firstByName = new Map<string, number>();
  let highest: StageView | undefined;
  let cohortStart: StageView | undefined;
  for (const s of stages) {
    if (!s.mapping) continue;
    const at = (field: string): (string | number)[] => ['stages', s.index, field];
    if (s.name !== undefined) {
      const first = firstByName.get(s.name);
      if (first !== undefined)
        add(at('name'), `stage name ${s.label} is already used by spec.stages[${first}]; stage names must be unique`);
      else firstByName.set(s.name, s.index);
    }
    if (s.raw.weight === undefined && !s.defaulted) {
      add(at('weight'), `is required (only a stage with cohort: true may leave it out; it then runs at 0)`);
    }
    if (s.weight !== undefined) {
      if (highest?.weight !== undefined && s.weight < highest.weight) {
        const own = s.defaulted ? `${s.weight} (the default for a cohort stage)` : String(s.weight);
        add(at('weight'), `stage ${s.label} has weight ${own} but comes after ${highest.label} (${highest.weight})`);
      }
      if (highest === undefined || s.weight >= (highest.weight ?? 0)) highest = s;
    }
    if (s.index < stages.length - 1 && s.raw.bake === undefined) {
      add(at('bake'), 'is required on every stage but the last (e.g. bake: 1h)');
    }
    if (s.cohort) {
      if (cohortStart === undefined) {
        cohortStart = s;
        if (spec.cohort === undefined || spec.cohort === null) {
          add(
            at('cohort'),
            `stage ${s.label} has cohort: true but spec.cohort is not set; add spec.cohort with a header and values`,
          );
        }
      } else {
        add(
          at('cohort'),
          `stage ${s.label} has cohort: true but ${cohortStart.label} already does; only one stage may start the cohort`,
        );
      }
    }
  }
  const last = stages[stages.length - 1];
  if (last?.weight !== undefined && last.weight !== 100) {
    add(
      ['stages', last.index, 'weight'],
      `the last stage ${last.label} has weight ${last.weight}; it must be 100 so the rollout ends with all traffic on canary`,
    );
  }
}

function uniqueStrings(items: unknown[], what: string, add: (index: number, message: string) => void): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (!isStr(item) || item === '') return;
    if (seen.has(item)) add(i, `${what} ${JSON.stringify(item)} is listed twice`);
    seen.add(item);
  });
}

/** A duration field resolved with its default, and how to name it in a message. */
function resolved(value: unknown, fallback: string): { ms: number; text: string } | undefined {
  if (value === undefined) return { ms: parseDuration(fallback), text: `${fallback} (the default)` };
  const ms = durationMs(value);
  return ms === undefined ? undefined : { ms, text: String(value) };
}

function timeboxRules(spec: Rec, stages: readonly StageView[], add: Add): void {
  const timebox = rec(spec.timebox);
  const stage = resolved(timebox.stage, DEFAULTS.timebox.stage);
  const rollout = resolved(timebox.rollout, DEFAULTS.timebox.rollout);
  // Each message goes where the user wrote something: a default has no line to point at.
  if (stage && rollout && stage.ms > rollout.ms) {
    const where = timebox.stage === undefined ? 'rollout' : 'stage';
    add(['timebox', where], `timebox.stage ${stage.text} is longer than timebox.rollout ${rollout.text}`);
  }
  let longest: StageView | undefined;
  for (const s of stages)
    if (s.bakeMs !== undefined && (longest?.bakeMs === undefined || s.bakeMs > longest.bakeMs)) longest = s;
  if (stage && longest?.bakeMs !== undefined && stage.ms < longest.bakeMs) {
    const bake = String(longest.raw.bake);
    if (timebox.stage === undefined) {
      add(
        ['stages', longest.index, 'bake'],
        `stage ${longest.label} bakes for ${bake}, longer than timebox.stage ${stage.text}; shorten the bake or raise spec.timebox.stage`,
      );
    } else {
      add(
        ['timebox', 'stage'],
        `timebox.stage ${stage.text} is shorter than the longest bake (${bake} on stage ${longest.label}); that stage would always be marked stalled`,
      );
    }
  }
}

function baselineRule(spec: Rec, add: Add): void {
  const baseline = rec(spec.traffic).baselineErrorRatio;
  if (typeof baseline !== 'number') return;
  const given = rec(rec(spec.health).errorRatio).max;
  if (given !== undefined && !(typeof given === 'number' && given > 0 && given <= 1)) return;
  const max = typeof given === 'number' ? given : DEFAULTS.errorRatio.max;
  if (baseline >= max) {
    const named = given === undefined ? `${max}, the default` : String(max);
    add(['traffic', 'baselineErrorRatio'], `must be less than health.errorRatio.max (${named}) (got ${baseline})`);
  }
}
