/**
 * Random draws for the synthetic exporter (from a seeded source, ../random.ts): Poisson arrivals, binomial splits
 * and latencies from a log-normal fitted to p50/p99, bucketed like Istio's histogram.
 * Approximations are chosen for speed at demo scale (thousands of requests per scrape), with
 * exact draws where counts are small and the shape matters.
 */

/** Istio's default buckets for `istio_request_duration_milliseconds` (ms), without +Inf. */
export const ISTIO_DURATION_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export interface LatencyProfile {
  readonly p50: number;
  readonly p99: number;
}

const Z99 = 2.3263478740408408; // standard normal quantile of 0.99


function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Exact (Knuth) for small means; normal approximation above 30, where its error is negligible here. */
export function poisson(random: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

export function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n < 64) {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  }
  const mean = n * p;
  const variance = mean * (1 - p);
  if (variance < 10) {
    // Rare outcomes: Poisson on whichever side is rare keeps the skew right.
    return p <= 0.5 ? Math.min(n, poisson(random, mean)) : n - Math.min(n, poisson(random, n * (1 - p)));
  }
  return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(variance) * gaussian(random))));
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Splits `count` requests over the Istio buckets from a log-normal with the given p50/p99
 * (multinomial drawn as successive binomials) and returns their summed latency, using each
 * bucket's conditional mean so `_sum / _count` matches the distribution's mean.
 */
export function drawLatencies(random: () => number, count: number, profile: LatencyProfile): { perBucket: number[]; sumMs: number } {
  const mu = Math.log(profile.p50);
  const sigma = Math.max(1e-6, (Math.log(profile.p99) - mu) / Z99);
  const bounds = [...ISTIO_DURATION_BUCKETS, Infinity];
  const cdf = (x: number, shift = 0) => (x === Infinity ? 1 : phi((Math.log(x) - mu - shift) / sigma));
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
