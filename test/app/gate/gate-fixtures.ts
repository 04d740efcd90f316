/**
 * What the gate's tests against a real Prometheus share (evaluate.test.ts, telemetry-audit.test.ts):
 * one intent per service name, a history window that ends on a whole minute ten minutes ago, steady
 * Istio traffic, and a Prometheus serving a backfilled TSDB for the calling file's tests.
 */
import { afterAll, beforeAll } from 'vitest';
import type { RolloutModel } from '../../../constructs/model.js';
import { parseIntent } from '../../../constructs/spec/index.js';
import { backfill, startPrometheus, type RunningPrometheus } from '../../../tools/prometheus.js';
import type { VersionTraffic } from './istio-history.js';

/**
 * The rollout of service `name` in namespace shop (stable v1, canary v2, the same health and
 * traffic), with its own `stages` (flow mappings), live `stage` and `extra` spec lines.
 */
export function gateModel(
  file: string,
  name: string,
  opts: { readonly stages: readonly string[]; readonly stage: string; readonly extra?: string },
): RolloutModel {
  const result = parseIntent(
    file,
    `
apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: NAME, namespace: shop }
spec:
  service: { host: NAME, port: 8080 }
  stable: v1
  canary: v2
  stages:
${opts.stages.map((s) => `    - ${s}\n`).join('')}  stage: ${opts.stage}
  health:
    errorRatio: { max: 0.01, maxVsStable: 2 }
    latencyP99Ms: { max: 300, maxVsStable: 1.5 }
  traffic: { requestsPerSecond: 400, baselineErrorRatio: 0.001 }
${opts.extra ?? ''}`.replaceAll('NAME', name),
  );
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.model;
}

/** `seconds` of history that end at END (a whole minute, ten minutes ago); the gate is asked about END. */
export function historyWindow(seconds: number): { readonly END: number; readonly START: number; readonly at: Date } {
  const END = Math.floor(Date.now() / 1000 / 60) * 60 - 10 * 60;
  return { END, START: END - seconds, at: new Date(END * 1000) };
}

/** One version's traffic at a constant rate and error ratio. */
export const steady = (version: string, rps: number, errorRatio = 0.001): VersionTraffic => ({
  version,
  rps: () => rps,
  errorRatio: () => errorRatio,
});

/**
 * One OpenMetrics text from the lines of several istioHistory documents: each family once, under
 * its `# TYPE` line, with every document's samples of it in order; one `# EOF`.
 */
export function openMetricsOf(lines: readonly string[]): string {
  const families = new Map<string, string[]>();
  let current = '';
  for (const line of lines) {
    if (line.startsWith('# TYPE')) {
      current = line;
      if (!families.has(line)) families.set(line, []);
    } else if (line.trim() !== '' && line !== '# EOF') {
      families.get(current)!.push(line);
    }
  }
  return `${[...families].map(([type, samples]) => `${type}\n${samples.join('\n')}\n`).join('')}# EOF\n`;
}

/**
 * A Prometheus serving the history `openMetrics` gives, for the calling file's tests: backfilled
 * and started in beforeAll (`prepare` may add to the TSDB first, e.g. recorded series), stopped and
 * removed in afterAll.
 */
export function servePrometheus(
  openMetrics: () => string,
  opts: { readonly prepare?: (tsdb: ReturnType<typeof backfill>) => Promise<void>; readonly timeoutMs: number },
): { readonly url: string } {
  let prometheus: RunningPrometheus;
  let tsdb: ReturnType<typeof backfill>;
  beforeAll(async () => {
    tsdb = backfill(openMetrics());
    await opts.prepare?.(tsdb);
    prometheus = await startPrometheus({ tsdbDir: tsdb.dir });
  }, opts.timeoutMs);
  afterAll(async () => {
    await prometheus?.stop();
    tsdb?.remove();
  });
  return {
    get url() {
      return prometheus.url;
    },
  };
}
