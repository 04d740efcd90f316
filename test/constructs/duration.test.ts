import { describe, expect, it } from 'vitest';
import { formatDuration, formatProtoDuration, isDuration, parseDuration } from '../../constructs/duration.js';
import { promDuration } from '../../constructs/promql/ast.js';

describe('durations', () => {
  it('parses Go-style compound durations into milliseconds', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('7d')).toBe(604_800_000);
  });

  it('rejects what it does not understand with an example of what it does', () => {
    expect(isDuration('1.5h')).toBe(false);
    expect(isDuration('10')).toBe(false);
    expect(() => parseDuration('ten minutes')).toThrow(
      '"ten minutes" is not a duration (expected e.g. 500ms, 30s, 5m, 1h30m, 7d)',
    );
  });

  it('formats the shortest Go form for Prometheus and the seconds form for Istio', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatProtoDuration(500)).toBe('0.5s');
    expect(formatProtoDuration(1_250)).toBe('1.25s');
    expect(formatProtoDuration(90_000)).toBe('90s');
  });

  it('writes whole days as hours in intents and rule files, and as days in PromQL ranges', () => {
    expect(formatDuration(7 * 86_400_000 + 1_500)).toBe('168h1s500ms');
    expect(promDuration(7 * 86_400_000 + 1_500)).toBe('7d1s500ms');
    expect(promDuration(90 * 60_000)).toBe('1h30m');
  });
});
