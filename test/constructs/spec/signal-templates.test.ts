import { describe, expect, it } from 'vitest';
import { parseDefaults } from '../../../constructs/spec/defaults.js';
import { formatProblem, parseIntent } from '../../../constructs/spec/index.js';
import { intent, problems, problemsOf } from './signal-intent.js';

const DEFAULTS = `apiVersion: stagegate.dev/v1alpha1
kind: Defaults
spec:
  signalTemplates:
    queue-backlog:
      query: max(avg_over_time(queue_depth{queue="$queue", version="$version"}[$window]))
      bad: higher
      maxVsStable: 2
      parameters: [queue]
`;

function defaults() {
  const d = parseDefaults('rollouts/_defaults.yaml', DEFAULTS);
  if (!d.ok) throw new Error(d.problems.map(formatProblem).join('\n'));
  return d.defaults;
}

describe('repository-wide signal templates', () => {
  it('expands a template referenced by name, with the intent’s parameters and overrides', () => {
    const r = parseIntent(
      'rollouts/shop.yaml',
      intent('    - { name: orders-backlog, template: queue-backlog, parameters: { queue: orders }, limit: 500 }\n'),
      { defaults: defaults() },
    );
    expect(r.ok && r.model.signals).toEqual([
      {
        name: 'orders-backlog',
        query: 'max(avg_over_time(queue_depth{queue="orders", version="$version"}[$window]))',
        bad: 'higher',
        limit: 500,
        maxVsStable: 2,
        action: 'rollback',
        minSamples: 3,
      },
    ]);
  });

  it('reports a template nobody defined at the reference', () => {
    expect(problems(intent('    - { name: b, template: backlog }\n'), { defaults: defaults() })).toEqual([
      'rollouts/shop.yaml:13:28: spec.signals[0].template: unknown signal template "backlog"; define it under spec.signalTemplates in rollouts/_defaults.yaml',
    ]);
  });

  it('reports a parameter the intent did not fill as an unknown placeholder', () => {
    expect(
      problems(intent('    - { name: b, template: queue-backlog, limit: 5 }\n'), { defaults: defaults() }),
    ).toEqual([
      'rollouts/shop.yaml:13:7: spec.signals[0].query: unknown placeholder $queue; expected one of $version, $service, $namespace, $window, $weight',
    ]);
  });

  it('validates templates in the defaults file, located in the template', () => {
    const d = parseDefaults(
      'rollouts/_defaults.yaml',
      DEFAULTS.replace('bad: higher', 'bad: up').replace('[$window]))', '[$window])'),
    );
    expect(problemsOf(d)).toEqual([
      'rollouts/_defaults.yaml:7:12: spec.signalTemplates.queue-backlog.bad: must be one of: higher, lower (got "up")',
      'rollouts/_defaults.yaml:6:89: spec.signalTemplates.queue-backlog.query: is not valid PromQL: the expression ends too early',
    ]);
  });
});
