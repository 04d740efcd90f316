import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../../constructs/spec/index.js';
import { quickLoad } from '../../../constructs/spec/quick-load.js';
import { benchSources, prng } from '../../../tools/bench/intents.js';

const read = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));

const GOOD = [...read('rollouts'), ...read('test/fixtures/good-intents')];
const BAD = read('test/fixtures/bad-intents');

/** Both paths of parseIntent must agree exactly: the same model and document, or the same problems. */
function expectSameAsPositioned(path: string, text: string): void {
  const quick = parseIntent(path, text);
  const positioned = parseIntent(path, text, { quick: false });
  // Object.is on every leaf: NaN, -0 and 0 must match too.
  if (!isDeepStrictEqual(quick, positioned)) expect({ path, text, quick }).toEqual({ path, text, quick: positioned });
}

/** Values where YAML 1.1 and 1.2, or two parsers, could read a scalar differently. */
const TOKENS = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'true',
  'True',
  'FALSE',
  '~',
  'null',
  'Null',
  '',
  '0',
  '-0',
  '+5',
  '010',
  '0o17',
  '0x1F90',
  '0b11',
  '1_000',
  '1e2',
  '1.5e-3',
  '.5',
  '5.',
  '.inf',
  '-.Inf',
  '.nan',
  '12:30',
  '2026-11-26T10:00:00Z',
  '"8080"',
  "'8080'",
  '"a # b"',
  "'it''s'",
  '"tab\\tx"',
  '[a, b]',
  '{ a: 1 }',
  '[a, [b]]',
  '{a: 1}',
  '[a,]',
  'a: b',
  '&x 1',
  '*x',
  '!!str 1',
  '|',
  '>-',
  'x #c',
  '12345678901234567890',
  '1h',
  '30m',
  'v1',
  '-',
  '- a',
  '? a',
  '%x',
  '@x',
  '`x',
  'a,b',
  'x-stagegate-cohort',
];

function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const at = () => Math.floor(rnd() * lines.length);
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
    const i = at();
    const line = lines[i] ?? '';
    switch (Math.floor(rnd() * 7)) {
      case 0:
        lines[i] = rnd() < 0.5 ? ` ${line}` : line.replace(/^ /, '');
        break;
      case 1:
        lines[i] = rnd() < 0.5 ? `  ${line}` : line.replace(/^ {2}/, '');
        break;
      case 2:
        lines.splice(at(), 0, line);
        break;
      case 3:
        lines.splice(i, 1);
        break;
      case 4: {
        const pos = Math.floor(rnd() * (line.length + 1));
        const ch = ':- #"\'[]{},0x\t&*!|>%?\n\r\u2028'[Math.floor(rnd() * 23)]!;
        lines[i] = line.slice(0, pos) + ch + line.slice(pos);
        break;
      }
      case 5:
        lines[i] = line.replace(/: .*$/, `: ${TOKENS[Math.floor(rnd() * TOKENS.length)]}`);
        break;
      default:
        lines[i] = line.replace(/^( *)- /, rnd() < 0.5 ? '$1- - ' : '$1-   ');
        break;
    }
  }
  return lines.join('\n');
}

describe('quickLoad', () => {
  it('takes the fast path for the example rollouts, the good fixtures and every generated intent', () => {
    for (const { path, text } of [...GOOD, ...benchSources(200)])
      expect({ path, quick: quickLoad(text) !== undefined }).toEqual({ path, quick: true });
  });

  it('declines what only the positioned parse reads right: anchors, tags, block scalars, escapes, tabs, duplicate keys', () => {
    const base = 'apiVersion: v\nkind: Rollout\n';
    for (const extra of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  x\n',
      'a: "x\\ty"\n',
      "a: 'it''s'\n",
      'a:\n\t- b\n',
      'kind: again\n',
      '%YAML 1.1\n---\n',
      'a: b\n  c\n',
    ]) {
      expect({ extra, quick: quickLoad(base + extra) }).toEqual({ extra, quick: undefined });
    }
  });
});

describe('parseIntent fast path', () => {
  it('gives what the positioned parse gives for 800 generated intents, the examples and every fixture', () => {
    for (const { path, text } of [...GOOD, ...BAD, ...benchSources(800)]) expectSameAsPositioned(path, text);
  });

  it('gives what the positioned parse gives for every scalar that YAML 1.1 and 1.2 read differently, in every field', () => {
    const text = readFileSync('test/fixtures/good-intents/every-field.yaml', 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      // Every second field keeps this test fast; the fields alternate between kinds of value.
      if (!/: \S/.test(line) || i % 2 === 1) return;
      for (const token of TOKENS) {
        const changed = [...lines];
        changed[i] = line.replace(/: .*$/, `: ${token}`);
        expectSameAsPositioned(`field-${i}-${token}`, changed.join('\n'));
      }
    });
  });

  it('gives what the positioned parse gives for 3,000 randomly broken intents (indentation, stray characters, moved lines)', () => {
    const seeds = [...GOOD, ...benchSources(40)];
    const rnd = prng(20261126);
    let fastAccepted = 0;
    for (let n = 0; n < 3000; n++) {
      const { path, text } = seeds[n % seeds.length]!;
      const broken = mutate(text, rnd);
      expectSameAsPositioned(`${path}#${n}`, broken);
      if (quickLoad(broken) !== undefined) fastAccepted++;
    }
    // The mutations must exercise the fast path too, not only the fallback.
    expect(fastAccepted).toBeGreaterThan(500);
  });
});
