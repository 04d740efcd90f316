/**
 * Turning rollback times into the detection report: per detector and case, rollbacks and the
 * median time to detect; per detector, false rollbacks per 1,000 healthy runs, blips rolled back,
 * what it does on zero traffic, and its ratio to the corrected floor (peers/floor.ts); the goals
 * of issue 13 judged on the figures.
 */
import {
  BLIP_SECONDS,
  type Case,
  canaryRps,
  ERROR_MAX,
  EVAL_SECONDS,
  ONSET_SECONDS,
  type Rollout,
  SCRAPE_SECONDS,
} from './detection-cases.js';
import { floorSeconds } from './peers/floor.js';

export interface DetectorCase {
  readonly rolledBack: number;
  /** Median onset → rollback over the case's rollouts (not caught = ∞); null when under half were caught. */
  readonly medianDetectSeconds: number | null;
}

export interface DetectorResult {
  readonly name: string;
  /** Healthy rollouts rolled back within the simulated hour, per 1,000 (all weights pooled). */
  readonly falseRollbacksPer1000: number;
  readonly blipRollbacks: number;
  readonly blipRollouts: number;
  /** Median over every must-detect rollout at every weight; null when under half were caught. */
  readonly medianDetectSeconds: number | null;
  /** Median over must-detect cases of (case median / case floor). */
  readonly medianRatioToFloor: number | null;
  /** Worst over must-detect cases of (case median / case floor). */
  readonly maxRatioToFloor: number | null;
  /** Zero-traffic canaries that reached the end of the stage neither rolled back nor held: promoted. */
  readonly noTrafficPromoted: number;
  readonly cases: Readonly<Record<string, DetectorCase>>;
}

export interface CaseInfo {
  readonly case: string;
  readonly weight: number;
  readonly rollouts: number;
  readonly mustDetect: boolean;
  readonly floorSeconds?: number;
}

export interface DetectionReport {
  readonly scenario: Readonly<Record<string, number | string>>;
  readonly cases: readonly CaseInfo[];
  readonly stagegate: DetectorResult;
  readonly peers: readonly DetectorResult[];
  /** Peer settings that detect faster (pooled median) and roll back no more (healthy and blips). */
  readonly fasterAndNoMoreRollbacks: readonly string[];
  readonly goalsMet: {
    readonly noPeerDominates: boolean;
    readonly withinFloorRatio: boolean;
    readonly noFalseRollbacks: boolean;
    readonly neverPromotesOnZeroTraffic: boolean;
  };
}

/** Goal of issue 13: at most this many times the corrected floor (worst case). */
export const FLOOR_RATIO_GOAL = 1.25;

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return Number.isFinite(m) ? m : null;
}

export function caseFloor(c: Case): number | undefined {
  if (c.badShare === undefined) return undefined;
  return floorSeconds({
    // Both limits are 1 %: errorRatio.max, and p99 ≤ max means ≤ 1 % of requests above it.
    limit: ERROR_MAX,
    bad: c.badShare,
    rps: canaryRps(c.weight),
    scrapeSeconds: SCRAPE_SECONDS,
    evaluationSeconds: EVAL_SECONDS,
    blipSeconds: BLIP_SECONDS,
  });
}

const round2 = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 100) / 100);

export function detectorResult(
  name: string,
  rollouts: readonly Rollout[],
  all: readonly Case[],
  rollbacks: ReadonlyMap<string, number>,
  start: number,
  heldAtEnd: ReadonlySet<string> = new Set(),
): DetectorResult {
  const onset = start + ONSET_SECONDS;
  const timesOf = (c: Case) =>
    rollouts
      .filter((r) => r.testCase === c)
      .map((r) => (rollbacks.has(r.name) ? rollbacks.get(r.name)! - onset : Infinity))
      // A rollback before onset happened while the canary was still healthy: for a blip or a
      // regression it is neither a detection nor a rollback of the blip (it counts as a miss).
      .map((t) => ((c.kind === 'blip' || c.kind === 'regression') && t < 0 ? Infinity : t));
  const cases: Record<string, DetectorCase> = {};
  for (const c of all) {
    const times = timesOf(c);
    cases[c.name] = {
      rolledBack: times.filter(Number.isFinite).length,
      medianDetectSeconds: c.kind === 'regression' ? median(times) : null,
    };
  }
  const of = (kind: Case['kind']) => all.filter((c) => c.kind === kind);
  const count = (cs: readonly Case[]) => rollouts.filter((r) => cs.includes(r.testCase)).length;
  const rolled = (cs: readonly Case[]) => cs.reduce((n, c) => n + cases[c.name]!.rolledBack, 0);
  const must = all.filter((c) => c.mustDetect);
  const ratios = must.map((c) => (cases[c.name]!.medianDetectSeconds ?? Infinity) / caseFloor(c)!);
  const noTraffic = rollouts.filter((r) => r.testCase.kind === 'no-traffic');
  return {
    name,
    falseRollbacksPer1000: Math.round((rolled(of('healthy')) / Math.max(1, count(of('healthy')))) * 10000) / 10,
    blipRollbacks: rolled(of('blip')),
    blipRollouts: count(of('blip')),
    medianDetectSeconds: median(must.flatMap(timesOf)),
    medianRatioToFloor: round2(median(ratios)),
    maxRatioToFloor: round2(ratios.length ? Math.max(...ratios) : null),
    noTrafficPromoted: noTraffic.filter((r) => !rollbacks.has(r.name) && !heldAtEnd.has(r.name)).length,
    cases,
  };
}

export function judge(
  stagegate: DetectorResult,
  peers: readonly DetectorResult[],
): Pick<DetectionReport, 'fasterAndNoMoreRollbacks' | 'goalsMet'> {
  const faster = (p: DetectorResult) =>
    p.medianDetectSeconds !== null &&
    (stagegate.medianDetectSeconds === null || p.medianDetectSeconds < stagegate.medianDetectSeconds);
  const noMore = (p: DetectorResult) =>
    p.falseRollbacksPer1000 <= stagegate.falseRollbacksPer1000 && p.blipRollbacks <= stagegate.blipRollbacks;
  const dominating = peers.filter((p) => faster(p) && noMore(p)).map((p) => p.name);
  return {
    fasterAndNoMoreRollbacks: dominating,
    goalsMet: {
      noPeerDominates: dominating.length === 0,
      withinFloorRatio: stagegate.maxRatioToFloor !== null && stagegate.maxRatioToFloor <= FLOOR_RATIO_GOAL,
      noFalseRollbacks: stagegate.falseRollbacksPer1000 === 0,
      neverPromotesOnZeroTraffic: stagegate.noTrafficPromoted === 0,
    },
  };
}

const secs = (v: number | null) => (v === null ? '—' : String(Math.round(v)));
const times = (r: CaseInfo[], d: DetectorResult) => r.map((c) => secs(d.cases[c.case]!.medianDetectSeconds)).join('/');

/** The frontier table: one row per detector, stagegate first, then peers by median time to detect. */
export function renderDetection(r: DetectionReport): string[] {
  const regressions = r.cases.filter((c) => c.mustDetect);
  const weights = [...new Set(regressions.map((c) => c.weight))];
  const byWeight = weights.map((w) => regressions.filter((c) => c.weight === w));
  const allowed = r.cases.filter((c) => !c.mustDetect && c.case.startsWith('latency'));
  const header = `${'detector'.padEnd(66)} ${'false/1000'.padStart(10)} ${'blips'.padStart(7)} ${'allowed'.padStart(7)}  ${byWeight
    .map((cs) => `@${cs[0]!.weight}%: ${cs.map((c) => c.case.replace(/@.*/, '')).join('/')}`)
    .join('  ')}  ${'median'.padStart(6)}  ratio  0-traffic promoted`;
  const row = (d: DetectorResult) =>
    `${d.name.padEnd(66)} ${String(d.falseRollbacksPer1000).padStart(10)} ${`${d.blipRollbacks}/${d.blipRollouts}`.padStart(7)} ${String(
      allowed.reduce((n, c) => n + d.cases[c.case]!.rolledBack, 0),
    ).padStart(7)}  ${byWeight.map((cs) => `@${cs[0]!.weight}%: ${times(cs, d)}`.padEnd(38)).join('  ')}  ${secs(
      d.medianDetectSeconds,
    ).padStart(
      6,
    )}  ${d.maxRatioToFloor === null ? ' n/a ' : `${d.maxRatioToFloor.toFixed(2)}×`}  ${d.noTrafficPromoted}`;
  const peers = [...r.peers].sort((a, b) => (a.medianDetectSeconds ?? Infinity) - (b.medianDetectSeconds ?? Infinity));
  const g = r.goalsMet;
  return [
    `detect floor (s): ${byWeight.map((cs) => `@${cs[0]!.weight}%: ${cs.map((c) => c.floorSeconds).join('/')}`).join('  ')}` +
      ' — times are median seconds onset → rollback; ratio = worst case median / floor; allowed = latency ×1.5 rolled back',
    header,
    row(r.stagegate),
    ...peers.map(row),
    `detect goals: no peer faster with no more rollbacks ${g.noPeerDominates ? 'met' : `NOT met (${r.fasterAndNoMoreRollbacks.join('; ')})`}; ` +
      `≤ ${FLOOR_RATIO_GOAL}× floor ${g.withinFloorRatio ? 'met' : 'NOT met'}; 0 false rollbacks ${g.noFalseRollbacks ? 'met' : 'NOT met'}; ` +
      `no promotion on zero traffic ${g.neverPromotesOnZeroTraffic ? 'met' : 'NOT met'}`,
  ];
}
