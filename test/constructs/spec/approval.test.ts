/** A stage's `approval` (README "People in the loop"): its forms, its model, and every refusal with its position. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseIntent } from '../../../constructs/spec/index.js';

const intent = (approval: string, on = 'half') => `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { host: checkout, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - name: one
      weight: 10
      bake: 1h${on === 'one' ? `\n      approval: ${approval}` : ''}
    - name: half
      weight: 50
      bake: 1h${on === 'half' ? `\n      approval: ${approval}` : ''}
    - { name: full, weight: 100 }
  stage: one
`;

function problems(text: string): string[] {
  const result = parseIntent('rollouts/checkout.yaml', text);
  return result.ok ? [] : result.problems.map(formatProblem);
}
function approvalOf(text: string) {
  const result = parseIntent('rollouts/checkout.yaml', text);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.model.stages.map((s) => s.approval);
}

describe('stages[].approval', () => {
  it('resolves codeowners, the mapping forms and the default count of 1', () => {
    expect(approvalOf(intent('codeowners'))).toEqual([undefined, { from: 'codeowners', count: 1 }, undefined]);
    expect(approvalOf(intent('{ codeowners: true, count: 2 }'))[1]).toEqual({ from: 'codeowners', count: 2 });
    expect(approvalOf(intent('{ teams: [acme/sre, acme/payments_oncall] }'))[1]).toEqual({
      from: 'teams',
      teams: ['acme/sre', 'acme/payments_oncall'],
      count: 1,
    });
  });

  it('refuses a wrong word, a wrong type, a bad team and a count below 1 at their positions', () => {
    expect(problems(intent('owners'))).toEqual([
      'rollouts/checkout.yaml:15:17: spec.stages[1].approval: must be codeowners, or a mapping such as { codeowners: true, count: 2 } or { teams: [org/team] } (got "owners")',
    ]);
    expect(problems(intent('3'))).toEqual([
      'rollouts/checkout.yaml:15:17: spec.stages[1].approval: must be a string or a mapping (got 3)',
    ]);
    expect(problems(intent('{ teams: ["@acme/sre", sre] }'))).toEqual([
      'rollouts/checkout.yaml:15:27: spec.stages[1].approval.teams[0]: must be org/team-slug without the "@" CODEOWNERS puts in front (got "@acme/sre"; write "acme/sre")',
      'rollouts/checkout.yaml:15:40: spec.stages[1].approval.teams[1]: must be a team as org/team-slug, such as "acme/payments-oncall" (got "sre")',
    ]);
    expect(problems(intent('{ teams: [], count: 0 }'))).toEqual([
      'rollouts/checkout.yaml:15:26: spec.stages[1].approval.teams: must not be empty',
      'rollouts/checkout.yaml:15:37: spec.stages[1].approval.count: must be between 1 and 100 (got 0)',
    ]);
    expect(problems(intent('{ codeowners: false }'))).toEqual([
      'rollouts/checkout.yaml:15:31: spec.stages[1].approval.codeowners: must be true (got false)',
    ]);
  });

  it('refuses a typo, both sources, no source, a team twice and an approval on the first stage', () => {
    expect(problems(intent('{ team: [acme/sre] }'))).toEqual([
      'rollouts/checkout.yaml:15:17: spec.stages[1].approval: must name who approves: codeowners: true or teams: [org/team, …]',
      'rollouts/checkout.yaml:15:19: spec.stages[1].approval.team: unknown field "team" (did you mean "teams"?)',
    ]);
    expect(problems(intent('{ codeowners: true, teams: [acme/sre] }'))).toEqual([
      'rollouts/checkout.yaml:15:17: spec.stages[1].approval: names both codeowners and teams; choose one (two stages can ask for one each)',
    ]);
    expect(problems(intent('{ count: 2 }'))).toEqual([
      'rollouts/checkout.yaml:15:17: spec.stages[1].approval: must name who approves: codeowners: true or teams: [org/team, …]',
    ]);
    expect(problems(intent('{ teams: [acme/sre, ACME/sre] }'))).toEqual([
      'rollouts/checkout.yaml:15:37: spec.stages[1].approval.teams[1]: team "ACME/sre" is listed twice',
    ]);
    expect(problems(intent('codeowners', 'one'))).toEqual([
      'rollouts/checkout.yaml:12:17: spec.stages[0].approval: the first stage goes live with the intent itself, not through a stage PR; ask for the approval on a later stage',
    ]);
  });
});
