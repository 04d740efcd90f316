/**
 * `istioctl analyze` on generated objects, when istioctl is on PATH. It cannot be installed on
 * every machine (no npm or Debian package), so its absence is reported, not failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type IstioctlResult =
  | { readonly ran: false; readonly reason: string }
  | { readonly ran: true; readonly ok: boolean; readonly output: string };

export function findOnPath(command: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    const probe = spawnSync(candidate, ['version', '--remote=false'], { stdio: 'ignore', timeout: 10_000 });
    if (!probe.error) return candidate;
  }
  return undefined;
}

/** Runs `istioctl analyze --use-kube=false` on `manifests` (multi-document YAML texts). */
export function istioctlAnalyze(manifests: readonly string[], pathEnv: string | undefined): IstioctlResult {
  const istioctl = findOnPath('istioctl', pathEnv);
  if (!istioctl) return { ran: false, reason: 'istioctl is not on PATH; built-in analysis only' };
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-analyze-'));
  try {
    const files = manifests.map((text, i) => {
      const file = join(dir, `${i}.yaml`);
      writeFileSync(file, text);
      return file;
    });
    const run = spawnSync(istioctl, ['analyze', '--use-kube=false', ...files], { encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
    return { ran: true, ok: run.status === 0, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
