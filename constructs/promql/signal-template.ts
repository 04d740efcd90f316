/**
 * The PromQL template of a user-defined health signal (README "User-defined signals"): the
 * user's own expression with placeholders that stagegate fills once per version. It is checked
 * with the official PromQL grammar (@prometheus-io/lezer-promql, the parser Prometheus' own UI
 * uses), never with a second parser written here.
 *
 * Placeholders (docs/design.md §7: one expression per version, compared canary vs stable):
 * - `$version`  the version judged (the canary's, then the stable's value of the version label);
 *   required, or canary and stable would read the same series.
 * - `$service`  the Service's short name (what Istio writes as destination_service_name).
 * - `$namespace` the rollout's namespace.
 * - `$window`   the signal's window as a PromQL duration ("5m").
 * - `$weight`   the version's share of the split as a fraction (canary: weight/100, stable: the rest),
 *   for throughput-consistency signals.
 */
import { parser } from '@prometheus-io/lezer-promql';

export const SIGNAL_PLACEHOLDERS = ['version', 'service', 'namespace', 'window', 'weight'] as const;
export type SignalPlaceholder = (typeof SIGNAL_PLACEHOLDERS)[number];
export type PlaceholderValues = Readonly<Record<SignalPlaceholder, string>>;

const PLACEHOLDER_RE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** A problem of a template, at `offset` characters into it. */
export interface TemplateProblem {
  readonly offset: number;
  readonly message: string;
}

/** `template` with every placeholder replaced, plus where each output offset came from. */
export function substitute(
  template: string,
  values: PlaceholderValues,
): { text: string; origin: (at: number) => number } {
  const pieces: { outStart: number; inStart: number; outLen: number; inLen: number }[] = [];
  let text = '';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const name = m[1] as SignalPlaceholder;
    if (!(SIGNAL_PLACEHOLDERS as readonly string[]).includes(name)) continue;
    text += template.slice(last, m.index);
    const value = values[name];
    pieces.push({ outStart: text.length, inStart: m.index, outLen: value.length, inLen: m[0].length });
    text += value;
    last = m.index + m[0].length;
  }
  text += template.slice(last);
  const origin = (at: number): number => {
    let shift = 0;
    for (const p of pieces) {
      if (at < p.outStart) break;
      if (at < p.outStart + p.outLen) return p.inStart;
      shift = p.inStart + p.inLen - (p.outStart + p.outLen);
    }
    return at + shift;
  };
  return { text, origin };
}

/** The template filled in with `values`: the PromQL Prometheus evaluates. */
export function fillTemplate(template: string, values: PlaceholderValues): string {
  return substitute(template, values).text;
}

/**
 * Every problem of `template`: unknown placeholders, a missing `$version`, and the first PromQL
 * syntax error of the filled-in text (located back in the template). `sample` fills the
 * placeholders for the syntax check; the values of a real rollout do.
 */
export function templateProblems(template: string, sample: PlaceholderValues): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  let hasVersion = false;
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    if (m[1] === 'version') hasVersion = true;
    else if (!(SIGNAL_PLACEHOLDERS as readonly string[]).includes(m[1]!))
      problems.push({
        offset: m.index,
        message: `unknown placeholder ${m[0]}; expected one of ${SIGNAL_PLACEHOLDERS.map((p) => `$${p}`).join(', ')}`,
      });
  }
  if (!hasVersion)
    problems.push({
      offset: 0,
      message:
        'does not use the placeholder $version (e.g. version="$version"); without it canary and stable read the same series',
    });
  const { text, origin } = substitute(template, sample);
  const syntax = firstSyntaxError(text);
  if (syntax !== undefined) {
    // An expression that ends too early is reported after its last character, not after trailing space.
    const at = Math.min(origin(syntax), template.trimEnd().length);
    const near = template.slice(at, at + 20).split('\n')[0];
    problems.push({
      offset: at,
      message:
        near === ''
          ? 'is not valid PromQL: the expression ends too early'
          : `is not valid PromQL: unexpected text at "${near}"`,
    });
  }
  return problems;
}

/** Every instant-vector selector of `text` (also those inside range selectors), with its offsets. */
export function vectorSelectors(text: string): { from: number; to: number; text: string }[] {
  const found: { from: number; to: number; text: string }[] = [];
  parser.parse(text).iterate({
    enter: (node) => {
      if (node.name === 'VectorSelector')
        found.push({ from: node.from, to: node.to, text: text.slice(node.from, node.to) });
    },
  });
  return found;
}

/** Offset of the first error node of the official grammar's parse tree, or undefined. */
function firstSyntaxError(text: string): number | undefined {
  if (text.trim() === '') return 0;
  let at: number | undefined;
  parser.parse(text).iterate({
    enter: (node) => {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at;
}
