/**
 * The fast path of `parseIntent`: most intents are plain block YAML — `key: value` lines, `- `
 * items, single-line scalars and flow collections — and for those js-yaml (YAML 1.2 core
 * schema, like the `yaml` package's default) builds the same data several times faster than
 * the positioned parse, which keeps a node with a source range for every value.
 *
 * It is only a shortcut for documents that are clearly ordinary: every line must match a small
 * grammar (no anchors, aliases, tags, directives, document markers, block or multi-line scalars,
 * escapes, tabs, or explicit keys — the places where YAML parsers and versions differ), and
 * the caller uses the result only when the document is then fully valid. Everything else, and
 * every document with a problem, goes through the positioned parse, which alone writes messages.
 * test/constructs/spec/quick-load.test.ts compares both paths over the benchmark corpus, the
 * fixtures and thousands of mutated intents.
 */
import { CORE_SCHEMA, load } from 'js-yaml';

const KEY = '[A-Za-z_][A-Za-z0-9_]*';
/** A single-line plain scalar in block context: no indicators first, no `: ` or ` #` inside. */
const BLOCK_PLAIN = '[A-Za-z0-9_./](?:[A-Za-z0-9_./+@=%(),-]|:(?=[A-Za-z0-9_./+@=%(),-])| (?=[A-Za-z0-9_./+@=%(),-]))*';
/** In flow context commas, colons and brackets are structure, so they never appear in a scalar. */
const FLOW_PLAIN = /^[A-Za-z0-9_./](?:[A-Za-z0-9_./+@=%-]| (?=[A-Za-z0-9_./+@=%-]))*/;
/** Quoted scalars without escapes (`\` or `''`): both parsers read them the same. */
const DOUBLE = '"[ !#-\\[\\]-~]*"';
const SINGLE = "'[ -&(-~]*'";
const FLOW_QUOTED = new RegExp(`^(?:${DOUBLE}|${SINGLE})`);
const FLOW_KEY = new RegExp(`^${KEY}: +`);

const BLANK_OR_COMMENT = /^ *(?:#.*)?$/;
/** `  - - key: value  # comment`, `  - value`; the value part is checked separately. */
const ENTRY = new RegExp(`^ *((?:- )*)(?:(${KEY}):(?: +(?!#)(.*?))?|(.*?))(?: +#.*)? *$`);
const SCALAR_VALUE = new RegExp(`^(?:${BLOCK_PLAIN}|${DOUBLE}|${SINGLE})$`);
/** Characters that are line breaks, byte order marks or controls in one YAML version and not another. */
const AWKWARD_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;
/** Integers past 2^53 round differently in the two parsers. */
const LONG_DIGITS = /[0-9]{16}/;

/** The intent's data when `text` is ordinary block YAML that js-yaml reads to a mapping; else undefined. */
export function quickLoad(text: string): Record<string, unknown> | undefined {
  if (AWKWARD_CHARS.test(text) || LONG_DIGITS.test(text) || !isOrdinary(text)) return undefined;
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isOrdinary(text: string): boolean {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (!isOrdinaryLine(text.slice(start, end))) return false;
    start = end + 1;
  }
  return true;
}

function isOrdinaryLine(line: string): boolean {
  if (BLANK_OR_COMMENT.test(line)) return true;
  const m = ENTRY.exec(line);
  if (!m) return false;
  const [, dashes, key, keyed, bare] = m;
  if (key !== undefined) return keyed === undefined || keyed === '' || isValue(keyed);
  // A bare scalar line is only an item of a sequence; anywhere else it continues a multi-line scalar.
  return dashes !== '' && bare !== undefined && bare !== '' && isValue(bare);
}

function isValue(value: string): boolean {
  if (value[0] === '[' || value[0] === '{') return flowEnd(value, 0) === value.length;
  return SCALAR_VALUE.test(value);
}

/** End index of the flow collection starting at `i` (single line, no trailing commas), or -1. */
function flowEnd(s: string, i: number): number {
  const close = s[i] === '[' ? ']' : '}';
  const mapping = close === '}';
  i = skipSpaces(s, i + 1);
  if (s[i] === close) return i + 1;
  for (;;) {
    if (mapping) {
      const key = FLOW_KEY.exec(s.slice(i));
      if (!key) return -1;
      i += key[0].length;
    }
    i = flowItemEnd(s, i);
    if (i < 0) return -1;
    i = skipSpaces(s, i);
    if (s[i] === close) return i + 1;
    if (s[i] !== ',') return -1;
    i = skipSpaces(s, i + 1);
  }
}

function flowItemEnd(s: string, i: number): number {
  if (s[i] === '[' || s[i] === '{') return flowEnd(s, i);
  const rest = s.slice(i);
  const token = FLOW_QUOTED.exec(rest) ?? FLOW_PLAIN.exec(rest);
  return token ? i + token[0].length : -1;
}

function skipSpaces(s: string, i: number): number {
  while (s[i] === ' ') i++;
  return i;
}
