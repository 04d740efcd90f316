/**
 * Intents in, manifests out, all in memory: parse every intent, build one cdk8s App + Chart per
 * rollout, check every object against its CRD schema, serialize with cdk8s's `Yaml.stringify`.
 * Nothing here touches the disk, so `synth` can write atomically and the bot can regenerate
 * files through the GitHub API. Under the repository's `alerts.layout: fleet` there is one more
 * output, the shared PrometheusRule (fleet-prometheus-rule.ts, docs/design.md §7).
 */
import { App, Chart, Yaml } from 'cdk8s';
import { clusterModel } from './clusters.js';
import { FLEET_FILE, FLEET_RULE_NAME, generatedFileName } from './conventions.js';
import { type KubeObject, schemaProblems } from './crd-schemas.js';
import { webhookErrors } from './istio/route-validation.js';
import { fleetObjects, type FleetPrometheusRuleProps } from './fleet-prometheus-rule.js';
import type { RolloutModel } from './model.js';
import { RolloutResources } from './rollout-resources.js';
import { IntentError, locateInIntent, parseIntent, type SourceProblem } from './spec/index.js';
import { alertsLayout, isDefaultsFile, parseDefaults, type RepoDefaults } from './spec/defaults.js';

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

/** The shared PrometheusRule of `alerts.layout: fleet` (generated/stagegate-fleet.k8s.yaml). */
export interface CompiledFleet extends SynthOutput {
  /** What it was built from: the fleet-layout rollouts, the defaults' namespace and labels. */
  readonly props: FleetPrometheusRuleProps;
  readonly objects: readonly KubeObject[];
}

/** Everything the intents compile to: the rollouts, and the fleet rule under the fleet layout. */
export interface Compiled {
  readonly rollouts: readonly CompiledRollout[];
  /** Present exactly when rollouts/_defaults.yaml says `alerts.layout: fleet`. */
  readonly fleet?: CompiledFleet;
}

/**
 * The rollouts of {@link compileRepository}: what every caller that reads the rollouts needs.
 * A caller that writes or compares the output directory takes {@link generatedOutputs} instead.
 */
export function compile(sources: readonly IntentSource[]): CompiledRollout[] {
  return [...compileRepository(sources).rollouts];
}

/** Every file of the output directory, sorted by name: the rollouts' and the fleet rule's. */
export function generatedOutputs(compiled: Compiled): SynthOutput[] {
  const all: SynthOutput[] = [...compiled.rollouts, ...(compiled.fleet ? [compiled.fleet] : [])];
  return all
    .map(({ source, file, content }) => ({ source, file, content }))
    .sort((a, b) => compareStrings(a.file, b.file));
}

/**
 * Compiles every intent; throws {@link IntentError} listing every problem of every file: first
 * each intent's own problems and name clashes (in path order), then, when every intent is valid,
 * the CRD schema problems of the generated objects. The result is sorted by file name and does
 * not depend on the order of `sources`.
 */
export function compileRepository(sources: readonly IntentSource[]): Compiled {
  // rollouts/_defaults.yaml is the repository's defaults, not an intent (spec/defaults.ts).
  const ordered = [...sources].filter((s) => !isDefaultsFile(s.path)).sort((a, b) => compareStrings(a.path, b.path));
  const problems: SourceProblem[] = [];
  let defaults: RepoDefaults | undefined;
  let defaultsPath = '';
  for (const source of sources.filter((s) => isDefaultsFile(s.path))) {
    const parsed = parseDefaults(source.path, source.text);
    if (parsed.ok) {
      defaults = parsed.defaults;
      defaultsPath = source.path;
    } else problems.push(...parsed.problems);
  }
  const fleet = alertsLayout(defaults) === 'fleet';
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
    if (fleet && file === FLEET_FILE) {
      const { line, column } = locateInIntent(source.text, ['metadata', 'name']);
      problems.push({
        file: source.path,
        line,
        column,
        path: 'metadata.name',
        message: `"${model.name}" would be written to ${file}, the shared PrometheusRule of alerts.layout: fleet (${defaultsPath}); choose another name`,
      });
      continue;
    }
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
  const shared = fleet ? fleetOutput(defaults!, defaultsPath, built, problems) : undefined;
  if (problems.length > 0) throw new IntentError(problems);
  return { rollouts: built.sort((a, b) => compareStrings(a.file, b.file)), ...(shared ? { fleet: shared } : {}) };
}

/**
 * The fleet rule over `built` (every rollout: spec/load.ts refuses waves across clusters under
 * the fleet layout), checked against the PrometheusRule CRD like the rollouts' objects; its
 * problems are the defaults file's.
 */
function fleetOutput(
  defaults: RepoDefaults,
  defaultsPath: string,
  built: readonly CompiledRollout[],
  problems: SourceProblem[],
): CompiledFleet {
  const props: FleetPrometheusRuleProps = {
    rollouts: built.map((b) => b.model),
    // parseDefaults refuses layout: fleet without a namespace.
    namespace: defaults.alerts!.namespace!,
    ...(defaults.alerts?.labels ? { labels: defaults.alerts.labels } : {}),
  };
  const objects = fleetObjects(props);
  for (const obj of objects)
    for (const message of schemaProblems(obj))
      problems.push(
        problemAt(
          defaultsPath,
          'spec.alerts',
          `generated PrometheusRule ${props.namespace}/${FLEET_RULE_NAME} fails its CRD schema: ${message}`,
        ),
      );
  return { source: defaultsPath, file: FLEET_FILE, content: Yaml.stringify(...objects), objects, props };
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
