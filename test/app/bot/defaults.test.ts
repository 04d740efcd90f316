import { afterEach, describe, expect, it } from 'vitest';
import { OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const DEFAULTS = `apiVersion: stagegate.dev/v1alpha1
kind: Defaults
spec:
  alerts: { labels: { release: kube-prometheus-stack } }
`;

async function fileAt(ref: string, path: string): Promise<string> {
  const res = await w!.person.rest.repos.getContent({ owner: OWNER, repo: REPO, path, ref });
  return Buffer.from((res.data as { content: string }).content, 'base64').toString('utf8');
}

describe('the bot with repository defaults (rollouts/_defaults.yaml)', () => {
  // Was: the bot compiled each intent alone, so its stage PR's generated/ lacked the defaults
  // and `verify` (which compiles with them) called it stale; and _defaults.yaml was taken for an intent.
  it('regenerates a stage PR with the defaults, as synth does, and does not treat the file as a rollout', async () => {
    w = await world({ 'rollouts/_defaults.yaml': DEFAULTS });
    const reports = await w.bot().pass();
    expect(reports.map((r) => `${r.path} ${r.action}`)).toEqual(['rollouts/checkout.yaml open']);
    const pr = (await w.pulls()).find((p) => p.state === 'open')!;
    const generated = await fileAt(pr.head.ref, 'generated/checkout.k8s.yaml');
    expect(generated).toContain('    release: kube-prometheus-stack\n');
  });

  it('reports an invalid defaults file for each rollout instead of regenerating without it', async () => {
    w = await world({ 'rollouts/_defaults.yaml': DEFAULTS.replace('kind: Defaults', 'kind: Rollout') });
    const reports = await w.bot().pass();
    expect(reports.map((r) => [r.path, r.action])).toEqual([['rollouts/checkout.yaml', 'error']]);
    expect(reports[0]!.summary).toContain('rollouts/_defaults.yaml:2:7: kind: must be Defaults');
    expect(await w.pulls()).toEqual([]);
  });
});
