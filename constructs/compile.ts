/**
 * Intents in, manifests out, all in memory: parse every intent, build one cdk8s App + Chart per
 * rollout, check every object against its CRD schema, serialize. Nothing here touches the disk,
 * so `synth` can write atomically and the bot can regenerate files through the GitHub API.
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

export interface CompiledRollout {
  readonly model: RolloutModel;
  /** Path of the intent it came from. */
  readonly source: string;
  /** File name relative to the output directory, e.g. "checkout.k8s.yaml". */
  readonly file: string;
  /** Multi-document YAML, byte-identical to what `cdk8s synth` writes for the same chart. */
  readonly content: string;
  /** The objects in `content`, in order. */
  readonly objects: readonly KubeObject[];
}

/**
 * Compiles every intent; throws {@link IntentError} listing every problem of every file.
 * The result is sorted by file name and does not depend on the order of `sources`.
 */
export function compile(sources: readonly IntentSource[]): CompiledRollout[] {
  const ordered = [...sources].sort((a, b) => compareStrings(a.path, b.path));
  const problems: SourceProblem[] = [];
  const parsed: { source: string; model: RolloutModel }[] = [];
  const owners = new Map<string, string>();
  for (const source of ordered) {
    const result = parseIntent(source.path, source.text);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const file = generatedFileName(result.model.name);
    const owner = owners.get(file);
    if (owner !== undefined) {
      problems.push(problemAt(source.path, 'metadata.name',
        `rollout "${result.model.name}" is also defined in ${owner}; both would be written to ${file} (names must be unique across namespaces)`));
      continue;
    }
    owners.set(file, source.path);
    parsed.push({ source: source.path, model: result.model });
  }
  if (problems.length > 0) throw new IntentError(problems);

  const compiled = parsed.map(({ source, model }) => synthOne(source, model, problems));
  if (problems.length > 0) throw new IntentError(problems);
  return compiled.sort((a, b) => compareStrings(a.file, b.file));
}

/** The objects of one rollout, through cdk8s, in an App of its own (see README: performance). */
export function rolloutObjects(model: RolloutModel): KubeObject[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, model.name);
  StagedRollout.fromModel(chart, model.name, model);
  return chart.toJson() as KubeObject[];
}

function synthOne(source: string, model: RolloutModel, problems: SourceProblem[]): CompiledRollout {
  const objects = rolloutObjects(model);
  for (const obj of objects) {
    for (const message of schemaProblems(obj)) {
      problems.push(problemAt(source, 'spec',
        `generated ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name} fails its CRD schema: ${message}`));
    }
  }
  return { model, source, file: generatedFileName(model.name), content: stringifyDocuments(objects), objects };
}

function problemAt(file: string, path: string, message: string): SourceProblem {
  return { file, line: 1, column: 1, path, message };
}

/** Code-unit order: the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
