/**
 * Repository defaults: `rollouts/_defaults.yaml`, a `kind: Defaults` document whose `spec` holds
 * fields every intent of the repository inherits unless it sets them itself. Today that is the
 * PrometheusRule metadata (`alerts`: what a Prometheus Operator's ruleSelector and
 * ruleNamespaceSelector need, the same for every rollout of a cluster, and `alerts.layout`, which
 * only the defaults may set: docs/design.md §7, "Fleet layout (opt-in)") and `istio` (the mesh's
 * API version and releases). The file sits beside the intents so every reader of the intents
 * (synth, check, the bot through the GitHub API) sees it with them; its name cannot be a rollout's
 * file by convention (`_` is no DNS-1123 character).
 */
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { INTENT_API_VERSION } from '../conventions.js';
import type { SourceProblem } from './load.js';
import { insideScalar } from './scalar-position.js';
import { expandSignalTemplates, fillParameters, type SignalTemplateSpec } from './signal-templates.js';
import { show } from './schema.js';
import type { AlertsLayout, DefaultsAlertsSpec, IstioSpec } from './types.js';
import { formatPath, validateDocument } from './validate.js';

export const DEFAULTS_FILE = '_defaults.yaml';
export const DEFAULTS_KIND = 'Defaults';

/** What `spec` of a Defaults document may hold. */
export interface RepoDefaults {
  readonly alerts?: DefaultsAlertsSpec;
  readonly istio?: IstioSpec;
  /** Signal templates intents reference by name (spec/signal-templates.ts). */
  readonly signalTemplates?: Readonly<Record<string, SignalTemplateSpec>>;
}

const FIELDS = ['alerts', 'istio', 'signalTemplates'] as const;
/** Fields validated as intent fields inside the stand-in intent. */
const INTENT_FIELDS = ['alerts', 'istio'] as const;

const LAYOUTS: readonly AlertsLayout[] = ['per-rollout', 'fleet'];

/** The repository's rule layout (docs/design.md §7): per-rollout unless the defaults say fleet. */
export function alertsLayout(defaults: RepoDefaults | undefined): AlertsLayout {
  return defaults?.alerts?.layout ?? 'per-rollout';
}

/** True for the path of a defaults file (`rollouts/_defaults.yaml`), not an intent. */
export function isDefaultsFile(path: string): boolean {
  return path === DEFAULTS_FILE || path.endsWith(`/${DEFAULTS_FILE}`);
}

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The defaults in `text`, or every problem at `file:line:column`. The fields are checked by the
 * same rules as in an intent (they are validated inside a stand-in intent), so messages match.
 */
export function parseDefaults(
  file: string,
  text: string,
): { ok: true; defaults: RepoDefaults } | { ok: false; problems: SourceProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems: SourceProblem[] = [];
  /** At the value `path` names, or at its key for a problem about the key (`atKey`). */
  const at = (path: readonly (string | number)[], message: string, atKey = false, inner?: number): void => {
    let node: unknown = doc.contents;
    let offset = 0;
    for (const [i, seg] of path.entries()) {
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
      if (atKey && i === path.length - 1) break;
      if (isScalar(node) || isMap(node)) offset = node.range?.[0] ?? offset;
    }
    if (inner !== undefined && isScalar(node)) {
      // Inside a template's query: the character itself (scalar-position.ts).
      const pos = insideScalar(node, inner, text, (o) => {
        const { line, col } = lineCounter.linePos(o);
        return { line, column: col };
      });
      problems.push({ file, line: pos.line, column: pos.column, path: formatPath(path), message });
      return;
    }
    const { line, col } = lineCounter.linePos(offset);
    problems.push({ file, line, column: col, path: formatPath(path), message });
  };
  if (doc.errors[0]) {
    at([], `YAML syntax error: ${doc.errors[0].message}`);
    return { ok: false, problems };
  }
  const value: unknown = doc.toJS();
  if (!isRecord(value)) {
    at([], `must be a ${INTENT_API_VERSION} ${DEFAULTS_KIND} document with a spec`);
    return { ok: false, problems };
  }
  if (value.apiVersion !== INTENT_API_VERSION) at(['apiVersion'], `must be ${INTENT_API_VERSION}`);
  if (value.kind !== DEFAULTS_KIND)
    at(['kind'], `must be ${DEFAULTS_KIND} (${file} holds repository defaults, not a rollout)`);
  for (const key of Object.keys(value))
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(key))
      at([key], `unknown field ${JSON.stringify(key)}`, true);
  const spec = isRecord(value.spec) ? value.spec : {};
  if (!isRecord(value.spec)) at(['spec'], `must be a mapping with ${FIELDS.join(' and/or ')}`);
  for (const key of Object.keys(spec))
    if (!(FIELDS as readonly string[]).includes(key))
      at(
        ['spec', key],
        `unknown field ${JSON.stringify(key)} (repository defaults may set: ${FIELDS.join(', ')})`,
        true,
      );
  // alerts.layout is the defaults' own (an intent may not set it, validate.ts), so it is checked
  // here and kept out of the stand-in intent.
  const alerts = isRecord(spec.alerts) ? spec.alerts : undefined;
  if (alerts && 'layout' in alerts) {
    if (!(LAYOUTS as readonly unknown[]).includes(alerts.layout))
      at(['spec', 'alerts', 'layout'], `must be one of: ${LAYOUTS.join(', ')} (got ${show(alerts.layout)})`);
    else if (alerts.layout === 'fleet' && alerts.namespace === undefined)
      at(
        ['spec', 'alerts', 'layout'],
        'fleet needs spec.alerts.namespace here too: the namespace of the shared PrometheusRule stagegate-fleet (where the Prometheus Operator reads rules, e.g. monitoring)',
      );
  }
  const intentFields: Rec = { ...spec, ...(alerts ? { alerts: withoutLayout(alerts) } : {}) };
  const standIn = {
    apiVersion: INTENT_API_VERSION,
    kind: 'Rollout',
    metadata: { name: 'defaults' },
    spec: {
      service: { host: 'defaults', port: 80 },
      stable: 'a',
      canary: 'b',
      stages: [{ name: 'full', weight: 100 }],
      stage: 'full',
      ...Object.fromEntries(
        INTENT_FIELDS.filter((f) => intentFields[f] !== undefined).map((f) => [f, intentFields[f]]),
      ),
      ...templatesAsSignals(spec.signalTemplates),
    },
  };
  const templateNames = isRecord(spec.signalTemplates) ? Object.keys(spec.signalTemplates) : [];
  if (spec.signalTemplates !== undefined && !isRecord(spec.signalTemplates))
    at(['spec', 'signalTemplates'], 'must be a mapping of template name to signal fields');
  for (const p of validateDocument(standIn)) {
    if ((INTENT_FIELDS as readonly unknown[]).includes(p.path[1])) at(p.path, p.message, p.at === 'key');
    // A template is validated as a signal named after it; its problems point back into the template.
    if (p.path[1] === 'signals' && typeof p.path[2] === 'number') {
      const name = templateNames[p.path[2]]!;
      const rest = p.path.slice(3);
      // Limits may be left to each intent; the name is the template's key.
      if (rest[0] !== 'name' && !(rest.length === 0 && p.message.startsWith('needs limit')))
        at(['spec', 'signalTemplates', name, ...rest], p.message, p.at === 'key', p.offset);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, defaults: spec as RepoDefaults };
}

/** `alerts` without `layout`: what an intent inherits of them. */
function withoutLayout(alerts: Rec): Rec {
  const { layout: _layout, ...rest } = alerts;
  return rest;
}

/** Templates as stand-in signals named after them, declared parameters filled with a sample value as long as `$name` (offsets stay). */
function templatesAsSignals(templates: unknown): { signals?: unknown[] } {
  if (!isRecord(templates)) return {};
  return {
    signals: Object.entries(templates).map(([name, t]) => {
      if (!isRecord(t)) return t;
      const { parameters, ...fields } = t;
      const declared = Array.isArray(parameters) ? parameters.filter((p): p is string => typeof p === 'string') : [];
      const query =
        typeof fields.query === 'string'
          ? fillParameters(fields.query, Object.fromEntries(declared.map((p) => [p, 'x'.repeat(p.length + 1)])))
          : fields.query;
      return { ...fields, name, query };
    }),
  };
}

/**
 * `value` (a parsed intent) with the repository defaults filled in where it says nothing:
 * `alerts.labels` merged key by key (the intent wins), `alerts.namespace` and each `istio` field
 * taken from the defaults when absent. Anything that is not an intent-shaped mapping is returned
 * as it is, for validation to report.
 */
export function applyDefaults(value: unknown, defaults: RepoDefaults | undefined): unknown {
  if (!defaults || !isRecord(value) || !isRecord(value.spec)) return value;
  const spec: Rec = { ...value.spec };
  if (defaults.alerts && (spec.alerts === undefined || isRecord(spec.alerts))) {
    const own = (spec.alerts ?? {}) as Rec;
    const labels =
      defaults.alerts.labels && (own.labels === undefined || isRecord(own.labels))
        ? { labels: { ...defaults.alerts.labels, ...((own.labels as Rec | undefined) ?? {}) } }
        : {};
    // The layout is not the intent's: validate.ts refuses it in an intent, so it is not copied in.
    spec.alerts = { ...withoutLayout(defaults.alerts as Rec), ...own, ...labels };
  }
  if (defaults.signalTemplates) spec.signals = expandSignalTemplates(spec.signals, defaults.signalTemplates);
  if (defaults.istio && (spec.istio === undefined || isRecord(spec.istio)))
    spec.istio = { ...defaults.istio, ...((spec.istio as Rec | undefined) ?? {}) };
  return { ...value, spec };
}
