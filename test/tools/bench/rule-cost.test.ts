import { describe, expect, it } from 'vitest';
import { buildRuleGroups, isAlertRule } from '../../../constructs/alert-rules.js';
import { fleetRuleGroups } from '../../../constructs/fleet-rules.js';
import { ruleCostVariant } from '../../../tools/bench/run.js';
import { toModel } from '../../../constructs/spec/index.js';
import { benchIntent } from '../../../tools/bench/intents.js';
import {
  flaggerQueries,
  recordingsReadOverTime,
  renderRuleCost,
  runRuleCostBench,
} from '../../../tools/bench/rule-cost.js';
import { exposition, podSeries, writeHistory } from '../../../tools/bench/rule-cost-series.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('rule-cost bench', () => {
  it('takes the variant from RULE_COST_VARIANT and refuses one it does not know', () => {
    expect(ruleCostVariant({})).toBeUndefined();
    expect(ruleCostVariant({ RULE_COST_VARIANT: 'fleet-alerts' })).toBe('fleet-alerts');
    expect(() => ruleCostVariant({ RULE_COST_VARIANT: 'fleet-wide' })).toThrow(
      'RULE_COST_VARIANT must be one of per-rollout, fleet, fleet-alerts (got "fleet-wide")',
    );
  });

  it('exposes 4 pods per rollout with Istio labels, and backfills the same series in time order', () => {
    const models = [toModel(benchIntent(0)), toModel(benchIntent(1))];
    const pods = podSeries(models);
    expect(pods).toHaveLength(8);
    const text = exposition(pods, 1_700_003_600);
    const requestLines = text.split('\n').filter((l) => l.startsWith('istio_requests_total{'));
    expect(requestLines).toHaveLength(8 * 4);
    expect(requestLines[0]).toContain('reporter="destination"');
    expect(requestLines[0]).toContain('destination_service_name="svc-0000"');
    expect(text.split('\n').filter((l) => l.includes('_bucket{')).length).toBe(8 * 4 * 20);
    const dir = mkdtempSync(join(tmpdir(), 'rule-cost-test-'));
    try {
      const file = join(dir, 'h.om');
      const samples = writeHistory(file, pods.slice(0, 1), {
        end: 1_700_003_600,
        scrapeSeconds: 30,
        requestSeconds: 120,
        bucketSeconds: () => 60,
      });
      // 4 codes × 5 scrapes of requests + 4 codes × 20 buckets × 3 scrapes.
      expect(samples).toBe(4 * 5 + 4 * 20 * 3);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines.at(-1)).toBe('# EOF');
      const first = lines.filter((l) => l.startsWith('istio_requests_total{') && l.includes('response_code="200"'));
      expect(first.map((l) => Number(l.split(' ').at(-1)))).toEqual([
        1_700_003_480, 1_700_003_510, 1_700_003_540, 1_700_003_570, 1_700_003_600,
      ]);
      // The live exposition continues the backfilled counter (no reset at the join).
      const live = requestLines.find((l) => l.startsWith(first[0]!.slice(0, first[0]!.indexOf('}') + 1)))!;
      expect(Number(live.split(' ').at(-1))).toBe(Number(first.at(-1)!.split(' ').at(-2)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks Flagger's two Istio checks of the canary workload over 1m", () => {
    const [success, duration] = flaggerQueries(toModel(benchIntent(0)));
    expect(success).toBe(
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="team-0",destination_workload=~"svc-0000-v2",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="team-0",destination_workload=~"svc-0000-v2"}[1m])) * 100',
    );
    expect(duration).toBe(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="team-0",destination_workload=~"svc-0000-v2"}[1m])) by (le))',
    );
  });

  it('backfills the recordings read over time, and refuses one that reads another recording (promtool cannot)', () => {
    expect([...recordingsReadOverTime(buildRuleGroups(toModel(benchIntent(1))))].sort()).toEqual([
      'stagegate:istio_requests:rate5m',
      'stagegate:istio_requests_5xx:rate5m',
    ]);
    // The per-code design: the 5m rates summed a per-code recording, so their backfill was empty
    // and the derived 6h windows read minutes of history in the bench.
    const chained = [
      {
        name: 'g',
        rules: [
          {
            record: 'stagegate:istio_requests_by_code:rate5m',
            expr: 'sum by (response_code) (rate(istio_requests_total[5m]))',
            labels: {},
          },
          {
            record: 'stagegate:istio_requests:rate5m',
            expr: 'sum(stagegate:istio_requests_by_code:rate5m)',
            labels: {},
          },
          {
            record: 'stagegate:istio_requests:rate6h',
            expr: 'sum_over_time(stagegate:istio_requests:rate5m[6h])',
            labels: {},
          },
        ],
      },
    ];
    expect(() => recordingsReadOverTime(chained)).toThrow(
      'stagegate:istio_requests:rate5m is read over time but reads the recording stagegate:istio_requests_by_code:rate5m',
    );
  });

  // A real Prometheus at a size a test affords: 3 rollouts, 15 minutes of history, 2s evaluations.
  const TINY = {
    sizes: [3],
    historyMinutes: 15,
    warmupSeconds: 6,
    measureSeconds: 8,
    evaluationInterval: '2s',
    scrapeInterval: '2s',
  } as const;

  it('measures rules and the Flagger-style load in a real Prometheus at a tiny size', async () => {
    const report = await runRuleCostBench({
      ...TINY,
      // The recording group states its 1m interval; at this size every group runs at the test's 2s.
      groupsOf: (m) => buildRuleGroups(m).map(({ interval: _, ...g }) => g),
      timeoutMs: 120_000,
    });
    const run = report.runs[0]!;
    const groups = [0, 1, 2].map((i) => buildRuleGroups(toModel(benchIntent(i))));
    const recording = groups.flat().flatMap((g) => g.rules.filter((r) => !isAlertRule(r)));
    expect(run.groups).toBe(groups.flat().length);
    expect(run.rules).toBe(groups.flat().reduce((a, g) => a + g.rules.length, 0));
    // Every recording rule records at least one series (each rollout has traffic on both versions).
    expect(run.recordedSeries).toBeGreaterThanOrEqual(recording.length);
    expect(run.missedIterations).toBe(0);
    expect(run.evaluationFailures).toBe(0);
    expect(run.flaggerQueryErrors).toBe(0);
    expect(run.flaggerQueries).toBeGreaterThan(0);
    expect(run.stagegate.cpuSeconds).toBeGreaterThan(0);
    expect(run.sumGroupSeconds).toBeGreaterThan(0);
    expect(Number.isFinite(run.ruleCores)).toBe(true);
    // Goals are judged only at 500 rollouts.
    expect(report.goalsMet).toEqual({});
    expect(renderRuleCost(report)[1]).toMatch(/^rules {2}per-rollout {2}3 {5}6 /);
    // Both no-rules phases, so a reader sees how far the machine moves the figures.
    expect(run.baselineAgain.wallSeconds).toBeGreaterThan(0);
    const idle = [run.baseline, run.baselineAgain].map((p) => (p.cpuSeconds / p.wallSeconds).toFixed(3));
    expect(renderRuleCost(report)[1]).toMatch(new RegExp(` ${idle[0]} / ${idle[1]}$`));
  }, 120_000);

  it('measures the fleet-wide rules (RULE_COST_VARIANT=fleet-alerts): every series the alerts read is written, none fails', async () => {
    const report = await runRuleCostBench({
      ...TINY,
      variant: 'fleet-alerts',
      adjustGroup: ({ interval: _, ...g }) => g,
      timeoutMs: 120_000,
    });
    const run = report.runs[0]!;
    const models = [0, 1, 2].map((i) => toModel(benchIntent(i)));
    const fleet = fleetRuleGroups(models, { alerts: 'fleet' });
    expect(run.variant).toBe('fleet-alerts');
    expect(run.groups).toBe(fleet.length);
    expect(run.rules).toBe(fleet.reduce((a, g) => a + g.rules.length, 0));
    // Each rollout's series the alerts read (per version), plus the fleet's own and the info series.
    const read = models.flatMap((m) =>
      buildRuleGroups(m)
        .flatMap((g) => g.rules)
        .filter((r) => !isAlertRule(r) && !/5xx:rate|_bucket:rate/.test(r.record)),
    );
    expect(run.recordedSeries).toBeGreaterThan(read.length);
    expect(run.evaluationFailures).toBe(0);
    expect(run.missedIterations).toBe(0);
    expect(renderRuleCost(report)[1]).toMatch(/^rules {2}fleet-alerts {1}3 /);
  }, 120_000);
});
