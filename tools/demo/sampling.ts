/**
 * Latencies for the synthetic exporter: a log-normal fitted to p50/p99, bucketed like Istio's
 * histogram. Poisson arrivals and binomial splits come from the shared draws in ../random.ts.
 */
import { binomial, normalCdf } from '../random.js';

/** Istio's default buckets for `istio_request_duration_milliseconds` (ms), without +Inf. */
export const ISTIO_DURATION_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export interface LatencyProfile {
  readonly p50: number;
  readonly p99: number;
}

const Z99 = 2.3263478740408408; // standard normal quantile of 0.99

/**
 * Splits `count` requests over the Istio buckets from a log-normal with the given p50/p99
 * (multinomial drawn as successive binomials) and returns their summed latency, using each
 * bucket's conditional mean so `_sum / _count` matches the distribution's mean.
 */
export function drawLatencies(
  random: () => number,
  count: number,
  profile: LatencyProfile,
): { perBucket: number[]; sumMs: number } {
  const mu = Math.log(profile.p50);
  const sigma = Math.max(1e-6, (Math.log(profile.p99) - mu) / Z99);
  const bounds = [...ISTIO_DURATION_BUCKETS, Infinity];
  const cdf = (x: number, shift = 0) => (x === Infinity ? 1 : normalCdf((Math.log(x) - mu - shift) / sigma));
  const mean = Math.exp(mu + (sigma * sigma) / 2);
  const perBucket: number[] = [];
  let left = count;
  let massLeft = 1;
  let sumMs = 0;
  let lower = 0;
  for (const upper of bounds) {
    const mass = cdf(upper) - (lower === 0 ? 0 : cdf(lower));
    const n = upper === Infinity ? left : binomial(random, left, massLeft > 0 ? Math.min(1, mass / massLeft) : 0);
    if (n > 0) {
      const partial = cdf(upper, sigma * sigma) - (lower === 0 ? 0 : cdf(lower, sigma * sigma));
      sumMs += n * (mass > 1e-12 ? (mean * partial) / mass : Math.min(upper, Math.max(lower, profile.p99)));
    }
    perBucket.push(n);
    left -= n;
    massLeft -= mass;
    lower = upper;
  }
  perBucket.pop(); // the +Inf bucket is the count itself
  return { perBucket, sumMs };
}
