/**
 * What the tests of user-defined signals share (signals.test.ts, signal-templates.test.ts): a valid
 * intent of rollouts/shop.yaml whose `signals:` the test writes, and its problems as a person reads
 * them (file:line:column: field: message).
 */
import { formatProblem, parseIntent, type SourceProblem } from '../../../constructs/spec/index.js';
import type { RepoDefaults } from '../../../constructs/spec/defaults.js';

/** A valid intent whose `signals:` is `signals` (YAML lines, indented under spec). */
export function intent(signals: string): string {
  return `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: shop }
spec:
  service: { host: shop, port: 80 }
  stable: v1
  canary: v2
  stages:
    - { name: ten, weight: 10, bake: 1h }
    - { name: full, weight: 100 }
  stage: ten
  signals:
${signals}`;
}

/** The formatted problems of a parse (an intent's or a defaults file's); none when it parsed. */
export function problemsOf(result: { ok: true } | { ok: false; problems: readonly SourceProblem[] }): string[] {
  return result.ok ? [] : result.problems.map(formatProblem);
}

/** The formatted problems of `text` read as rollouts/shop.yaml. */
export function problems(text: string, opts: { readonly defaults?: RepoDefaults } = {}): string[] {
  return problemsOf(parseIntent('rollouts/shop.yaml', text, opts));
}
