/**
 * Repository-wide signal templates (like Flagger's MetricTemplate): defined once under
 * `spec.signalTemplates` of rollouts/_defaults.yaml, referenced by name from many intents with
 * per-intent parameters (README "User-defined signals"). An intent's signal
 * `{ name, template, parameters, ...overrides }` becomes the template's fields, the intent's own
 * fields over them, with each `$<parameter>` of the query replaced by the intent's value; the
 * result is validated like any signal written out in full.
 */
import type { SignalSpec } from './types.js';

/** A template: a signal without its name, plus the parameters its query uses. */
export interface SignalTemplateSpec extends Partial<Omit<SignalSpec, 'name'>> {
  /** Names of the `$<name>` placeholders the intent fills in (`parameters: { queue: orders }`). @default [] */
  readonly parameters?: readonly string[];
}

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `query` with each declared `$<parameter>` replaced by its value (longest names first, so `$q` never eats `$queue`). */
export function fillParameters(query: string, values: Readonly<Record<string, string>>): string {
  let out = query;
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length))
    out = out.replace(new RegExp(`\\$${name}(?![A-Za-z0-9_])`, 'g'), () => values[name]!);
  return out;
}

/**
 * `signals` with every reference to a known template expanded; an unknown template or
 * malformed reference stays as written, for validation (spec/signal-rules.ts) to report.
 */
export function expandSignalTemplates(
  signals: unknown,
  templates: Readonly<Record<string, SignalTemplateSpec>> | undefined,
): unknown {
  if (!Array.isArray(signals)) return signals;
  return signals.map((s) => {
    if (!isRecord(s) || typeof s.template !== 'string') return s;
    const template = templates?.[s.template];
    if (!template) return s;
    const { template: _name, parameters, ...own } = s;
    const values = isRecord(parameters) ? (parameters as Record<string, string>) : {};
    const { parameters: _declared, ...fields } = template;
    const query = typeof own.query === 'string' ? own.query : fields.query;
    return { ...fields, ...own, ...(query === undefined ? {} : { query: fillParameters(query, values) }) };
  });
}
