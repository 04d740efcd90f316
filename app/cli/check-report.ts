/**
 * The static verdict shared by `check` and `verify`: pre-flight findings over each mesh's
 * rollouts, `generated/` against a fresh synth, and `istioctl analyze` (once per mesh) when it is
 * on PATH.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Compiled, type CompiledRollout, generatedOutputs, type SynthOutput } from '../../constructs/compile.js';
import { formatAnalyzerMessage, istioctlAnalyze, type IstioctlResult } from '../istioctl.js';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../constructs/crd-schemas.js';
import { ISTIO_SUPPORTED } from '../../constructs/istio/validation.js';
import { analyze, type Finding, webhookFindings } from '../preflight.js';
import type { Io } from './command.js';

export interface CheckReport {
  readonly ok: boolean;
  readonly rollouts: number;
  readonly findings: readonly Finding[];
  /** Files of the output directory that differ from a fresh synth (missing, changed, extra). */
  readonly stale: readonly string[];
  readonly istioctl: IstioctlResult;
}

/**
 * The pre-flight report of an already compiled repository against the files in `outDir`: every
 * file synth writes is compared, the fleet rule of `alerts.layout: fleet` too.
 */
export function checkCompiled(repository: Compiled, outDir: string, io: Pick<Io, 'env'>): CheckReport {
  const compiled = repository.rollouts;
  // Each object is judged for the oldest Istio its rollout targets (retryOn policies, header names).
  const minor = new Map<KubeObject, number>();
  for (const c of compiled)
    for (const o of c.objects) minor.set(o, c.model.istio?.versions?.min ?? ISTIO_SUPPORTED.oldestMinor);
  const seen = new Set<string>();
  const all = meshes(compiled);
  const findings = all
    .flatMap((mesh) =>
      analyze(
        mesh.rollouts.flatMap((c) => c.objects),
        { istioMinorOf: (o) => minor.get(o) ?? ISTIO_SUPPORTED.oldestMinor },
      ),
    )
    .filter((f) => {
      const key = JSON.stringify(f);
      return !seen.has(key) && Boolean(seen.add(key));
    });
  const stale = staleFiles(generatedOutputs(repository), outDir);
  // A generated file that differs from synth (edited by hand) is also judged as Istio would judge it.
  for (const file of stale) findings.push(...handEditedFindings(outDir, file));
  // istioctl too sees one mesh at a time: given every cluster's copies it would take a wave's one
  // host in eu-1 and us-1 for a conflict (README "Waves across clusters").
  const istioctl = oneResult(all.map((mesh) => ({ ...mesh, result: istioctlAnalyze(mesh.rollouts, io.env.PATH) })));
  const ok = !findings.some((f) => f.level === 'error') && stale.length === 0 && (!istioctl.ran || istioctl.ok);
  return { ok, rollouts: compiled.length, findings, stale, istioctl };
}

/**
 * The rollouts that share one mesh, judged together: a wave's copies (README "Waves across
 * clusters") each go to their own cluster, so one host in eu-1 and us-1 is no conflict. The
 * one-cluster intents are judged with every cluster (they may share its mesh); a finding of
 * theirs is reported once.
 */
interface Mesh {
  /** The cluster of a wave's copies in this mesh; undefined when no intent names clusters. */
  readonly cluster?: string;
  readonly rollouts: readonly CompiledRollout[];
}

function meshes(compiled: readonly CompiledRollout[]): Mesh[] {
  const clusters = [...new Set(compiled.flatMap((c) => (c.cluster ? [c.cluster.name] : [])))];
  if (clusters.length === 0) return [{ rollouts: compiled }];
  const single = compiled.filter((c) => !c.cluster);
  return clusters.map((name) => ({
    cluster: name,
    rollouts: [...single, ...compiled.filter((c) => c.cluster?.name === name)],
  }));
}

/**
 * One istioctl verdict from a run per mesh: ok when every run is; each message once (a
 * one-cluster intent is in every mesh), its line prefixed with the clusters that reported it.
 */
function oneResult(runs: readonly (Mesh & { readonly result: IstioctlResult })[]): IstioctlResult {
  const first = runs[0]!.result;
  if (runs.length === 1 || !first.ran) return first;
  const where = new Map<string, { message: (typeof first.messages)[number]; clusters: string[] }>();
  const failed: string[] = [];
  for (const { cluster, result } of runs) {
    if (!result.ran) return result;
    if (!result.ok && result.messages.length === 0) failed.push(`${cluster}: ${result.output}`);
    for (const message of result.messages) {
      const key = JSON.stringify(message);
      const seen = where.get(key) ?? { message, clusters: [] };
      seen.clusters.push(cluster ?? '');
      where.set(key, seen);
    }
  }
  const found = [...where.values()];
  return {
    ran: true,
    ok: runs.every((r) => r.result.ran && r.result.ok),
    messages: found.map((f) => f.message),
    notes: [...new Set(runs.flatMap((r) => (r.result.ran ? r.result.notes : [])))],
    output: [...failed, ...found.map((f) => `${f.clusters.join(', ')}: ${formatAnalyzerMessage(f.message)}`)].join(
      '\n',
    ),
  };
}

function staleFiles(compiled: readonly SynthOutput[], outDir: string): string[] {
  const expected = new Map(compiled.map((c) => [c.file, c.content]));
  // generated/<cluster>/*.yaml too (README "Waves across clusters"): a stale cluster folder is stale.
  const present = existsSync(outDir)
    ? readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'))
    : [];
  const stale = new Set<string>();
  for (const [file, content] of expected) {
    const path = join(outDir, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.add(file);
  }
  for (const file of present) if (!expected.has(file)) stale.add(file);
  return [...stale].sort();
}

/** Istio's webhook findings (SG0110) on the objects of `outDir/file` as they are on disk. */
function handEditedFindings(outDir: string, file: string): Finding[] {
  const path = join(outDir, file);
  if (!existsSync(path)) return [];
  const objects = parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is KubeObject => typeof o === 'object' && o !== null && 'kind' in o && 'metadata' in o);
  return webhookFindings(objects).map((f) => ({ ...f, object: `${f.object} (${file})` }));
}
