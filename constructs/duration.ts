/**
 * Durations in intents are Go-style strings ("30m", "1h30m", "500ms", "7d"), the form both
 * Istio and Prometheus users already write. Internally they are whole milliseconds.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d)/g;

/** True when `text` is a duration this tool understands. */
export function isDuration(text: string): boolean {
  return DURATION_RE.test(text);
}

/** Milliseconds in `text`; throws on anything {@link isDuration} rejects. */
export function parseDuration(text: string): number {
  if (!isDuration(text)) {
    throw new Error(`"${text}" is not a duration (expected e.g. 500ms, 30s, 5m, 1h30m, 7d)`);
  }
  let total = 0;
  for (const match of text.matchAll(PART_RE)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return total;
}

/**
 * The shortest Go-style form of `ms` ("90m" → "1h30m"); days are written as hours because
 * neither Envoy nor Prometheus rule files accept "d" everywhere.
 */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`cannot format ${ms} ms as a duration`);
  if (ms === 0) return '0s';
  return wholeUnits(ms, { days: false });
}

/**
 * `ms` (a positive whole number) in Go's duration syntax, largest unit first, each unit at most
 * once ("90m" → "1h30m"). With `days`, whole days are written as "d", which Prometheus ranges and
 * offsets accept (promql/ast.ts promDuration); without, as hours.
 */
export function wholeUnits(ms: number, opts: { readonly days: boolean }): string {
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    if (unit === 'd' && !opts.days) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/**
 * `ms` as protobuf JSON wants a Duration ("0.5s", "90s"): the one form that every Istio version
 * and both Go's and CEL's parsers accept, unlike "1m30s" which only some accept.
 */
export function formatProtoDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`cannot format ${ms} ms as a duration`);
  const seconds = Math.floor(ms / 1000);
  const fraction = ms % 1000;
  return fraction === 0 ? `${seconds}s` : `${seconds}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}s`;
}
