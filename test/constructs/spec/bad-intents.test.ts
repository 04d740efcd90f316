import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, MAX_INTENT_BYTES, parseIntent } from '../../../constructs/spec/index.js';

/**
 * Every `test/fixtures/bad-intents/NN-name.yaml` must fail with exactly the lines in its
 * sibling `.expected` (what `stagegate synth` prints on stderr). Paths are shown relative to
 * the repository root, as the CLI prints them.
 */
const DIR = 'test/fixtures/bad-intents';
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

function report(file: string, text: string): string {
  const result = parseIntent(file, text);
  if (result.ok) return '(valid)\n';
  return result.problems.map((p) => `${formatProblem(p)}\n`).join('');
}

describe('bad intents', () => {
  it('has at least 60 fixtures, each with an .expected file', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
    const expected = new Set(readdirSync(DIR).filter((name) => name.endsWith('.expected')));
    expect(fixtures.filter((f) => !expected.has(f.replace(/\.yaml$/, '.expected')))).toEqual([]);
  });

  it.each(fixtures)('reports exactly the expected problems for %s', (name) => {
    const file = `${DIR}/${name}`;
    const expected = readFileSync(file.replace(/\.yaml$/, '.expected'), 'utf8');
    expect(report(file, readFileSync(file, 'utf8'))).toBe(expected);
  });

  it('rejects a 10 MiB file before parsing it', () => {
    const text = `apiVersion: stagegate.dev/v1alpha1\n# ${'x'.repeat(10 * 1024 * 1024)}`.slice(0, 10 * 1024 * 1024);
    const started = performance.now();
    expect(report('rollouts/huge.yaml', text)).toBe(
      'rollouts/huge.yaml:1:1: file is 10485760 bytes; intents are limited to 1 MiB\n',
    );
    // A parse of 10 MB of YAML would take far longer than this; the size check comes first.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('accepts a file of exactly 1 MiB when it is otherwise valid YAML', () => {
    const body = readFileSync('test/fixtures/good-intents/checkout.yaml', 'utf8');
    const padding = `# ${'x'.repeat(MAX_INTENT_BYTES - Buffer.byteLength(body) - 3)}\n`;
    const text = body + padding;
    expect(Buffer.byteLength(text)).toBe(MAX_INTENT_BYTES);
    expect(parseIntent('rollouts/checkout.yaml', text).ok).toBe(true);
  });

  it('counts bytes, not characters, against the limit', () => {
    const text = `# ${'é'.repeat(600 * 1024)}\n`;
    expect(report('r.yaml', text)).toBe(
      `r.yaml:1:1: file is ${Buffer.byteLength(text)} bytes; intents are limited to 1 MiB\n`,
    );
  });
});
