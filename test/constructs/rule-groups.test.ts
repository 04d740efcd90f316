/**
 * How a rollout's rules are split into groups (docs/design.md §7, rule cost): each rule reads only
 * what an earlier rule of its own group wrote at this evaluation, or what the other group wrote;
 * per raw window the raw requests are read twice (all of them, and the errors' subset), the
 * buckets once.
 */
import { describe, expect, it } from 'vitest';
import { buildRuleGroups, isAlertRule, type RuleGroup } from '../../constructs/alert-rules.js';
import { ruleGroupName } from '../../constructs/conventions.js';
import { recordingIntervalMs, slowRecordingIntervalMs } from '../../constructs/promql/windows.js';
import type { RolloutModel } from '../../constructs/model.js';
import { rolloutModel } from './fixtures.js';

const VARIANTS: Record<string, RolloutModel> = {
  'the 1 % stage': rolloutModel(),
  'the cohort stage': rolloutModel({ stage: 'internal' }),
  'busy traffic': rolloutModel({ traffic: { requestsPerSecond: 40 } }),
  'unknown traffic': rolloutModel({ traffic: { requestsPerSecond: undefined } }),
  'grpc at timeScale 60': rolloutModel({ metrics: { protocol: 'grpc', timeScale: 60 } }),
};

const reads = (expr: string) => [...expr.matchAll(/stagegate:[\w:]+/g)].map((m) => m[0]);
const raw = (expr: string) => [...expr.matchAll(/(istio_[a-z_]+)\{[^}]*\}\[(\w+)\]/g)].map((m) => `${m[1]}[${m[2]}]`);

describe('rule groups', () => {
  for (const [name, model] of Object.entries(VARIANTS)) {
    it(`lets every alert read recordings of this evaluation: ${name}`, () => {
      const groups: RuleGroup[] = buildRuleGroups(model);
      const [main, ...others] = groups;
      const slow = new Set(others.flatMap((g) => g.rules.flatMap((r) => (isAlertRule(r) ? [] : [r.record]))));
      const written = new Set<string>();
      for (const rule of main!.rules) {
        // A name read before its rule ran in this group would be the previous evaluation's value.
        // Only an alert may read the slow group (its value up to one slow interval old): a recording
        // reading it would pass a stale value on to every rule that reads the recording.
        const from = isAlertRule(rule) ? (r: string) => written.has(r) || slow.has(r) : (r: string) => written.has(r);
        for (const r of reads(rule.expr)) expect(from(r), `${r} before its rule`).toBe(true);
        if (!isAlertRule(rule)) written.add(rule.record);
      }
      expect(others.flatMap((g) => g.rules).filter(isAlertRule)).toEqual([]);
      const slowWritten = new Set<string>();
      for (const rule of others.flatMap((g) => g.rules)) {
        for (const r of reads(rule.expr)) {
          expect(written.has(r) || slowWritten.has(r), `${r} from the rules group or above it`).toBe(true);
        }
        if (!isAlertRule(rule)) slowWritten.add(rule.record);
      }
    });
  }

  it('reads the raw requests twice per raw window (all, and the errors), the buckets once on the short window', () => {
    const rules = buildRuleGroups(rolloutModel()).flatMap((g) => g.rules);
    const rawReads = rules.flatMap((r) => raw(r.expr)).sort();
    expect(rawReads).toEqual([
      'istio_request_duration_milliseconds_bucket[2m]',
      'istio_requests_total[10m]',
      'istio_requests_total[10m]',
      'istio_requests_total[2m]',
      'istio_requests_total[2m]',
      'istio_requests_total[5m]',
      'istio_requests_total[5m]',
      'istio_requests_total[5m]', // the UO share: the only reads narrowed by response_flags
    ]);
    // The errors' reads are narrowed to them; nothing else reads the 5xx subset.
    const narrowed = rules.filter((r) => /istio_requests_total\{[^}]*response_code=~"5\.\."/.test(r.expr));
    expect(narrowed.map((r) => ('record' in r ? r.record : r.alert)).sort()).toEqual([
      'stagegate:istio_requests_5xx:rate5m',
      'stagegate:istio_requests_5xx:ratio_rate10m',
      'stagegate:istio_requests_5xx:ratio_rate2m',
    ]);
  });

  it('reads the raw requests three times per raw window for grpc: all, 5xx, and the server-side gRPC statuses', () => {
    const rules = buildRuleGroups(rolloutModel({ metrics: { protocol: 'grpc' } })).flatMap((g) => g.rules);
    const perWindow = new Map<string, number>();
    for (const read of rules.flatMap((r) => raw(r.expr)).filter((r) => r.startsWith('istio_requests_total')))
      perWindow.set(read, (perWindow.get(read) ?? 0) + 1);
    // 5m: all, 5xx, gRPC statuses, and the UO share.
    expect(Object.fromEntries(perWindow)).toEqual({
      'istio_requests_total[10m]': 3,
      'istio_requests_total[2m]': 3,
      'istio_requests_total[5m]': 4,
    });
  });

  it('writes one request rate and one error ratio per version and window, the error rate only on the base window', () => {
    const records = buildRuleGroups(rolloutModel())
      .flatMap((g) => g.rules)
      .flatMap((r) => (isAlertRule(r) ? [] : [r.record]));
    expect(records.filter((r) => r.startsWith('stagegate:istio_requests_5xx:rate'))).toEqual([
      'stagegate:istio_requests_5xx:rate5m',
    ]);
    const windows = (prefix: string) =>
      records
        .filter((r) => r.startsWith(prefix))
        .map((r) => r.slice(prefix.length))
        .sort();
    expect(windows('stagegate:istio_requests:rate')).toEqual(['10m', '1h', '2m', '30m', '5m', '6h']);
    expect(windows('stagegate:istio_requests_5xx:ratio_rate')).toEqual(['10m', '1h', '2m', '30m', '5m', '6h']);
    expect(records.some((r) => r.includes('by_code'))).toBe(false);
  });

  it('keeps the alert group’s name from before, so a reload carries firing alerts over (manager.go CopyState)', () => {
    // Prometheus copies an alert's state over a rule reload only into a group of the same file and
    // name (rules/manager.go Update → CopyState); the alerts lived in stagegate.<name>.alerts before
    // they joined the recordings, and the gate looks for them by that group.
    expect(ruleGroupName('checkout')).toBe('stagegate.checkout.alerts');
    expect(buildRuleGroups(rolloutModel())[0]!.name).toBe('stagegate.checkout.alerts');
  });

  it('keeps two slow-group intervals inside the 5m lookback at every time scale (promtool ignores intervals)', () => {
    // promtool evaluates every group at its own evalInterval (cmd/promtool/unittest.go), so no
    // promtool suite sees the slow group's interval: this is the only guard on it.
    for (const scale of [1, 2, 5, 10, 30, 60, 120, 600, 3600]) {
      expect(2 * slowRecordingIntervalMs(scale)).toBeLessThanOrEqual(5 * 60_000);
      expect(slowRecordingIntervalMs(scale)).toBeGreaterThanOrEqual(recordingIntervalMs(scale));
    }
  });
});
