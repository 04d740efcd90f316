import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../../constructs/spec/index.js';
import {
  ledgerFrom,
  mergeMessage,
  rollbackProposal,
  stageProposal,
  stageTitle,
  weightChart,
} from '../../../app/bot/content.js';
import { setAbort, setStage } from '../../../app/bot/edit-intent.js';
import { INTENT } from './harness.js';

const model = (() => {
  const r = parseIntent('rollouts/checkout.yaml', INTENT);
  if (!r.ok) throw new Error('fixture');
  return r.model;
})();
const stage = (name: string) => model.stages.find((s) => s.name === name)!;
const inputs = {
  model,
  path: 'rollouts/checkout.yaml',
  text: INTENT,
  changelog: '',
  ledger: [],
  liveSince: new Date('2026-03-02T09:00:00Z'),
  regenerate: (_p: string, text: string) => ({
    file: 'checkout.k8s.yaml',
    content: `gen ${/stage: (\S+)/.exec(text)![1]}\n`,
  }),
  repoUrl: 'https://github.com/acme/deploy',
  defaultBranch: 'main',
};

describe('intent editing', () => {
  it('changes only the spec.stage value, keeping comments and flow style byte for byte', () => {
    const out = setStage(INTENT, 'one-percent');
    expect(out).toBe(INTENT.replace('stage: internal   # the live stage', 'stage: one-percent   # the live stage'));
  });

  it('adds spec.abort after spec.stage with the reason quoted', () => {
    const out = setAbort(INTENT, { reason: 'errors: 4.1 % vs 0.2 %', at: '2026-03-02T10:00:00.000Z' });
    expect(out).toContain(
      '  stage: internal   # the live stage\n  abort:\n    reason: "errors: 4.1 % vs 0.2 %"\n    at: "2026-03-02T10:00:00.000Z"\n  timebox:',
    );
  });

  it('fills an empty abort key in place instead of adding a second one', () => {
    const text = INTENT.replace('  timebox:', '  abort:   # set by a rollback PR\n  timebox:');
    const out = setAbort(text, { reason: 'r', at: 't' });
    expect(out).toContain('  abort:   # set by a rollback PR\n    reason: "r"\n    at: "t"\n');
    expect(out.match(/abort:/g)).toHaveLength(1);
  });

  it('writes abort.clusters for a cluster rollback, and replaces it whole when the rollout rolls back', () => {
    const one = setAbort(INTENT, { reason: 'us-1 red', at: 't', clusters: ['us-1'] });
    expect(one).toContain('  abort:\n    reason: "us-1 red"\n    at: "t"\n    clusters: [us-1]\n  timebox:');
    const second = setAbort(one, { reason: 'ap-1 red', at: 'u', clusters: ['us-1', 'ap-1'] });
    expect(second).toContain('  abort:\n    reason: ap-1 red\n    at: u\n    clusters:\n      - us-1\n      - ap-1\n');
    // stagegate abort, or the last healthy cluster red: the whole rollout, no clusters left.
    const whole = setAbort(one, { reason: 'all red', at: 'v' });
    expect(whole).toContain('  abort:\n    reason: all red\n    at: v\n  timebox:');
    expect(whole).not.toContain('clusters');
  });

  it('rejects a file without spec.stage with a message saying what to fix', () => {
    expect(() => setStage('a: 1\n', 'x', 'rollouts/a.yaml')).toThrow(
      'rollouts/a.yaml has no spec.stage; it is not a rollout intent',
    );
  });
});

describe('stage PR content', () => {
  it('titles the PR with the target stage and its weight', () => {
    expect(stageTitle(model, stage('one-percent'))).toBe('stagegate: checkout → one-percent (1 %)');
    expect(stageTitle(model, stage('internal'))).toBe('stagegate: checkout → internal (cohort x-stagegate-cohort)');
  });

  it('puts the intent edit, the generated file and the changelog entry into one commit with the stage trailer', () => {
    const p = stageProposal(inputs, stage('one-percent'));
    expect(p.changes.map((c) => c.path)).toEqual([
      'rollouts/checkout.yaml',
      'generated/checkout.k8s.yaml',
      'rollouts/changelog/shop-checkout.md',
    ]);
    expect(p.changes[1]!.content).toBe('gen one-percent\n');
    expect(p.changes[2]!.content).toContain('# shop/checkout changelog');
    expect(p.changes[2]!.content).toContain('## internal → one-percent');
    expect(p.commitMessage).toMatch(/\n\nStagegate-Stage: shop\/checkout\/one-percent\n$/);
    expect(p.body).toContain('```mermaid\nxychart-beta');
    expect(p.body).toContain('### Ledger');
    expect(p.body).toContain('Timebox: stage 24h, rollout 168h');
    expect(p.body).toContain('- intent: https://github.com/acme/deploy/blob/main/rollouts/checkout.yaml');
  });

  it('charts the weight of every stage and marks the target', () => {
    expect(weightChart(model, stage('one-percent'))).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "checkout: canary weight by stage"',
        '  x-axis ["internal", "one-percent ◀", "full"]',
        '  y-axis "canary %" 0 --> 100',
        '  bar [0, 1, 100]',
        '```',
      ].join('\n'),
    );
  });

  it('reads the ledger back from merge commits and carries its evidence into the next entry', () => {
    const msg = mergeMessage(model, 'one-percent', 1, {
      stage: 'internal',
      liveSince: 't0',
      bake: '30m',
      health: 'stagegate/health success (run 2)',
      checks: ['stagegate/health', 'stagegate/verify'],
    });
    const ledger = ledgerFrom(
      [{ sha: 'abcdef1234', message: `${msg.title}\n\n${msg.message}`, date: '2026-03-02T09:31:00Z' }],
      model,
    );
    expect(ledger).toEqual([
      {
        stage: 'one-percent',
        sha: 'abcdef1234',
        date: '2026-03-02T09:31:00Z',
        evidence: [
          'internal baked 30m since t0',
          'stagegate/health success (run 2)',
          'green: stagegate/health, stagegate/verify',
        ],
      },
    ]);
    const next = stageProposal(
      { ...inputs, text: setStage(INTENT, 'one-percent'), model: { ...model, stage: 'one-percent' }, ledger },
      stage('full'),
    );
    expect(next.changes[2]!.content).toContain('- evidence for one-percent: internal baked 30m since t0');
  });

  it('writes a rollback that sets spec.abort and says why', () => {
    const p = rollbackProposal(inputs, { reason: 'health red', at: '2026-03-02T10:00:00Z' }, [
      'stagegate/health failure (run 9)',
    ]);
    expect(p.title).toBe('stagegate: roll back checkout (100 % v1)');
    expect(p.changes[0]!.content).toContain('abort:\n    reason: "health red"');
    expect(p.changes[2]!.content).toContain(
      '## rollback at internal\n\n- health red\n- evidence: stagegate/health failure (run 9)',
    );
  });
});

describe('when the rollout began', () => {
  it("is the commit just before this rollout's oldest stage commit, ignoring an earlier rollout", async () => {
    const { rolloutStart } = await import('../../../app/bot/observe.js');
    const c = (sha: string, message: string, date: string) => ({ sha, message, date });
    const commits = [
      c('e', 'comment tweak', '2026-03-05T00:00:00Z'),
      c('d', 'x\n\nStagegate-Stage: shop/checkout/one-percent', '2026-03-04T00:00:00Z'),
      c('c', 'bump canary to v3', '2026-03-03T00:00:00Z'),
      c('b', 'x\n\nStagegate-Stage: shop/checkout/full', '2026-03-02T00:00:00Z'),
      c('a', 'old rollout start', '2026-03-01T00:00:00Z'),
    ];
    const live = { ...model, stage: 'one-percent' };
    expect(rolloutStart(commits, live, new Date('2026-03-04T00:00:00Z')).toISOString()).toBe(
      '2026-03-03T00:00:00.000Z',
    );
    expect(rolloutStart(commits.slice(2), model, new Date('2026-03-03T00:00:00Z')).toISOString()).toBe(
      '2026-03-03T00:00:00.000Z',
    );
  });
});
