/**
 * A Kayenta-style judge, written here from what Kayenta's source does
 * (github:spinnaker/kayenta @a69573be):
 * - kayenta-judge/.../classifiers/metric/MannWhitneyClassifier.scala: per metric, a two-sided
 *   Mann-Whitney U test of experiment (canary) vs control at `confLevel` (default 0.95) with a
 *   confidence interval for the location shift around the Hodges–Lehmann estimate; the metric is
 *   High when the interval's lower end is above `tolerance` (default 0.25) × |estimate| and the
 *   effect size (mean ratio experiment/control, NaN when either mean is 0; NaN skips the test) is
 *   ≥ the effect-size threshold (default 1.0); no data → Nodata; identical data → Pass;
 * - kayenta-judge/.../scorers/WeightedSumScorer.scala: a group's score is the passing share of its
 *   classified metrics ×100; a group with no data at all scores 100 (so "no traffic" passes);
 * - Spinnaker's canary stage fails (rolls back) when an interval's score is below `marginal`
 *   (75 in its examples) and passes at the end with a score ≥ `pass` (95).
 * The statistics below are the textbook large-sample forms (Hollander & Wolfe, Nonparametric
 * Statistical Methods, §4.1–4.3): U with mid-ranks, tie-corrected normal approximation with
 * continuity correction, and the distribution-free interval from the ordered pairwise differences.
 */
import { normalQuantile } from '../../../constructs/detectability.js';
import { normalCdf } from '../../random.js';

export interface MannWhitneyResult {
  /** U of the first sample (count of pairs x > y, ties ½). */
  readonly u: number;
  readonly z: number;
  /** Two-sided p-value. */
  readonly p: number;
  /** Hodges–Lehmann estimate of the shift x − y. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

export function mannWhitney(x: readonly number[], y: readonly number[], confLevel = 0.95): MannWhitneyResult {
  const m = x.length;
  const n = y.length;
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v);
  let rankSum = 0;
  let ties = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    ties += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSum += rank;
    i = j + 1;
  }
  const u = rankSum - (m * (m + 1)) / 2;
  const N = m + n;
  const sigma = Math.sqrt(((m * n) / 12) * (N + 1 - ties / (N * (N - 1))));
  const d = Math.abs(u - (m * n) / 2);
  const z = sigma > 0 ? Math.max(0, d - 0.5) / sigma : 0;
  const p = Math.min(1, 2 * (1 - normalCdf(z)));
  const diffs: number[] = [];
  for (const a of x) for (const b of y) diffs.push(a - b);
  diffs.sort((a, b) => a - b);
  const mid = diffs.length / 2;
  const estimate = diffs.length % 2 ? diffs[Math.floor(mid)]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
  const zc = normalQuantile(1 - (1 - confLevel) / 2);
  const k = Math.max(0, Math.floor((m * n) / 2 - zc * Math.sqrt((m * n * (N + 1)) / 12)));
  return { u, z, p, estimate, lower: diffs[k]!, upper: diffs[diffs.length - 1 - k]! };
}

export type KayentaClass = 'High' | 'Low' | 'Pass' | 'Nodata';

export interface KayentaSetting {
  readonly confLevel: number;
  /** Seconds between judgements. */
  readonly intervalSeconds: number;
  /** Sliding lookback judged each time, seconds. */
  readonly lookbackSeconds: number;
  readonly tolerance?: number;
  readonly effectSizeHigh?: number;
  readonly marginal?: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** MannWhitneyClassifier.classify for a metric whose increase is bad (direction Increase). */
export function kayentaClassify(
  control: readonly number[],
  experiment: readonly number[],
  setting: Pick<KayentaSetting, 'confLevel' | 'tolerance' | 'effectSizeHigh'>,
): KayentaClass {
  // NaNStrategy.Remove: missing points (no requests in a step) are dropped first.
  const c = control.filter((v) => !Number.isNaN(v));
  const e = experiment.filter((v) => !Number.isNaN(v));
  if (c.length === 0 || e.length === 0) return 'Nodata';
  const sc = [...c].sort((a, b) => a - b);
  const se = [...e].sort((a, b) => a - b);
  if (sc.length === se.length && sc.every((v, i) => v === se[i])) return 'Pass';
  if (new Set([...c, ...e]).size === 1) return 'Pass';
  const r = mannWhitney(e, c, setting.confLevel);
  const bound = (setting.tolerance ?? 0.25) * Math.abs(r.estimate);
  const cm = mean(c);
  const em = mean(e);
  const effect = cm === 0 || em === 0 ? Number.NaN : em / cm;
  const high = r.lower > bound && (Number.isNaN(effect) || effect >= (setting.effectSizeHigh ?? 1));
  return high ? 'High' : 'Pass';
}

/** WeightedSumScorer with one group: passing share ×100; Nodata metrics are left out. */
export function kayentaScore(classes: readonly KayentaClass[]): number {
  const judged = classes.filter((c) => c !== 'Nodata');
  if (judged.length === 0) return 100;
  return (judged.filter((c) => c === 'Pass').length / judged.length) * 100;
}
