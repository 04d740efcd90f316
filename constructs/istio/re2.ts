/**
 * The regex dialect of Istio's StringMatch `regex`: RE2. Istio's webhook compiles it with Go's
 * `regexp.Compile` (istio/istio pkg/config/validation/validation.go `validateStringRegexp`, which
 * also caps the length at 1024) and Envoy with RE2 itself; Go's regexp/syntax is RE2's syntax
 * (https://github.com/google/re2/wiki/Syntax) less `\C`. JavaScript's RegExp is a different
 * dialect — it has lookarounds and backreferences, and lacks `(?i)` flags — so `new RegExp()`
 * can neither accept nor refuse for Istio.
 *
 * No RE2 is a dependency of stagegate, so this is a focused syntax check of the constructs a
 * pattern written for JavaScript or PCRE most often brings that RE2 refuses: lookahead,
 * lookbehind, backreferences, atomic groups, possessive or nested repetition, repeat counts above
 * 1000, escapes RE2 does not know, and unbalanced groups and classes. It does not evaluate the
 * pattern. test/constructs/istio/re2.test.ts compares its verdict with RE2 (re2-wasm, present as
 * an optional dependency of @kubernetes-models/validate) on every pattern it knows.
 */

/** Go's `regexp/syntax` error codes for the errors this check reports. */
export type Re2Code =
  | 'invalid or unsupported Perl syntax'
  | 'invalid escape sequence'
  | 'invalid nested repetition operator'
  | 'missing argument to repetition operator'
  | 'invalid repeat count'
  | 'missing closing )'
  | 'unexpected )'
  | 'missing closing ]'
  | 'invalid named capture'
  | 'invalid character class range';

export interface Re2Problem {
  readonly code: Re2Code;
  /** The offending text, as Go quotes it after the code. */
  readonly expr: string;
  /** Why RE2 has no such construct, for the constructs people bring from other dialects. */
  readonly hint?: string;
}

/** Istio's own cap (validateStringRegexp): Envoy's program-size limit approximated by length. */
export const REGEX_MAX_LENGTH = 1024;

const NO_LOOKAROUND =
  'RE2 has no lookahead or lookbehind (it matches in linear time); match the wanted values directly, or write several alternatives';
const NO_BACKREFERENCE = 'RE2 has no backreferences (it matches in linear time)';
const NO_ATOMIC = 'RE2 has no atomic groups or possessive repetition (it never backtracks, so it needs none)';

/** Escapes Go's parser accepts after `\` that are letters or digits (parse.go parseEscape, parsePerlClassEscape). */
const LETTER_ESCAPES = new Set(['a', 'f', 't', 'n', 'r', 'v', 'd', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'A', 'z']);
const FLAGS_RE = /^\(\?[imsU]*(?:-[imsU]+)?[:)]/;
const NAMED_RE = /^\(\?P?<([A-Za-z0-9_]+)>/;
const REPEAT_RE = /^\{(\d+)(,(\d*))?\}/;

/** The first problem RE2 would report for `pattern`, or undefined when it compiles. */
export function re2Problem(pattern: string): Re2Problem | undefined {
  let depth = 0;
  /** What came before: nothing to repeat, an atom, a repetition operator, or a lazy one (`*?`). */
  let last: 'none' | 'atom' | 'repeat' | 'lazy' = 'none';
  let opStart = 0;
  /** A repetition operator `op` at `i`; Go quotes a nested one from the previous operator on. */
  const repeat = (op: string, i: number): Re2Problem | undefined => {
    if (last === 'none') return { code: 'missing argument to repetition operator', expr: op };
    if (last === 'repeat' && op === '?') {
      last = 'lazy';
      return undefined;
    }
    if (last === 'repeat' || last === 'lazy') {
      const hint = op === '+' ? { hint: NO_ATOMIC } : {};
      return { code: 'invalid nested repetition operator', expr: pattern.slice(opStart, i + op.length), ...hint };
    }
    last = 'repeat';
    opStart = i;
    return undefined;
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    const rest = pattern.slice(i);
    if (c === '\\') {
      const esc = escapeAt(pattern, i);
      if ('code' in esc) return esc;
      i = esc.end;
      last = 'atom';
    } else if (c === '(') {
      if (rest.startsWith('(?')) {
        const group = groupProblem(rest);
        if (group) return group;
        const opened = NAMED_RE.exec(rest)?.[0] ?? FLAGS_RE.exec(rest)![0];
        i += opened.length;
        // `(?i)` sets flags for what follows; it opens no group.
        if (opened.endsWith(')')) continue;
      } else i += 1;
      depth++;
      last = 'none';
    } else if (c === ')') {
      if (depth === 0) return { code: 'unexpected )', expr: pattern };
      depth--;
      i++;
      last = 'atom';
    } else if (c === '|') {
      i++;
      last = 'none';
    } else if (c === '*' || c === '+' || c === '?') {
      const problem = repeat(c, i);
      if (problem) return problem;
      i++;
    } else if (c === '{' && REPEAT_RE.test(rest)) {
      const m = REPEAT_RE.exec(rest)!;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      if (min > 1000 || max > 1000 || (max >= 0 && max < min)) return { code: 'invalid repeat count', expr: m[0] };
      const problem = repeat(m[0], i);
      if (problem) return problem;
      i += m[0].length;
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (typeof end !== 'number') return end;
      i = end;
      last = 'atom';
    } else {
      // Literals, `.`, `^`, `$`, and a `{` that starts no repeat count (Go takes it literally).
      i++;
      last = 'atom';
    }
  }
  if (depth > 0) return { code: 'missing closing )', expr: pattern };
  return undefined;
}

/** `(?…` forms RE2 refuses, with why. */
function groupProblem(rest: string): Re2Problem | undefined {
  if (rest.startsWith('(?=') || rest.startsWith('(?!'))
    return { code: 'invalid or unsupported Perl syntax', expr: rest.slice(0, 3), hint: NO_LOOKAROUND };
  if (rest.startsWith('(?<=') || rest.startsWith('(?<!'))
    return { code: 'invalid or unsupported Perl syntax', expr: rest.slice(0, 4), hint: NO_LOOKAROUND };
  if (rest.startsWith('(?>')) return { code: 'invalid or unsupported Perl syntax', expr: '(?>', hint: NO_ATOMIC };
  if (rest.startsWith('(?P='))
    return { code: 'invalid or unsupported Perl syntax', expr: '(?P=', hint: NO_BACKREFERENCE };
  if (rest.startsWith('(?P<') || rest.startsWith('(?<')) {
    if (NAMED_RE.test(rest)) return undefined;
    const end = rest.indexOf('>');
    return { code: 'invalid named capture', expr: end < 0 ? rest : rest.slice(0, end + 1) };
  }
  if (FLAGS_RE.test(rest)) return undefined;
  return { code: 'invalid or unsupported Perl syntax', expr: rest.slice(0, 3) };
}

type Escape = { readonly end: number } | Re2Problem;

/** The escape at `pattern[i] === '\\'`: where it ends, or why RE2 refuses it. */
function escapeAt(pattern: string, i: number): Escape {
  const c = pattern[i + 1];
  if (c === undefined) return { code: 'invalid escape sequence', expr: '\\' };
  if (c === 'Q') {
    const end = pattern.indexOf('\\E', i + 2);
    return { end: end < 0 ? pattern.length : end + 2 };
  }
  if (c >= '1' && c <= '9') {
    // parse.go: a single non-zero digit is a backreference; \1 followed by digits is octal.
    const next = pattern[i + 2];
    if (c <= '7' && next !== undefined && next >= '0' && next <= '7') {
      const more = pattern[i + 3];
      return { end: i + (more !== undefined && more >= '0' && more <= '7' ? 4 : 3) };
    }
    return { code: 'invalid escape sequence', expr: `\\${c}`, hint: NO_BACKREFERENCE };
  }
  if (c === '0') {
    let end = i + 2;
    while (end < i + 4 && pattern[end] !== undefined && pattern[end]! >= '0' && pattern[end]! <= '7') end++;
    return { end };
  }
  if (c === 'k') return { code: 'invalid escape sequence', expr: '\\k', hint: NO_BACKREFERENCE };
  if (c === 'x') {
    const braced = /^\\x\{[0-9A-Fa-f]{1,8}\}/.exec(pattern.slice(i));
    if (braced) return { end: i + braced[0].length };
    if (/^\\x[0-9A-Fa-f]{2}/.test(pattern.slice(i))) return { end: i + 4 };
    return { code: 'invalid escape sequence', expr: pattern.slice(i, i + 4) };
  }
  if (c === 'p' || c === 'P') {
    const braced = /^\\[pP]\{\^?[A-Za-z_]+\}/.exec(pattern.slice(i));
    if (braced) return { end: i + braced[0].length };
    if (/^\\[pP][A-Za-z]/.test(pattern.slice(i))) return { end: i + 3 };
    return { code: 'invalid character class range', expr: pattern.slice(i, i + 3) };
  }
  if (/[A-Za-z0-9]/.test(c)) {
    if (LETTER_ESCAPES.has(c)) return { end: i + 2 };
    const hint =
      c === 'u'
        ? 'RE2 writes a code point as \\x{00E9}, not \\u00E9'
        : c === 'Z'
          ? 'RE2 writes end of text as \\z'
          : undefined;
    return { code: 'invalid escape sequence', expr: `\\${c}`, ...(hint ? { hint } : {}) };
  }
  // Any escaped punctuation is that character (parse.go: c < utf8.RuneSelf && !isalnum(c)).
  return { end: i + 2 };
}

/** Index after the class opened at `pattern[i] === '['`, or why it does not close. */
function classEnd(pattern: string, i: number): number | Re2Problem {
  let j = i + 1;
  if (pattern[j] === '^') j++;
  // A `]` first in the class is a literal.
  if (pattern[j] === ']') j++;
  while (j < pattern.length) {
    const c = pattern[j]!;
    if (c === ']') return j + 1;
    if (c === '[') {
      const named = /^\[:\^?[a-z]+:\]/.exec(pattern.slice(j));
      if (named) {
        j += named[0].length;
        continue;
      }
    }
    if (c === '\\') {
      const esc = escapeAt(pattern, j);
      if ('code' in esc) return esc;
      j = esc.end;
      continue;
    }
    j++;
  }
  return { code: 'missing closing ]', expr: pattern.slice(i) };
}

/**
 * Istio's error for a regex StringMatch (`validateStringRegexp`): `"headers": error parsing
 * regexp: …; Istio uses RE2 style regex-based match (…)`, plus why RE2 lacks the construct.
 */
export function regexErrors(pattern: string, where: string): string[] {
  const w = JSON.stringify(where);
  if (pattern === '') return [`${w}: regex string match should not be empty`];
  if (pattern.length > REGEX_MAX_LENGTH) return [`${w}: regex is too large, max length allowed is ${REGEX_MAX_LENGTH}`];
  const p = re2Problem(pattern);
  if (!p) return [];
  const hint = p.hint ? ` (${p.hint})` : '';
  return [
    `${w}: error parsing regexp: ${p.code}: \`${p.expr}\`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)${hint}`,
  ];
}
