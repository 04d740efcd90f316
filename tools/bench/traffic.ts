/**
 * Simulated Istio traffic of many canaries at once, written as OpenMetrics for
 * `promtool tsdb create-blocks-from openmetrics`. Each simulated rollout is its own service
 * (its own label set), so one Prometheus query evaluates them all.
 *
 * Per scrape and version: requests ~ Poisson(rate × interval), 5xx ~ Binomial(requests, p),
 * durations log-normal, counted into Istio's bucket bounds (the upper ones: p99 always lies
 * above 100 ms here, and histogram_quantile only reads the buckets around the quantile).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { METRIC_DURATION_BUCKET, METRIC_REQUESTS } from '../../constructs/conventions.js';
import { binomial, gaussian, normalCdf, poisson } from '../random.js';

export { normalCdf };

export const BUCKETS_MS: readonly number[] = [100, 250, 500, 1000, 2500, Infinity];

export interface VersionBehaviour {
  readonly rps: number;
  /** 5xx share at `t` seconds after the start. */
  readonly errorRatio: (t: number) => number;
  /** Median duration (ms) at `t`; the spread is fixed (log-normal σ). */
  readonly medianMs: (t: number) => number;
}

export interface SimulatedService {
  readonly service: string;
  readonly namespace: string;
  readonly versions: Readonly<Record<string, VersionBehaviour>>;
}

export interface SimulationClock {
  /** Unix seconds of the first scrape. */
  readonly start: number;
  readonly durationSeconds: number;
  readonly scrapeSeconds: number;
}

export const LATENCY_SIGMA = 0.5;

/** P(duration <= boundMs) for a log-normal with this median. */
export function latencyCdf(boundMs: number, medianMs: number): number {
  return boundMs === Infinity ? 1 : normalCdf(Math.log(boundMs / medianMs) / LATENCY_SIGMA);
}

/** The shared seeded draws (tools/random.ts), bound to one source. */
export class Sampler {
  constructor(private readonly random: () => number) {}

  normal(): number {
    return gaussian(this.random);
  }

  poisson(mean: number): number {
    return poisson(this.random, mean);
  }

  binomial(n: number, p: number): number {
    return binomial(this.random, n, p);
  }
}

/**
 * Writes the history of `services` to `file` as one OpenMetrics document: each family's samples
 * together, each series' samples in time order (what promtool's importer needs).
 */
export function writeOpenMetrics(
  file: string,
  services: readonly SimulatedService[],
  clock: SimulationClock,
  random: () => number,
): number {
  const sampler = new Sampler(random);
  const steps = Math.floor(clock.durationSeconds / clock.scrapeSeconds) + 1;
  // Sampled once per series into typed arrays; the bucket family goes to a side file that is
  // appended after the request family, so memory stays flat however many services there are.
  const requests: string[] = [];
  const buckets: string[] = [];
  const fd = openSync(file, 'w');
  let lines = 0;
  const flush = (chunk: string[]) => {
    if (chunk.length) {
      writeSync(fd, `${chunk.join('\n')}\n`);
      lines += chunk.length;
      chunk.length = 0;
    }
  };
  const bucketFile = `${file}.buckets`;
  const bfd = openSync(bucketFile, 'w');
  const flushBuckets = () => {
    if (buckets.length) {
      writeSync(bfd, `${buckets.join('\n')}\n`);
      lines += buckets.length;
      buckets.length = 0;
    }
  };
  try {
    writeSync(fd, `# TYPE ${METRIC_REQUESTS.replace(/_total$/, '')} counter\n`);
    for (const svc of services) {
      for (const [version, b] of Object.entries(svc.versions)) {
        // Envoy creates a series on its first request: a version that never gets one has none,
        // which is what "no traffic" looks like to every query.
        if (b.rps === 0) continue;
        // Istio's standard labels (istio.io/latest/docs/reference/config/metrics/): the workload is
        // the Deployment, named <service>-<version> here; Flagger's built-in queries select it.
        const labels =
          `reporter="destination",destination_service_name="${svc.service}",destination_service_namespace="${svc.namespace}",` +
          `destination_version="${version}",destination_workload="${svc.service}-${version}",` +
          `destination_workload_namespace="${svc.namespace}"`;
        const ok = new Float64Array(steps);
        const failed = new Float64Array(steps);
        const cumulative = BUCKETS_MS.map(() => new Float64Array(steps));
        let okSum = 0;
        let failedSum = 0;
        const bucketSums = BUCKETS_MS.map(() => 0);
        for (let i = 0; i < steps; i++) {
          const t = i * clock.scrapeSeconds;
          if (i > 0) {
            const n = sampler.poisson(b.rps * clock.scrapeSeconds);
            const e = sampler.binomial(n, b.errorRatio(t));
            okSum += n - e;
            failedSum += e;
            // Multinomial over the buckets as a chain of binomials.
            let remaining = n;
            let below = 0;
            const median = b.medianMs(t);
            BUCKETS_MS.forEach((bound, j) => {
              const cdf = latencyCdf(bound, median);
              const k =
                bound === Infinity
                  ? remaining
                  : sampler.binomial(remaining, below >= 1 ? 1 : (cdf - below) / (1 - below));
              remaining -= k;
              below = cdf;
              bucketSums[j] = bucketSums[j]! + k;
            });
          }
          ok[i] = okSum;
          failed[i] = failedSum;
          // Prometheus buckets are cumulative: le="500" counts everything up to 500 ms.
          let upTo = 0;
          BUCKETS_MS.forEach((_, j) => {
            upTo += bucketSums[j]!;
            cumulative[j]![i] = upTo;
          });
        }
        const ts = (i: number) => clock.start + i * clock.scrapeSeconds;
        for (let i = 0; i < steps; i++)
          requests.push(`${METRIC_REQUESTS}{${labels},response_code="200"} ${ok[i]} ${ts(i)}`);
        for (let i = 0; i < steps; i++)
          requests.push(`${METRIC_REQUESTS}{${labels},response_code="503"} ${failed[i]} ${ts(i)}`);
        BUCKETS_MS.forEach((bound, j) => {
          const le = bound === Infinity ? '+Inf' : String(bound);
          for (let i = 0; i < steps; i++)
            buckets.push(`${METRIC_DURATION_BUCKET}{${labels},le="${le}"} ${cumulative[j]![i]} ${ts(i)}`);
        });
        flush(requests);
        flushBuckets();
      }
    }
    writeSync(fd, `# TYPE ${METRIC_DURATION_BUCKET.replace(/_bucket$/, '')} histogram\n`);
    appendFile(fd, bucketFile);
    writeSync(fd, '# EOF\n');
  } finally {
    closeSync(fd);
    closeSync(bfd);
    rmSync(bucketFile, { force: true });
  }
  return lines;
}

/** Copies `file` onto the end of `fd` in chunks: the bucket family can be hundreds of MB. */
function appendFile(fd: number, file: string): void {
  const src = openSync(file, 'r');
  const chunk = Buffer.alloc(8 << 20);
  try {
    for (let n = readSync(src, chunk); n > 0; n = readSync(src, chunk)) writeSync(fd, chunk, 0, n);
  } finally {
    closeSync(src);
  }
}
