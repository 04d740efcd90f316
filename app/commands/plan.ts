/**
 * `stagegate plan <rollout>`: per stage, how many canary requests a verdict needs and how long
 * a regression takes to fire a rollback at the expected traffic (constructs/detectability.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import {
  DEFAULT_ALPHA,
  DEFAULT_POWER,
  errorRatioLimit,
  planStages,
  type StagePlan,
} from '../../constructs/detectability.js';
import { type DrillFiringPrediction, drillFiringMs } from '../../constructs/drill-alert.js';
import { formatDuration } from '../../constructs/duration.js';
import { metricsService } from '../../constructs/istio/hosts.js';
import { telemetrySummary } from '../../constructs/istio/telemetry.js';
import { scrapeIntervalMs } from '../../constructs/promql/windows.js';
import { routingSummary } from '../../constructs/routing-summary.js';
import type { RolloutModel } from '../../constructs/model.js';
import { DEFAULTS_FILE, parseDefaults } from '../../constructs/spec/defaults.js';
import { formatProblem, parseIntent } from '../../constructs/spec/index.js';
import { UsageError, defineCommand } from '../cli/command.js';
import { formatSignalPlans, signalPlans, type SignalPlan } from '../plan-signals.js';

export interface PlanReport {
  readonly rollout: string;
  readonly namespace: string;
  readonly requestsPerSecond: number | null;
  readonly baselineErrorRatio: number;
  readonly errorRatioLimit: number;
  readonly alpha: number;
  readonly power: number;
  /** What the rules select on Istio's metrics (constructs/istio/telemetry.ts; added by helper telemetry). */
  readonly metrics: readonly string[];
  /** Cohort, sticky cookie and shadow stages in words (constructs/routing-summary.ts). */
  readonly routing: readonly string[];
  /** User-defined signals at the live stage (app/plan-signals.ts); empty without any. */
  readonly signals: readonly SignalPlan[];
  /** Durations in ms; `null` where unknown (no rate) and `"never"` where the sample can never be reached. */
  readonly stages: readonly PlanRow[];
}

export type PlanRow = Omit<StagePlan, 'timeToMinSampleMs' | 'timeToDetectMs'> & {
  readonly timeToMinSampleMs: number | 'never' | null;
  readonly timeToDetectMs: number | 'never' | null;
  /**
   * A cohort stage: an abort drill's time from the first faulted request to its alert firing
   * (constructs/drill-alert.ts `drillFiringMs`, an upper bound); the gate's red follows at its next run.
   */
  readonly abortDrill?: DrillFiringPrediction;
};

export const planCommand = defineCommand({
  name: 'plan',
  summary: 'per stage: weight, bake, minimum canary requests, expected time to detect a regression, total time',
  options: {
    rollouts: { type: 'string', value: 'DIR', help: `the intents (default ${DEFAULT_ROLLOUTS_DIR})` },
    rps: { type: 'string', value: 'N', help: "requests per second of the service (default: the intent's traffic)" },
  },
  positionals: { usage: '<rollout>', min: 1, max: 1, missing: 'name one rollout (its metadata.name or file name)' },
  exits: { ok: 'the plan was printed', fail: 'no such rollout, or its intent is invalid' },
  async run({ values, positionals }, io) {
    const rps = parseRps(values.rps);
    const dir = resolve(io.cwd, values.rollouts ?? DEFAULT_ROLLOUTS_DIR);
    const found = findRollout(dir, positionals[0]!);
    if ('problems' in found) {
      io.stderr(`${found.problems.join('\n')}\n`);
      return 1;
    }
    const report = planReport(found.model, rps);
    io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatPlan(report));
    return 0;
  },
});

function parseRps(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const rps = Number(text);
  if (!Number.isFinite(rps) || rps <= 0)
    throw new UsageError(`--rps must be a positive number of requests per second (got "${text}")`);
  return rps;
}

/** The rollout named `name` (file `<name>.yaml`, or any intent whose metadata.name or namespace/name matches). */
export function findRollout(dir: string, name: string): { model: RolloutModel } | { problems: string[] } {
  if (!existsSync(dir)) return { problems: [`stagegate plan: no rollouts directory ${dir}; pass --rollouts DIR`] };
  const files = readdirSync(dir)
    .filter((f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && f !== DEFAULTS_FILE)
    .sort();
  // The repository defaults apply here as in synth (constructs/spec/defaults.ts).
  const defaultsPath = join(dir, DEFAULTS_FILE);
  const read = existsSync(defaultsPath) ? parseDefaults(defaultsPath, readFileSync(defaultsPath, 'utf8')) : undefined;
  if (read && !read.ok) return { problems: read.problems.map(formatProblem) };
  const defaults = read?.ok ? { defaults: read.defaults } : {};
  const ordered = [...files.filter((f) => f.replace(/\.ya?ml$/, '') === name), ...files];
  for (const file of ordered) {
    const parsed = parseIntent(join(dir, file), readFileSync(join(dir, file), 'utf8'), defaults);
    const matches = (m: RolloutModel) => m.name === name || `${m.namespace}/${m.name}` === name;
    if (parsed.ok && matches(parsed.model)) return { model: parsed.model };
    if (!parsed.ok && file.replace(/\.ya?ml$/, '') === name) return { problems: parsed.problems.map(formatProblem) };
  }
  const known = files.map((f) => f.replace(/\.ya?ml$/, '')).join(', ') || 'none';
  return { problems: [`stagegate plan: no rollout "${name}" in ${dir} (found: ${known})`] };
}

const finite = (ms: number | undefined): number | 'never' | null =>
  ms === undefined ? null : Number.isFinite(ms) ? ms : 'never';

export function planReport(model: RolloutModel, rps?: number): PlanReport {
  const requestsPerSecond = rps ?? model.traffic.requestsPerSecond;
  return {
    rollout: model.name,
    namespace: model.namespace,
    requestsPerSecond: requestsPerSecond ?? null,
    baselineErrorRatio: model.traffic.baselineErrorRatio,
    errorRatioLimit: errorRatioLimit(model),
    alpha: DEFAULT_ALPHA,
    power: DEFAULT_POWER,
    metrics: telemetrySummary(
      model,
      metricsService(model.service.host, model.namespace, model.service.serviceEntry === true),
      scrapeIntervalMs(model.metrics),
    ),
    routing: routingSummary(model),
    signals: signalPlans(model),
    stages: planStages(model, requestsPerSecond === undefined ? {} : { requestsPerSecond }).map((s) => ({
      ...s,
      timeToMinSampleMs: finite(s.timeToMinSampleMs),
      timeToDetectMs: finite(s.timeToDetectMs),
      ...withDrill(model, s.stage),
    })),
  };
}

function withDrill(model: RolloutModel, stage: string): { abortDrill?: DrillFiringPrediction } {
  const p = drillFiringMs(model, stage);
  return p ? { abortDrill: p } : {};
}

function duration(ms: number | 'never' | null | undefined, unknown: string): string {
  if (ms === 'never') return 'never';
  if (ms === null || ms === undefined) return unknown;
  return formatDuration(Math.ceil(ms / 1000) * 1000);
}

const pct = (x: number) => `${+(x * 100).toPrecision(3)} %`;

/** The human table. */
export function formatPlan(r: PlanReport): string {
  const head = ['stage', 'weight', 'bake', 'min requests', 'canary rps', 'window', 'time to detect', 'total'];
  const rows = r.stages.map((s) => [
    s.stage,
    s.mirror !== undefined ? `shadow ${s.mirror} %` : s.weight === 0 && s.cohort ? 'cohort' : `${s.weight} %`,
    s.bakeMs === undefined ? '-' : formatDuration(s.bakeMs),
    String(s.minRequests),
    s.canaryRequestsPerSecond === undefined ? '?' : String(+s.canaryRequestsPerSecond.toPrecision(4)),
    formatDuration(s.windowMs),
    duration(s.timeToDetectMs, s.weight === 0 && s.cohort ? '? (cohort rate)' : '? (no rps)'),
    formatDuration(s.totalMs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const rate =
    r.requestsPerSecond === null
      ? 'rate unknown (set spec.traffic.requestsPerSecond or pass --rps)'
      : `${r.requestsPerSecond} rps`;
  const out = [
    `${r.namespace}/${r.rollout}: ${rate}; stable errors ${pct(r.baselineErrorRatio)}, regression at ${pct(r.errorRatioLimit)}`,
    `minimum sample: one-sided two-proportion test, alpha ${r.alpha}, power ${r.power}; cohort stages: one-sample vs the baseline`,
    ...r.metrics,
    ...r.routing,
    '',
    line(head),
    ...rows.map(line),
  ];
  const drills = r.stages.filter((s) => s.abortDrill);
  if (drills.length > 0) out.push('');
  for (const s of drills) {
    const d = s.abortDrill!;
    out.push(
      `abort drill at ${s.stage}: its alert fires within ${duration(d.totalMs, '')} of the first faulted request (2 scrapes ${duration(d.samplesMs, '')}, evaluation ${duration(d.evaluationMs, '')}, for ${duration(d.forMs, '')}); red at the gate's next run (its schedule is the workflow's, not in the intent)`,
    );
  }
  out.push(...formatSignalPlans(r.signals));
  const warnings = r.stages.flatMap((s) => s.warnings.map((w) => `warning: ${s.stage}: ${w}`));
  if (warnings.length > 0) out.push('', ...warnings);
  return `${out.join('\n')}\n`;
}
