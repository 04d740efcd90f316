/**
 * Intents in, manifests out, all in memory: parse every intent, build one cdk8s App + Chart per
 * rollout, check every object against its CRD schema, serialize with cdk8s's `Yaml.stringify`.
 * Nothing here touches the disk, so `synth` can write atomically and the bot can regenerate
 * files through the GitHub API.
 */
import { App, Chart, Yaml } from 'cdk8s';
import { clusterModel } from './clusters.js';
import { generatedFileName } from './conventions.js';
import { type KubeObject, schemaProblems } from './crd-schemas.js';
import { webhookErrors } from './istio/route-validation.js';
import type { RolloutModel } from './model.js';
import { RolloutResources } from './rollout-resources.js';
import { IntentError, parseIntent, type SourceProblem } from './spec/index.js';
import { isDefaultsFile, parseDefaults, type RepoDefaults } from './spec/defaults.js';

export interface IntentSource {
  /** Display path, e.g. "rollouts/checkout.yaml"; used in every message about this intent. */
  readonly path: string;
  readonly text: string;
}

/** The part of a compiled rollout that is written to disk. */
export interface SynthOutput {
  /** Path of the intent it came from. */
  readonly source: string;
  /** File name relative to the output directory, e.g. "checkout.k8s.yaml". */
  readonly file: string;
  /** Multi-document YAML, byte-identical to what `cdk8s synth` writes for the same chart. */
  readonly content: string;
}

export interface CompiledRollout extends SynthOutput {
  /** The model the objects were built from: for a wave across clusters, the cluster's (clusters.ts). */
  readonly model: RolloutModel;
  /** For an intent with spec.clusters: this output's cluster, and the model of the whole wave. */
  readonly cluster?: { readonly name: string; readonly wave: RolloutModel };
  /** The objects in `content`, in order. */
  readonly objects: readonly KubeObject[];
}

/**
 * Compiles every intent; throws {@link IntentError} listing every problem of every file: first
 * each intent's own problems and name clashes (in path order), then, when every intent is valid,
 * the CRD schema problems of the generated objects. The result is sorted by file name and does
 * not depend on the order of `sources`.
 */
export function compile(sources: readonly IntentSource[]): CompiledRollout[] {
  // rollouts/_defaults.yaml is the repository's defaults, not an intent (spec/defaults.ts).
  const ordered = [...sources].filter((s) => !isDefaultsFile(s.path)).sort((a, b) => compareStrings(a.path, b.path));
  const problems: SourceProblem[] = [];
  let defaults: RepoDefaults | undefined;
  for (const source of sources.filter((s) => isDefaultsFile(s.path))) {
    const parsed = parseDefaults(source.path, source.text);
    if (parsed.ok) defaults = parsed.defaults;
    else problems.push(...parsed.problems);
  }
  const owners = new Map<string, string>();
  const valid: { source: IntentSource; model: RolloutModel; file: string }[] = [];
  for (const source of ordered) {
    const result = parseIntent(source.path, source.text, { defaults });
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const { model } = result;
    const file = generatedFileName(model.name);
    const owner = owners.get(file);
    if (owner !== undefined) {
      problems.push(
        problemAt(
          source.path,
          'metadata.name',
          `rollout "${model.name}" is also defined in ${owner}; both would be written to ${file} (names must be unique across namespaces)`,
        ),
      );
      continue;
    }
    owners.set(file, source.path);
    valid.push({ source, model, file });
  }
  if (problems.length > 0) throw new IntentError(problems);

  const built: CompiledRollout[] = [];
  for (const { source, model, file, cluster } of valid.flatMap(perCluster)) {
    const objects = rolloutObjects(model);
    for (const obj of objects) {
      for (const message of schemaProblems(obj)) {
        const where = `${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
        problems.push(problemAt(source.path, 'spec', `generated ${where} fails its CRD schema: ${message}`));
      }
      // The intent rules (spec/istio-rules.ts) should have caught these; this is the last guard.
      for (const message of webhookErrors(obj, model.istio?.versions?.min)) {
        const where = `${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
        problems.push(problemAt(source.path, 'spec', `generated ${where} would be refused by Istio: ${message}`));
      }
    }
    const content = Yaml.stringify(...objects);
    built.push({ model, source: source.path, file, content, objects, ...(cluster ? { cluster } : {}) });
  }
  if (problems.length > 0) throw new IntentError(problems);
  return built.sort((a, b) => compareStrings(a.file, b.file));
}

/**
 * One output per cluster for a wave across clusters, `<cluster>/<name>.k8s.yaml` (README "Waves
 * across clusters"), in spec.clusters' order; one-cluster intents are passed through unchanged.
 */
function perCluster<T extends { model: RolloutModel; file: string }>(
  item: T,
): (T & { cluster?: { name: string; wave: RolloutModel } })[] {
  const wave = item.model;
  if (!wave.clusters) return [item];
  return wave.clusters.map((name) => ({
    ...item,
    model: clusterModel(wave, name),
    file: `${name}/${item.file}`,
    cluster: { name, wave },
  }));
}

/**
 * The objects of one rollout, through cdk8s, in an App of its own: `Chart.toJson()` resolves the
 * whole App each time, so N charts in one App cost O(N²) (docs/design.md §5).
 */
export function rolloutObjects(model: RolloutModel): KubeObject[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, model.name);
  new RolloutResources(chart, model.name, { rollout: model });
  return chart.toJson() as KubeObject[];
}

function problemAt(file: string, path: string, message: string): SourceProblem {
  return { file, line: 1, column: 1, path, message };
}

/** Code-unit order: the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
