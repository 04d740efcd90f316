/**
 * What each demo cluster runs in the two-cluster demo (README "The two-cluster demo"): main's
 * head of the emulated repository read the way one Argo CD Application per cluster would — the
 * ApplicationSet of docs/examples/applicationset.yaml maps cluster → generated/<cluster>/. Each
 * refresh re-reads main when it moved and rewrites each cluster's rule files (its PrometheusRule
 * unwrapped), so the caller reloads that cluster's Prometheus; the exporters read `routing()` live.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { generatedFileName } from '../../../constructs/conventions.js';
import type { RolloutModel } from '../../../constructs/model.js';
import { formatProblem, parseIntent } from '../../../constructs/spec/index.js';
import type { Emulator } from '../../emulator/index.js';
import { ruleFileOf } from '../../promtool.js';
import { type ManifestObject, routingFromManifest } from '../exporter.js';
import { defaultRouteWeights } from '../mainline.js';

export interface ClusterView {
  readonly file: string;
  readonly routing: ReturnType<typeof routingFromManifest>;
  readonly weights: { readonly stable: number; readonly canary: number };
}

export interface LiveWave {
  readonly path: string;
  readonly text: string;
  readonly model: RolloutModel;
  readonly clusters: ReadonlyMap<string, ClusterView>;
}

export class WaveMainline {
  private head = '';
  private readonly live = new Map<string, LiveWave>();

  /** `intents`: rollout name → intent path; `clusters`: the demo's clusters, each with its rule directory. */
  constructor(
    private readonly emu: Emulator,
    private readonly intents: ReadonlyMap<string, string>,
    readonly clusters: readonly string[],
    private readonly ruleDir: string,
  ) {
    for (const c of clusters) mkdirSync(join(ruleDir, c), { recursive: true });
  }

  /** The rule files one cluster's Prometheus loads (written by the first refresh, rewritten on each change). */
  ruleFiles(cluster: string): string[] {
    return [...this.intents.keys()].map((name) => join(this.ruleDir, cluster, `${name}.rules.json`));
  }

  get sha(): string {
    return this.head;
  }

  /** Re-reads main when its head moved; true when it did (rule files were rewritten). */
  refresh(): boolean {
    const head = this.emu.log('main')[0]?.sha;
    if (!head) throw new Error('the emulated repository has no main branch; was it seeded?');
    if (head === this.head) return false;
    for (const [name, path] of this.intents) {
      const text = this.read(head, path);
      const parsed = parseIntent(path, text);
      if (!parsed.ok)
        throw new Error(
          `main ${head.slice(0, 7)} carries an invalid ${path}: ${parsed.problems.map(formatProblem).join('; ')}`,
        );
      const views = new Map<string, ClusterView>();
      for (const cluster of this.clusters) {
        const file = `generated/${cluster}/${generatedFileName(name)}`;
        const manifest = this.read(head, file);
        const objects = parseAllDocuments(manifest).map((d) => d.toJS() as ManifestObject | null);
        const rule = objects.find((o) => o?.kind === 'PrometheusRule');
        if (!rule) throw new Error(`${file} on main has no PrometheusRule; regenerate it with stagegate synth`);
        writeFileSync(join(this.ruleDir, cluster, `${name}.rules.json`), JSON.stringify(ruleFileOf(rule), null, 1));
        views.set(cluster, { file, routing: routingFromManifest(manifest), weights: defaultRouteWeights(objects) });
      }
      this.live.set(name, { path, text, model: parsed.model, clusters: views });
    }
    this.head = head;
    return true;
  }

  get(name: string): LiveWave {
    const live = this.live.get(name);
    if (!live) throw new Error(`rollout ${name} is not on main (known: ${[...this.intents.keys()].join(', ')})`);
    return live;
  }

  /** What the mesh of `cluster` does for `name` right now (that cluster's exporter asks on every scrape). */
  routing(cluster: string, name: string): ClusterView['routing'] {
    return this.live.get(name)?.clusters.get(cluster)?.routing ?? { canaryWeight: 0, cohortRoute: false };
  }

  private read(ref: string, path: string): string {
    const text = this.emu.readFile(ref, path);
    if (text === undefined) throw new Error(`${path} is missing on main ${ref.slice(0, 7)} of the emulated repository`);
    return text;
  }
}
