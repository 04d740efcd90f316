/**
 * A small typed PromQL builder. Constructs compose expressions from these nodes and render them
 * once, so label values are always quoted and escaped the same way and operator precedence is
 * never left to string concatenation (every binary operand that is itself an operator is
 * parenthesised).
 */
import { wholeUnits } from '../duration.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export type Expr = Selector | NumberLiteral | StringLiteral | Call | Aggregation | Binary;

export interface Selector {
  readonly kind: 'selector';
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
  /** Range in milliseconds: makes this a range selector (`[5m]`). */
  readonly rangeMs?: number;
  readonly offsetMs?: number;
}

export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
}

/** A string argument (label_replace's label names, values and regex). */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}

export interface Call {
  readonly kind: 'call';
  readonly fn: string;
  readonly args: readonly Expr[];
}

export type AggregationOp = 'sum' | 'max' | 'min' | 'avg' | 'count';

export interface Aggregation {
  readonly kind: 'aggregation';
  readonly op: AggregationOp;
  readonly by: readonly string[];
  readonly expr: Expr;
}

export type ArithmeticOp = '+' | '-' | '*' | '/';
export type ComparisonOp = '>' | '<' | '>=' | '<=' | '==' | '!=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export interface VectorMatching {
  /** `on(...)`: match on exactly these labels (empty list = `on()`, one series each side). */
  readonly on: readonly string[];
  /** `group_left(...)`: many-to-one, carrying these labels from the right side. */
  readonly groupLeft?: readonly string[];
}

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  /** Comparison returns 0/1 instead of filtering. */
  readonly bool?: boolean;
  readonly matching?: VectorMatching;
}

const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

// ---- constructors -------------------------------------------------------------------------

export function selector(metric: string, matchers: readonly LabelMatcher[] = []): Selector {
  if (!METRIC_RE.test(metric)) throw new Error(`"${metric}" is not a valid Prometheus metric name`);
  for (const m of matchers) {
    if (!LABEL_RE.test(m.label)) throw new Error(`"${m.label}" is not a valid Prometheus label name`);
  }
  return { kind: 'selector', metric, matchers };
}

export function eq(label: string, value: string): LabelMatcher {
  return { label, op: '=', value };
}
export function re(label: string, value: string): LabelMatcher {
  return { label, op: '=~', value };
}

/** A regex that matches exactly one of `values` (regex metacharacters escaped). */
export function anyOf(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

export function range(sel: Selector, rangeMs: number): Selector {
  return { ...sel, rangeMs };
}

export function offset(sel: Selector, offsetMs: number): Selector {
  return { ...sel, offsetMs };
}

export function num(value: number): NumberLiteral {
  if (!Number.isFinite(value)) throw new Error(`PromQL number literal must be finite (got ${value})`);
  return { kind: 'number', value };
}

export function str(value: string): StringLiteral {
  return { kind: 'string', value };
}

export function call(fn: string, ...args: Expr[]): Call {
  return { kind: 'call', fn, args };
}

export function rate(sel: Selector, windowMs: number): Call {
  return call('rate', range(sel, windowMs));
}

export function histogramQuantile(q: number, expr: Expr): Call {
  return call('histogram_quantile', num(q), expr);
}

export function aggregate(op: AggregationOp, expr: Expr, by: readonly string[] = []): Aggregation {
  return { kind: 'aggregation', op, by, expr };
}

export function sum(expr: Expr, by: readonly string[] = []): Aggregation {
  return aggregate('sum', expr, by);
}

export function binary(
  op: BinaryOp,
  lhs: Expr,
  rhs: Expr,
  opts: { bool?: boolean; matching?: VectorMatching } = {},
): Binary {
  return { kind: 'binary', op, lhs, rhs, ...opts };
}

/** `on()` matching: both sides are single series of one rollout; the result keeps the left side's labels. */
export const ON_NOTHING: VectorMatching = { on: [] };

// ---- rendering ----------------------------------------------------------------------------

/** Go-style duration Prometheus accepts in ranges and offsets ("90s" → "1m30s"). */
export function promDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0)
    throw new Error(`PromQL duration must be a positive whole number of ms (got ${ms})`);
  return wholeUnits(ms, { days: true });
}

function quote(value: string): string {
  // PromQL strings follow Go's escaping; JSON's is a compatible subset for label values.
  return JSON.stringify(value);
}

function renderNumber(value: number): string {
  // 12 significant digits hide float noise (14.4 × 0.01 = 0.14400000000000002); PromQL reads
  // exponents ("1e-05") too.
  return String(Number(value.toPrecision(12)));
}

function renderMatching(m: VectorMatching | undefined): string {
  if (!m) return '';
  let out = ` on(${m.on.join(', ')})`;
  if (m.groupLeft) out += ` group_left(${m.groupLeft.join(', ')})`;
  return out;
}

function operand(e: Expr): string {
  return e.kind === 'binary' ? `(${render(e)})` : render(e);
}

/** The PromQL text of `e`. */
export function render(e: Expr): string {
  switch (e.kind) {
    case 'selector': {
      const matchers = e.matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(', ');
      let out = matchers ? `${e.metric}{${matchers}}` : e.metric;
      if (e.rangeMs !== undefined) out += `[${promDuration(e.rangeMs)}]`;
      if (e.offsetMs !== undefined) out += ` offset ${promDuration(e.offsetMs)}`;
      return out;
    }
    case 'number':
      return renderNumber(e.value);
    case 'string':
      return quote(e.value);
    case 'call':
      return `${e.fn}(${e.args.map(render).join(', ')})`;
    case 'aggregation':
      return e.by.length > 0 ? `${e.op} by (${e.by.join(', ')}) (${render(e.expr)})` : `${e.op}(${render(e.expr)})`;
    case 'binary': {
      const bool = e.bool ? ' bool' : '';
      return `${operand(e.lhs)} ${e.op}${bool}${renderMatching(e.matching)} ${operand(e.rhs)}`;
    }
    default: {
      const never: never = e;
      throw new Error(`unknown PromQL node ${JSON.stringify(never)}`);
    }
  }
}
