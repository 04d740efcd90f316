import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { compile } from '../../constructs/compile.js';
import { stringifyDocuments } from '../../constructs/yaml-emit.js';
import { benchSources, prng } from '../../tools/bench/intents.js';

/** Strings whose printing depends on YAML 1.1 resolution, indicators, whitespace or escapes. */
const TRICKY: readonly string[] = [
  '',
  ' ',
  'a',
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'n',
  'Y',
  'true',
  'False',
  'null',
  'Null',
  '~',
  '-',
  '?',
  ':',
  '<<',
  '=',
  '0',
  '007',
  '0775',
  '0o17',
  '0x1F',
  '0b101',
  '1_000',
  '+1',
  '-1',
  '1.5',
  '.5',
  '1e3',
  '1.0e+3',
  '.inf',
  '-.Inf',
  '.nan',
  '12:30',
  '190:20:30',
  '1:20.5',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2026-11-26T10:00:00Z',
  'a: b',
  'a:b',
  'a :b',
  'a #b',
  'a#b',
  '#a',
  '- a',
  '-a',
  '? a',
  '&a',
  '*a',
  '!a',
  '!!str',
  '|',
  '>',
  "'",
  '"',
  '%a',
  '@a',
  '`a',
  '[a]',
  '{a}',
  'a,b',
  'a, b',
  'x ',
  ' x',
  '\tx',
  'x\t',
  "it's",
  'say "hi"',
  'both \' and "',
  'back\\slash',
  '---',
  '--- a',
  '...',
  '... a',
  'a\n---\nb',
  '%YAML',
  'a\nb',
  'a\n\nb',
  'a\n',
  'a\n\n',
  '\na',
  '\n',
  '\n\n',
  ' a\nb',
  'a\n b',
  'a \nb',
  'a\n\tb',
  'a\nb\n ',
  'line one\nline two\n',
  'very long line '.repeat(20),
  `${'k'.repeat(1100)}`,
  'nul\0',
  'bell\x07',
  'esc\x1b',
  'del\x7f',
  'nbsp\u00a0x',
  'next\u0085line',
  'sep\u2028x',
  '\u2028%x',
  'a\r---',
  '\u2029...',
  'emoji 🚀',
  'lone \ud800 surrogate',
  'sum by (le) (rate(x{a="b", c=~"d|e"}[5m])) > 0.5',
  '{{ $labels.stagegate_rollout }} errors {{ $value | humanizePercentage }}',
  'x-stagegate-cohort',
  'v1',
  'stagegate:istio_requests_5xx:ratio_rate5m',
  '5xx,reset,connect-failure',
  '0.5s',
  '90s',
  '---g',
  '...g',
  '---g h',
  '--g',
  'g: h',
  'g #h',
  'g#h',
  'g:',
  'g ',
  ' g',
  '-g',
  '- g',
  '?g',
  '? g',
  '[g',
  'g]',
  '{g}',
  'g,h',
  '!g',
  '&g',
  '*g',
  '|g',
  '>g',
  '%g',
  '@g',
  '`g',
  '"g',
  "'g",
  '#g',
  'g\th',
  'g\nh',
  'gé',
  'g\x7f',
  'yes!',
  'on()',
  '0x1G',
  '1e5m',
  '2026-11-26 10:00:00 x',
  'True?',
  '~/g',
];

const NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  42,
  0.5,
  -2.25,
  1e21,
  1e-7,
  123456789.125,
  100,
  Number.MAX_SAFE_INTEGER,
  NaN,
  Infinity,
  -Infinity,
];

/** Short strings from the characters that decide quoting: indicators, tag alphabets, whitespace. */
function randomString(rnd: () => number): string {
  const pool = 'agm :#-?[]{},!&*|>\'"%@`~<.+_0123456789eExyYnNoOtTZ\t\n\\é\r\u2028\u0085\x00';
  return Array.from({ length: Math.floor(rnd() * 9) }, () => pool[Math.floor(rnd() * pool.length)]).join('');
}

function randomValue(rnd: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const r = rnd();
  if (depth < 4 && r < 0.22) {
    return Object.fromEntries(
      Array.from({ length: Math.floor(rnd() * 4) }, () => [
        rnd() < 0.5 ? pick(TRICKY) : randomString(rnd),
        randomValue(rnd, depth + 1),
      ]),
    );
  }
  if (depth < 4 && r < 0.38) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  if (r < 0.55) return pick(TRICKY);
  if (r < 0.75) return randomString(rnd);
  if (r < 0.88) return pick(NUMBERS);
  return pick([true, false, null, undefined]);
}

function randomDocument(seed: number): Record<string, unknown> {
  const rnd = prng(seed);
  return Object.fromEntries(
    Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => [
      i % 2 ? `k${i}` : TRICKY[(seed + i) % TRICKY.length]!,
      randomValue(rnd, 0),
    ]),
  );
}

describe('stringifyDocuments', () => {
  it('writes the bytes cdk8s writes for every object of 2,000 generated rollouts', () => {
    let compared = 0;
    for (const rollout of compile(benchSources(2000))) {
      expect(rollout.content).toBe(Yaml.stringify(...rollout.objects));
      compared += rollout.objects.length;
    }
    expect(compared).toBeGreaterThanOrEqual(6000);
  });

  it('writes the bytes cdk8s writes for 3,000 random documents of awkward strings, numbers and nesting', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const docs = [randomDocument(seed), randomDocument(seed + 100_000)];
      const ours = stringifyDocuments(docs);
      const theirs = Yaml.stringify(...docs);
      if (ours !== theirs) expect({ seed, ours }).toEqual({ seed, ours: theirs });
    }
    expect(stringifyDocuments([{ a: 'yes' }])).toBe('a: "yes"\n');
  });

  it('quotes each awkward string exactly as cdk8s does, as key, value and list item at several depths', () => {
    for (const s of TRICKY) {
      const docs = [{ [s]: s, list: [s, [s], { [s]: [s] }], deep: { deeper: { [s]: { x: s } } } }];
      expect(stringifyDocuments(docs)).toBe(Yaml.stringify(...docs));
    }
  });

  it('leaves shapes it does not print itself to cdk8s: shared objects, dates, class instances, undefined documents', () => {
    const shared = { app: 'x' };
    class Box {
      constructor(readonly v: number) {}
    }
    const docs: unknown[] = [
      { a: shared, b: shared },
      { when: new Date(0) },
      { box: new Box(1) },
      undefined,
      { empty: {}, none: [], nested: [[], {}, [[1]]] },
    ];
    expect(stringifyDocuments(docs)).toBe(Yaml.stringify(...docs));
    expect(stringifyDocuments([{ a: shared, b: shared }])).toContain('&a1');
  });
});
