/**
 * Intents in, manifests out, all in memory: parse every intent, build one cdk8s App + Chart per
 * rollout, check every object against its CRD schema, serialize. Nothing here touches the disk,
 * so `synth` can write atomically and the bot can regenerate files through the GitHub API.
 *
 * Each intent compiles on its own ({@link compileIntent}); only the name clash check and the
 * order of the result span files ({@link assemble}). That split lets `stagegate synth` compile
 * large inputs on several threads and still produce exactly what {@link compile} produces.
 */
import { App, Chart } from 'cdk8s';
import { generatedFileName } from './conventions.js';
import { schemaProblems, type KubeObject } from './crd-schemas.js';
import type { RolloutModel } from './model.js';
import { IntentError, parseIntent, type SourceProblem } from './spec/index.js';
import { StagedRollout } from './staged-rollout.js';
import { stringifyDocuments } from './yaml-emit.js';

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
  readonly model: RolloutModel;
  /** The objects in `content`, in order. */
  readonly objects: readonly KubeObject[];
}

/**
 * What one intent compiles to, before any check across files. `invalid`: the intent's own
 * problems. `built`: its output, plus CRD schema problems of the generated objects. `crashed`:
 * building threw; rethrown only when every intent was valid (as a two-pass compile would).
 */
export type IntentOutcome<T extends SynthOutput = CompiledRollout> =
  | { readonly kind: 'invalid'; readonly problems: readonly SourceProblem[] }
  | { readonly kind: 'built'; readonly name: string; readonly rollout: T; readonly problems: readonly SourceProblem[] }
  | { readonly kind: 'crashed'; readonly name: string; readonly error: unknown };

/**
 * Compiles every intent; throws {@link IntentError} listing every problem of every file.
 * The result is sorted by file name and does not depend on the order of `sources`.
 */
export function compile(sources: readonly IntentSource[]): CompiledRollout[] {
  const ordered = orderSources(sources);
  return assemble(ordered, ordered.map(compileIntent));
}

/** Sources in the order every compile works in (code-unit order of path). */
export function orderSources(sources: readonly IntentSource[]): IntentSource[] {
  return [...sources].sort((a, b) => compareStrings(a.path, b.path));
}

/** One intent, alone: parse, build, check against the CRD schemas, print. */
export function compileIntent(source: IntentSource): IntentOutcome {
  const result = parseIntent(source.path, source.text);
  if (!result.ok) return { kind: 'invalid', problems: result.problems };
  const { model } = result;
  try {
    const objects = rolloutObjects(model);
    const problems: SourceProblem[] = [];
    for (const obj of objects) {
      for (const message of schemaProblems(obj)) {
        problems.push(
          problemAt(
            source.path,
            'spec',
            `generated ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name} fails its CRD schema: ${message}`,
          ),
        );
      }
    }
    const rollout = {
      model,
      source: source.path,
      file: generatedFileName(model.name),
      content: stringifyDocuments(objects),
      objects,
    };
    return { kind: 'built', name: model.name, rollout, problems };
  } catch (error) {
    return { kind: 'crashed', name: model.name, error };
  }
}

/**
 * The checks across files, over `outcomes[i]` of `ordered[i]`: first every intent's own
 * problems and name clashes (in path order), then the schema problems of generated objects.
 * Returns the rollouts sorted by file name.
 */
export function assemble<T extends SynthOutput>(
  ordered: readonly IntentSource[],
  outcomes: readonly IntentOutcome<T>[],
): T[] {
  const problems: SourceProblem[] = [];
  const owners = new Map<string, string>();
  ordered.forEach((source, i) => {
    const outcome = outcomes[i]!;
    if (outcome.kind === 'invalid') {
      problems.push(...outcome.problems);
      return;
    }
    const file = generatedFileName(outcome.name);
    const owner = owners.get(file);
    if (owner !== undefined) {
      problems.push(
        problemAt(
          source.path,
          'metadata.name',
          `rollout "${outcome.name}" is also defined in ${owner}; both would be written to ${file} (names must be unique across namespaces)`,
        ),
      );
      return;
    }
    owners.set(file, source.path);
  });
  if (problems.length > 0) throw new IntentError(problems);

  const built: T[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'crashed') throw outcome.error;
    if (outcome.kind === 'built') {
      problems.push(...outcome.problems);
      built.push(outcome.rollout);
    }
  }
  if (problems.length > 0) throw new IntentError(problems);
  return built.sort((a, b) => compareStrings(a.file, b.file));
}

/** The objects of one rollout, through cdk8s, in an App of its own (see README: performance). */
export function rolloutObjects(model: RolloutModel): KubeObject[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, model.name);
  StagedRollout.fromModel(chart, model.name, model);
  return chart.toJson() as KubeObject[];
}

function problemAt(file: string, path: string, message: string): SourceProblem {
  return { file, line: 1, column: 1, path, message };
}

/** Code-unit order: the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
