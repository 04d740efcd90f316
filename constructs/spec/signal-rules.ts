/**
 * Cross-field rules of user-defined signals (README "User-defined signals"): unique names, at
 * least one limit, and a query template that parses with the official PromQL grammar and uses
 * `$version` (promql/signal-template.ts). Template problems carry their offset inside the query,
 * so load.ts points at the very character (file:line:column).
 */
import { templateProblems } from '../promql/signal-template.js';

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One problem, its path relative to `spec`, and for a template its offset inside the query string. */
export type AddSignalProblem = (path: (string | number)[], message: string, offset?: number) => void;

/** Values that fill the placeholders for the syntax check: the shape a real rollout gives them. */
const SAMPLE = { version: 'v1', service: 'svc', namespace: 'default', window: '5m', weight: '0.1' } as const;

export function signalRules(spec: Rec, add: AddSignalProblem): void {
  if (!Array.isArray(spec.signals)) return;
  const firstByName = new Map<string, number>();
  for (const [i, s] of spec.signals.entries()) {
    if (!isRecord(s)) continue;
    if (typeof s.name === 'string') {
      const first = firstByName.get(s.name);
      if (first !== undefined)
        add(
          ['signals', i, 'name'],
          `signal name "${s.name}" is already used by spec.signals[${first}]; names must be unique`,
        );
      else firstByName.set(s.name, i);
    }
    if (typeof s.template === 'string') {
      add(
        ['signals', i, 'template'],
        `unknown signal template "${s.template}"; define it under spec.signalTemplates in rollouts/_defaults.yaml`,
      );
      continue;
    }
    for (const field of ['query', 'bad'])
      if (s[field] === undefined) add(['signals', i], `is missing "${field}" (or name a template)`);
    if (s.limit === undefined && s.maxVsStable === undefined)
      add(['signals', i], 'needs limit, maxVsStable or both; with neither nothing can be judged');
    if (typeof s.query === 'string' && s.query.trim() !== '')
      for (const p of templateProblems(s.query, SAMPLE)) add(['signals', i, 'query'], p.message, p.offset);
  }
}
