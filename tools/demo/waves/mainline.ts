/**
 * What each demo cluster runs in the two-cluster demo (README "The two-cluster demo"): main's
 * head of the emulated repository read the way one Argo CD Application per cluster would — the
 * ApplicationSet of docs/examples/applicationset.yaml maps cluster → generated/<cluster>/. Each
 * refresh re-reads main when it moved and rewrites each cluster's rule files (its PrometheusRule
 * unwrapped), so the caller reloads that cluster's Prometheus; the exporters read `routing()` live.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFileName } from '../../../constructs/conventions.js';
import type { RolloutModel } from '../../../constructs/model.js';
import type { Emulator } from '../../emulator/index.js';
import type { ManifestRouting } from '../manifest.js';
import { type IntentOnMain, MainlineOf, manifestOnMain } from '../mainline.js';

export interface ClusterView {
  readonly file: string;
  readonly routing: ManifestRouting;
  readonly weights: { readonly stable: number; readonly canary: number };
}

export interface LiveWave {
  readonly path: string;
  readonly text: string;
  readonly model: RolloutModel;
  readonly clusters: ReadonlyMap<string, ClusterView>;
}

export class WaveMainline extends MainlineOf<LiveWave> {
  /** `intents`: rollout name → intent path; `clusters`: the demo's clusters, each with its rule directory. */
  constructor(
    emu: Emulator,
    intents: ReadonlyMap<string, string>,
    readonly clusters: readonly string[],
    private readonly ruleDir: string,
  ) {
    super(emu, intents);
    for (const c of clusters) mkdirSync(join(ruleDir, c), { recursive: true });
  }

  /** The rule files one cluster's Prometheus loads (written by the first refresh, rewritten on each change). */
  ruleFiles(cluster: string): string[] {
    return [...this.intents.keys()].map((name) => join(this.ruleDir, cluster, `${name}.rules.json`));
  }

  protected load(head: string, name: string, { path, text, model }: IntentOnMain): LiveWave {
    const views = new Map<string, ClusterView>();
    for (const cluster of this.clusters) {
      const file = `generated/${cluster}/${generatedFileName(name)}`;
      const ruleFile = join(this.ruleDir, cluster, `${name}.rules.json`);
      const { routing, weights } = manifestOnMain(this.emu, head, file, ruleFile);
      views.set(cluster, { file, routing, weights });
    }
    return { path, text, model, clusters: views };
  }

  /** What the mesh of `cluster` does for `name` right now (that cluster's exporter asks on every scrape). */
  routing(cluster: string, name: string): ClusterView['routing'] {
    return this.peek(name)?.clusters.get(cluster)?.routing ?? { canaryWeight: 0, cohortRoute: false };
  }
}
