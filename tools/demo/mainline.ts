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

/**
 * main of the emulated repository as a cluster's Argo CD reads it, shared by the one-cluster
 * Mainline and the two-cluster WaveMainline (tools/demo/waves/mainline.ts): each refresh re-reads
 * every intent when main's head moved and `load`s what the cluster runs of it.
 */
export abstract class MainlineOf<T> {
  private head = '';
  private readonly live = new Map<string, T>();

  /** `intents`: rollout name → intent path in the repository. */
  constructor(
    protected readonly emu: Emulator,
    protected readonly intents: ReadonlyMap<string, string>,
  ) {}

  get sha(): string {
    return this.head;
  }

  /** Re-reads main when its head moved; true when it did (rule files were rewritten). */
  refresh(): boolean {
    const head = mainHead(this.emu);
    if (head === this.head) return false;
    for (const [name, path] of this.intents)
      this.live.set(name, this.load(head, name, intentOnMain(this.emu, head, path)));
    this.head = head;
    return true;
  }

  get(name: string): T {
    const live = this.live.get(name);
    if (!live) throw new Error(`rollout ${name} is not on main (known: ${[...this.intents.keys()].join(', ')})`);
    return live;
  }

  /** The entry of rollout `name` whose intent on main's `head` is `intent`; rewrites its rule files. */
  protected abstract load(head: string, name: string, intent: IntentOnMain): T;

  protected peek(name: string): T | undefined {
    return this.live.get(name);
  }
}

export class Mainline extends MainlineOf<LiveRollout> {
  /** `intents`: rollout name → intent path in the repository. */
  constructor(
    emu: Emulator,
    intents: ReadonlyMap<string, string>,
    private readonly ruleDir: string,
  ) {
    super(emu, intents);
  }

  /** Rule file of each rollout (written by the first refresh, rewritten on every change). */
  ruleFiles(): string[] {
    return [...this.intents.keys()].map((name) => join(this.ruleDir, `${name}.rules.json`));
  }

  protected load(head: string, name: string, { path, model }: IntentOnMain): LiveRollout {
    const file = `generated/${generatedFileName(name)}`;
    const ruleFile = join(this.ruleDir, `${name}.rules.json`);
    const { manifest, routing, weights } = manifestOnMain(this.emu, head, file, ruleFile);
    return { path, model, manifest, routing, weights };
  }

  /** What the mesh does for `name` right now (the exporter asks on every scrape). */
  routing(name: string): LiveRollout['routing'] {
    return this.peek(name)?.routing ?? { canaryWeight: 0, cohortRoute: false };
  }
}

/*
 * What the one-cluster Mainline and the two-cluster WaveMainline (tools/demo/waves/mainline.ts)
 * share: reading main's head, an intent and a generated manifest on it (rewriting that
 * manifest's rule file), and the errors when one is missing or invalid.
 */

/** main's head commit of the emulated repository. */
export function mainHead(emu: Emulator): string {
  const head = emu.log('main')[0]?.sha;
  if (!head) throw new Error('the emulated repository has no main branch; was it seeded?');
  return head;
}

export interface IntentOnMain {
  readonly path: string;
  readonly text: string;
  readonly model: RolloutModel;
}

/** The intent at `path` on main's `head`, parsed; invalid is an error naming the problems. */
export function intentOnMain(emu: Emulator, head: string, path: string): IntentOnMain {
  const text = readOnMain(emu, head, path);
  const parsed = parseIntent(path, text);
  if (!parsed.ok)
    throw new Error(
      `main ${head.slice(0, 7)} carries an invalid ${path}: ${parsed.problems.map(formatProblem).join('; ')}`,
    );
  return { path, text, model: parsed.model };
}

/** The generated manifest `file` on main's `head`; writes its PrometheusRule unwrapped to `ruleFile`. */
export function manifestOnMain(
  emu: Emulator,
  head: string,
  file: string,
  ruleFile: string,
): { manifest: string; routing: ManifestRouting; weights: { stable: number; canary: number } } {
  const manifest = readOnMain(emu, head, file);
  const objects = parseAllDocuments(manifest).map((d) => d.toJS() as ManifestObject | null);
  const rule = objects.find((o) => o?.kind === 'PrometheusRule');
  if (!rule) throw new Error(`${file} on main has no PrometheusRule; regenerate it with stagegate synth`);
  writeFileSync(ruleFile, JSON.stringify(ruleFileOf(rule), null, 1));
  return { manifest, routing: routingFromManifest(manifest), weights: defaultRouteWeights(objects) };
}

function readOnMain(emu: Emulator, ref: string, path: string): string {
  const text = emu.readFile(ref, path);
  if (text === undefined) throw new Error(`${path} is missing on main ${ref.slice(0, 7)} of the emulated repository`);
  return text;
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
