import { RE2 } from 're2-wasm';
import { describe, expect, it } from 'vitest';
import { re2Problem, regexErrors } from '../../../constructs/istio/re2.js';

/**
 * The oracle is RE2 itself (re2-wasm, Google's RE2 compiled to WebAssembly, installed as an
 * optional dependency of @kubernetes-models/validate). re2-wasm first rewrites JavaScript-only
 * escapes (\u00e9, \cA) into RE2 ones, so those are left out of the comparison; Go's regexp,
 * which Istio's webhook uses, refuses them (regexp/syntax parse.go parseEscape).
 */
const PATTERNS = [
  // accepted by RE2
  'beta',
  '^(.*;\\s*)?canary=v2(\\s*;.*)?$',
  '(?i)beta',
  '(?i:beta)|alpha',
  '(?-s:.)',
  '(?P<name>x)',
  '(?<name>x)',
  '(?:a|b)+?',
  'a{1000}',
  'a{2,}',
  'a{2,5}?',
  'x{',
  '\\z',
  '\\x{e9}',
  '\\x41',
  '\\/',
  '\\-',
  '\\.',
  '\\pL',
  '\\p{Greek}',
  '\\PL',
  '[[:alpha:]]',
  '[]a]',
  '[^]a]',
  '[a-z0-9._-]+',
  '(?s).',
  '\\Q.*\\E',
  '\\b\\B\\A',
  '\\d\\D\\s\\S\\w\\W',
  '\\012',
  '\\0',
  '^*',
  '.*Mobile.*',
  // refused by RE2
  'a(?=b)',
  'a(?!b)',
  '(?<=a)b',
  '(?<!a)b',
  '(?>a)',
  '(a)\\1',
  '\\9',
  '(?P<n>a)(?P=n)',
  '(?<n>a)\\k<n>',
  'a{1001}',
  'x{2,1}',
  'a**',
  'a*+',
  'a++',
  'a{2}{3}',
  'a*??',
  '\\Z',
  '\\e',
  '\\G',
  '[a-',
  '(a',
  'a)',
  '*a',
  '|*',
  '(?#comment)',
  '(?<bad-name>a)',
];

const re2Accepts = (p: string): boolean => {
  try {
    new RE2(p, 'u');
    return true;
  } catch {
    return false;
  }
};

describe('re2Problem against RE2', () => {
  it.each(PATTERNS)('agrees with RE2 on %s', (pattern) => {
    expect(re2Problem(pattern) === undefined).toBe(re2Accepts(pattern));
  });

  it('covers both verdicts', () => {
    const accepted = PATTERNS.filter(re2Accepts).length;
    expect(accepted).toBeGreaterThan(20);
    expect(PATTERNS.length - accepted).toBeGreaterThan(20);
  });
});

describe('regexErrors: Istio validateStringRegexp messages', () => {
  const tail = 'Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)';

  it('refuses a lookahead in Go regexp words, saying why RE2 has none', () => {
    expect(regexErrors('^(?=.*beta).*$', 'headers')).toEqual([
      `"headers": error parsing regexp: invalid or unsupported Perl syntax: \`(?=\`; ${tail} (RE2 has no lookahead or lookbehind (it matches in linear time); match the wanted values directly, or write several alternatives)`,
    ]);
  });

  it('refuses a backreference', () => {
    expect(regexErrors('(a)\\1', 'headers')).toEqual([
      `"headers": error parsing regexp: invalid escape sequence: \`\\1\`; ${tail} (RE2 has no backreferences (it matches in linear time))`,
    ]);
  });

  it('quotes a nested repetition from the first operator, as Go does', () => {
    expect(re2Problem('a*+')).toEqual({
      code: 'invalid nested repetition operator',
      expr: '*+',
      hint: 'RE2 has no atomic groups or possessive repetition (it never backtracks, so it needs none)',
    });
  });

  it('refuses JavaScript escapes RE2 writes differently', () => {
    expect(re2Problem('caf\\u00e9')).toEqual({
      code: 'invalid escape sequence',
      expr: '\\u',
      hint: 'RE2 writes a code point as \\x{00E9}, not \\u00E9',
    });
    expect(re2Problem('\\cA')?.code).toBe('invalid escape sequence');
  });

  it('refuses an empty regex and one longer than 1024 characters', () => {
    expect(regexErrors('', 'headers')).toEqual(['"headers": regex string match should not be empty']);
    expect(regexErrors('a'.repeat(1025), 'headers')).toEqual([
      '"headers": regex is too large, max length allowed is 1024',
    ]);
    expect(regexErrors('a'.repeat(1024), 'headers')).toEqual([]);
  });
});
