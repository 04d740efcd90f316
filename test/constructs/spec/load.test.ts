import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, IntentError, parseIntent, type SourceProblem } from '../../../constructs/spec/index.js';

const GOOD = 'test/fixtures/good-intents';
const BASE = `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  service:
    host: checkout
    port: 8080
  stable: v1
  canary: v2
  stages:
    - name: ten
      weight: 10
      bake: 1h
    - name: full
      weight: 100
  stage: ten
`;

function problems(text: string): string[] {
  const result = parseIntent('r.yaml', text);
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('parseIntent', () => {
  it.each(readdirSync(GOOD).filter((f) => f.endsWith('.yaml')))(
    'parses the good intent %s without problems',
    (name) => {
      const result = parseIntent(`${GOOD}/${name}`, readFileSync(`${GOOD}/${name}`, 'utf8'));
      expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
      expect(result.ok && result.document.kind).toBe('Rollout');
    },
  );

  it('points at the value of a wrong field', () => {
    expect(problems(BASE.replace('weight: 10', 'weight: 140'))).toEqual([
      'r.yaml:13:15: spec.stages[0].weight: must be between 0 and 100 (got 140)',
    ]);
  });

  it('points at the key of an unknown field', () => {
    expect(problems(BASE.replace('    port: 8080\n', '    port: 8080\n    portt: 1\n'))).toEqual([
      'r.yaml:9:5: spec.service.portt: unknown field "portt" (did you mean "port"?)',
    ]);
  });

  it('points at the parent mapping of a missing field', () => {
    expect(problems(BASE.replace('    host: checkout\n', ''))).toEqual(['r.yaml:7:5: spec.service.host: is required']);
  });

  it('points at the key when a value is left empty', () => {
    expect(problems(BASE.replace('port: 8080', 'port:'))).toEqual([
      'r.yaml:8:5: spec.service.port: must be an integer (got nothing)',
    ]);
  });

  it('reports a duplicate key and judges the value that wins, the last one', () => {
    expect(problems(BASE.replace('      weight: 10\n', '      weight: 10\n      weight: 140\n'))).toEqual([
      'r.yaml:14:7: spec.stages[0].weight: duplicate key "weight" (first set on line 13); keep one',
      'r.yaml:14:15: spec.stages[0].weight: must be between 0 and 100 (got 140)',
    ]);
  });

  it('sorts problems by line and column, whichever rule found them', () => {
    const text = BASE.replace('canary: v2', 'canary: v1').replace('kind: Rollout', 'kind: Roll');
    expect(problems(text)).toEqual([
      'r.yaml:2:7: kind: must be Rollout (got "Roll")',
      'r.yaml:10:11: spec.canary: must differ from stable (both are "v1"); canary pods need their own value of the "version" label',
    ]);
  });

  it('gives the same positions for CRLF line endings', () => {
    expect(problems(BASE.replace('weight: 10', 'weight: 140').replace(/\n/g, '\r\n'))).toEqual([
      'r.yaml:13:15: spec.stages[0].weight: must be between 0 and 100 (got 140)',
    ]);
  });

  it('accepts a leading "---" and a trailing empty document', () => {
    expect(problems(`---\n${BASE}---\n`)).toEqual([]);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    const [first] = problems(bomb.join('\n'));
    expect(first).toMatch(/^r\.yaml:1:1: YAML cannot be read: Excessive alias count/);
  });

  it('refuses 100,000 levels of brackets before the parser recurses into them', () => {
    const text = `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expect(problems(text)).toEqual([
      'r.yaml:1:36: YAML nests more than 32 levels deep here; a rollout intent never needs that many',
    ]);
  });

  it('does not count brackets inside quotes or comments towards the nesting limit', () => {
    const deep = '['.repeat(40);
    const text = BASE.replace('stage: ten', `stage: ten # ${deep}`).replace(
      'canary: v2',
      `canary: v2\n  abort: { reason: "${deep}", at: 2026-11-26T10:00:00Z }`,
    );
    expect(problems(text)).toEqual([]);
  });

  it('returns the model and the document of a valid intent', () => {
    const result = parseIntent('rollouts/checkout.yaml', BASE);
    expect(result.ok && result.model.stages.map((s) => s.name)).toEqual(['ten', 'full']);
    expect(result.ok && result.document.spec.stage).toBe('ten');
  });
});

describe('formatProblem and IntentError', () => {
  const withPath: SourceProblem = {
    file: 'rollouts/x.yaml',
    line: 14,
    column: 7,
    path: 'spec.stages[2].weight',
    message: 'must be between 0 and 100 (got 140)',
  };
  const withoutPath: SourceProblem = {
    file: 'rollouts/x.yaml',
    line: 1,
    column: 1,
    path: '',
    message: 'file is empty; expected a stagegate.dev/v1alpha1 Rollout',
  };

  it('formats file:line:column: path: message', () => {
    expect(formatProblem(withPath)).toBe(
      'rollouts/x.yaml:14:7: spec.stages[2].weight: must be between 0 and 100 (got 140)',
    );
  });

  it('leaves the path out for problems of the whole file', () => {
    expect(formatProblem(withoutPath)).toBe(
      'rollouts/x.yaml:1:1: file is empty; expected a stagegate.dev/v1alpha1 Rollout',
    );
  });

  it('puts one formatted problem per line in its message and keeps the problems and cause', () => {
    const cause = new Error('root');
    const err = new IntentError([withoutPath, withPath], { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('IntentError');
    expect(err.message).toBe(`${formatProblem(withoutPath)}\n${formatProblem(withPath)}`);
    expect(err.problems).toEqual([withoutPath, withPath]);
    expect(err.cause).toBe(cause);
  });
});
