/**
 * The intent checks that compare what the intent selects with what Istio really writes and
 * resolves: the service host (hosts.ts), the version labels (telemetry.ts) and the scrape
 * interval the windows need (promql/windows.ts). Called by spec/validate.ts on a raw document
 * (YAML or construct props), so each problem reaches the user at its file:line:column.
 */
import { parseDuration, isDuration } from '../duration.js';
import { SCRAPE_INTERVAL_LIMIT_MS, scrapeIntervalMs, scrapeIntervalProblem } from '../promql/windows.js';
import { hostProblem } from './hosts.js';
import { telemetryProblems } from './telemetry.js';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});

export interface IntentProblem {
  /** From the document root, e.g. ['spec', 'service', 'host']. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export function intentTelemetryProblems(doc: unknown): IntentProblem[] {
  const spec = rec(rec(doc).spec);
  const metadata = rec(rec(doc).metadata);
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  const problems: IntentProblem[] = [];
  const service = rec(spec.service);
  if (typeof service.host === 'string') {
    const problem = hostProblem(service.host, namespace, service.serviceEntry === true);
    if (problem) problems.push({ path: ['spec', 'service', 'host'], message: problem });
  }
  for (const p of telemetryProblems(spec)) problems.push({ path: ['spec', ...p.path], message: p.message });
  const metrics = rec(spec.metrics);
  const timeScale = Number.isInteger(metrics.timeScale) && (metrics.timeScale as number) >= 1 ? metrics.timeScale : 1;
  const given = metrics.scrapeInterval;
  // A value past SCRAPE_INTERVAL_LIMIT_MS is the schema's to report.
  const validGiven =
    typeof given === 'string' &&
    isDuration(given) &&
    parseDuration(given) > 0 &&
    parseDuration(given) <= SCRAPE_INTERVAL_LIMIT_MS;
  if (given === undefined || validGiven) {
    const scrapeMs = scrapeIntervalMs({
      scrapeIntervalMs: validGiven ? parseDuration(given) : undefined,
      timeScale: timeScale as number,
    });
    const problem = scrapeIntervalProblem(scrapeMs, timeScale as number);
    if (problem)
      problems.push({
        path: ['spec', 'metrics', given === undefined ? 'timeScale' : 'scrapeInterval'],
        message: problem,
      });
  }
  return problems;
}
