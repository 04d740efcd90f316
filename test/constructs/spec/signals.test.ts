import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../../constructs/spec/index.js';
import { intent, problems } from './signal-intent.js';

describe('user-defined signals in the intent', () => {
  it('accepts a signal and resolves its defaults into the model', () => {
    const r = parseIntent(
      'rollouts/shop.yaml',
      intent('    - { name: backlog, query: \'max(queue_depth{version="$version"})\', bad: higher, limit: 5 }\n'),
    );
    expect(r.ok && r.model.signals).toEqual([
      {
        name: 'backlog',
        query: 'max(queue_depth{version="$version"})',
        bad: 'higher',
        limit: 5,
        action: 'rollback',
        minSamples: 3,
      },
    ]);
  });

  it('points at the character of a template that does not parse (plain scalar)', () => {
    expect(
      problems(
        intent(
          '    - name: backlog\n      query: max(queue_depth{version="$version"}\n      bad: higher\n      limit: 5\n',
        ),
      ),
    ).toEqual(['rollouts/shop.yaml:14:49: spec.signals[0].query: is not valid PromQL: the expression ends too early']);
  });

  it('points at the character of a template that does not parse (block scalar)', () => {
    const text = intent(
      '    - name: success\n      query: |\n        sum(rate(orders{version="$version"}[$window]))\n          / sum(rate(orders{version="$version"}[$window])) +\n      bad: lower\n      limit: 0.9\n',
    );
    expect(problems(text)).toEqual([
      'rollouts/shop.yaml:16:61: spec.signals[0].query: is not valid PromQL: the expression ends too early',
    ]);
  });

  it('locates a syntax error after a placeholder at the template column, not the filled-in one', () => {
    const text = intent('    - { name: q, query: \'max(q{version="$version"} ** 2)\', bad: higher, limit: 5 }\n');
    expect(problems(text)).toEqual([
      'rollouts/shop.yaml:13:53: spec.signals[0].query: is not valid PromQL: unexpected text at "* 2)"',
    ]);
  });

  it('refuses a template without $version and an unknown placeholder', () => {
    const text = intent('    - { name: q, query: \'max(q{pod=~"$pod"})\', bad: higher, limit: 5 }\n');
    expect(problems(text)).toEqual([
      'rollouts/shop.yaml:13:26: spec.signals[0].query: does not use the placeholder $version (e.g. version="$version"); without it canary and stable read the same series',
      'rollouts/shop.yaml:13:38: spec.signals[0].query: unknown placeholder $pod; expected one of $version, $service, $namespace, $window, $weight',
    ]);
  });

  it('needs a limit or a ratio to stable, unique names, and a known direction and action', () => {
    const text = intent(
      [
        '    - { name: q, query: \'q{version="$version"}\', bad: higher }',
        '    - { name: q, query: \'q{version="$version"}\', bad: up, limit: 1, action: page, maxVsStable: 0.5 }',
        '',
      ].join('\n'),
    );
    expect(problems(text)).toEqual([
      'rollouts/shop.yaml:13:7: spec.signals[0]: needs limit, maxVsStable or both; with neither nothing can be judged',
      'rollouts/shop.yaml:14:15: spec.signals[1].name: signal name "q" is already used by spec.signals[0]; names must be unique',
      'rollouts/shop.yaml:14:55: spec.signals[1].bad: must be one of: higher, lower (got "up")',
      'rollouts/shop.yaml:14:77: spec.signals[1].action: must be one of: rollback, hold (got "page")',
      'rollouts/shop.yaml:14:96: spec.signals[1].maxVsStable: must be at least 1 (got 0.5)',
    ]);
  });
});
