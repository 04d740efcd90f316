/**
 * The static verdict shared by `check` and `verify`: pre-flight findings over all rollouts
 * together, `generated/` against a fresh synth, and `istioctl analyze` when it is on PATH.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledRollout } from '../../constructs/compile.js';
import { istioctlAnalyze, type IstioctlResult } from '../istioctl.js';
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

/** The pre-flight report of an already compiled set of rollouts against the files in `outDir`. */
export function checkCompiled(compiled: readonly CompiledRollout[], outDir: string, io: Pick<Io, 'env'>): CheckReport {
  // Each object is judged for the oldest Istio its rollout targets (retryOn policies, header names).
  const minor = new Map<KubeObject, number>();
  for (const c of compiled)
    for (const o of c.objects) minor.set(o, c.model.istio?.versions?.min ?? ISTIO_SUPPORTED.oldestMinor);
  const seen = new Set<string>();
  const findings = meshes(compiled)
    .flatMap((mesh) =>
      analyze(
        mesh.flatMap((c) => c.objects),
        { istioMinorOf: (o) => minor.get(o) ?? ISTIO_SUPPORTED.oldestMinor },
      ),
    )
    .filter((f) => {
      const key = JSON.stringify(f);
      return !seen.has(key) && Boolean(seen.add(key));
    });
  const stale = staleFiles(compiled, outDir);
  // A generated file that differs from synth (edited by hand) is also judged as Istio would judge it.
  for (const file of stale) findings.push(...handEditedFindings(outDir, file));
  const istioctl = istioctlAnalyze(compiled, io.env.PATH);
  const ok = !findings.some((f) => f.level === 'error') && stale.length === 0 && (!istioctl.ran || istioctl.ok);
  return { ok, rollouts: compiled.length, findings, stale, istioctl };
}

/**
 * The rollouts that share one mesh, judged together: a wave's copies (README "Waves across
 * clusters") each go to their own cluster, so one host in eu-1 and us-1 is no conflict. The
 * one-cluster intents are judged with every cluster (they may share its mesh); a finding of
 * theirs is reported once.
 */
function meshes(compiled: readonly CompiledRollout[]): (readonly CompiledRollout[])[] {
  const clusters = [...new Set(compiled.flatMap((c) => (c.cluster ? [c.cluster.name] : [])))];
  if (clusters.length === 0) return [compiled];
  const single = compiled.filter((c) => !c.cluster);
  return clusters.map((name) => [...single, ...compiled.filter((c) => c.cluster?.name === name)]);
}

function staleFiles(compiled: readonly CompiledRollout[], outDir: string): string[] {
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
