/**
 * The bot under `alerts.layout: fleet` (docs/design.md §7, "Fleet layout (opt-in)"): it regenerates
 * one rollout at a time, and a stage PR needs nothing more, because the fleet groups serve every
 * stage: the PR leaves generated/stagegate-fleet.k8s.yaml alone and its head is still what synth
 * (and so verify) would write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileRepository, generatedOutputs } from '../../../constructs/compile.js';
import { INTENT, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const DEFAULTS = `apiVersion: stagegate.dev/v1alpha1
kind: Defaults
spec:
  alerts: { layout: fleet, namespace: monitoring }
`;

async function fileAt(ref: string, path: string): Promise<string> {
  const res = await w!.person.rest.repos.getContent({ owner: OWNER, repo: REPO, path, ref });
  return Buffer.from((res.data as { content: string }).content, 'base64').toString('utf8');
}

describe('the bot with alerts.layout: fleet', () => {
  it('opens a stage PR that leaves the fleet file alone, and whose head synth would write as it is', async () => {
    const sources = [
      { path: 'rollouts/checkout.yaml', text: INTENT },
      { path: 'rollouts/_defaults.yaml', text: DEFAULTS },
    ];
    const seeded = generatedOutputs(compileRepository(sources));
    expect(seeded.map((o) => o.file)).toEqual(['checkout.k8s.yaml', 'stagegate-fleet.k8s.yaml']);
    w = await world({
      'rollouts/_defaults.yaml': DEFAULTS,
      ...Object.fromEntries(seeded.map((o) => [`generated/${o.file}`, o.content])),
    });
    const reports = await w.bot().pass();
    expect(reports.map((r) => `${r.path} ${r.action}`)).toEqual(['rollouts/checkout.yaml open']);
    const pr = (await w.pulls()).find((p) => p.state === 'open')!;
    const files = await w.person.rest.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: pr.number });
    const changed = files.data.map((f) => f.filename);
    expect(changed).toContain('generated/checkout.k8s.yaml');
    expect(changed).not.toContain('generated/stagegate-fleet.k8s.yaml');
    // verify on the head: every generated file is what a fresh compile of the head's intents gives.
    const head = pr.head.ref;
    const fresh = generatedOutputs(
      compileRepository([
        { path: 'rollouts/checkout.yaml', text: await fileAt(head, 'rollouts/checkout.yaml') },
        { path: 'rollouts/_defaults.yaml', text: await fileAt(head, 'rollouts/_defaults.yaml') },
      ]),
    );
    for (const o of fresh) expect(await fileAt(head, `generated/${o.file}`)).toBe(o.content);
    expect(await fileAt(head, 'rollouts/checkout.yaml')).not.toBe(INTENT);
  });
});
