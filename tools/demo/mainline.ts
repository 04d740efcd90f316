/**
 * What the demo "cluster" runs: the default branch of the emulated repository, read the way
 * Argo CD would — intents and generated manifests at main's head. Each refresh re-reads them
 * when main moved, rewrites the Prometheus rule files (the PrometheusRule unwrapped) and tells
 * the caller, so it can reload Prometheus; the exporter's routing reads `routing()` live.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { generatedFileName, SUBSET_CANARY, SUBSET_STABLE } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { formatProblem, parseIntent } from '../../constructs/spec/index.js';
import { ROUTE_DEFAULT } from '../../constructs/virtual-service.js';
import type { Emulator } from '../emulator/index.js';
import { ruleFileOf } from '../promtool.js';
import { type ManifestObject, type ManifestRouting, routingFromManifest } from './manifest.js';

export interface LiveRollout {
  readonly path: string;
  readonly model: RolloutModel;
  readonly manifest: string;
  readonly routing: ManifestRouting;
  /** Weights of the default route as written in the VirtualService. */
  readonly weights: { readonly stable: number; readonly canary: number };
}

export class Mainline {
  private head = '';
  private readonly live = new Map<string, LiveRollout>();

  /** `intents`: rollout name → intent path in the repository. */
  constructor(
    private readonly emu: Emulator,
    private readonly intents: ReadonlyMap<string, string>,
    private readonly ruleDir: string,
  ) {}

  /** Rule file of each rollout (written by the first refresh, rewritten on every change). */
  ruleFiles(): string[] {
    return [...this.intents.keys()].map((name) => join(this.ruleDir, `${name}.rules.json`));
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
      const file = `generated/${generatedFileName(name)}`;
      const manifest = this.read(head, file);
      const objects = parseAllDocuments(manifest).map((d) => d.toJS() as ManifestObject | null);
      const rule = objects.find((o) => o?.kind === 'PrometheusRule');
      if (!rule) throw new Error(`${file} on main has no PrometheusRule; regenerate it with stagegate synth`);
      writeFileSync(join(this.ruleDir, `${name}.rules.json`), JSON.stringify(ruleFileOf(rule), null, 1));
      this.live.set(name, {
        path,
        model: parsed.model,
        manifest,
        routing: routingFromManifest(manifest),
        weights: defaultRouteWeights(objects),
      });
    }
    this.head = head;
    return true;
  }

  get(name: string): LiveRollout {
    const live = this.live.get(name);
    if (!live) throw new Error(`rollout ${name} is not on main (known: ${[...this.intents.keys()].join(', ')})`);
    return live;
  }

  /** What the mesh does for `name` right now (the exporter asks on every scrape). */
  routing(name: string): LiveRollout['routing'] {
    return this.live.get(name)?.routing ?? { canaryWeight: 0, cohortRoute: false };
  }

  private read(ref: string, path: string): string {
    const text = this.emu.readFile(ref, path);
    if (text === undefined) throw new Error(`${path} is missing on main ${ref.slice(0, 7)} of the emulated repository`);
    return text;
  }
}

/** Stable and canary weights of the VirtualService's default route. */
export function defaultRouteWeights(objects: ReadonlyArray<ManifestObject | null>): {
  stable: number;
  canary: number;
} {
  const vs = objects.find((o) => o?.kind === 'VirtualService');
  const route = (vs?.spec?.http ?? []).find((r) => r?.name === ROUTE_DEFAULT);
  const weight = (subset: string) => (route?.route ?? []).find((d) => d.destination?.subset === subset)?.weight ?? 0;
  return { stable: weight(SUBSET_STABLE), canary: weight(SUBSET_CANARY) };
}
