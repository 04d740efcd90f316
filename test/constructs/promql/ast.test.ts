import { describe, expect, it } from 'vitest';
import {
  anyOf,
  binary,
  call,
  eq,
  histogramQuantile,
  num,
  ON_NOTHING,
  offset,
  promDuration,
  rate,
  re,
  render,
  selector,
  str,
  sum,
} from '../../../constructs/promql/ast.js';
import { promqlSyntaxError } from './syntax.js';

describe('PromQL builder', () => {
  it('quotes and escapes label values', () => {
    const sel = selector('istio_requests_total', [eq('destination_service_name', 'a"b\\c')]);
    expect(render(sel)).toBe('istio_requests_total{destination_service_name="a\\"b\\\\c"}');
    expect(promqlSyntaxError(render(sel))).toBeUndefined();
  });

  it('quotes string arguments and renders a many-to-one on() group_left() comparison', () => {
    const bound = call('label_replace', call('vector', num(500)), str('bound'), str('5"00'), str(''), str(''));
    const expr = render(binary('>=', bound, selector('x'), { matching: { on: [], groupLeft: [] } }));
    expect(expr).toBe('label_replace(vector(500), "bound", "5\\"00", "", "") >= on() group_left() x');
    expect(promqlSyntaxError(expr)).toBeUndefined();
  });

  it('escapes regex metacharacters in version alternatives', () => {
    expect(anyOf(['v1.2', 'v2+canary'])).toBe('v1\\.2|v2\\+canary');
    const expr = render(selector('m', [re('destination_version', anyOf(['v1.2', 'v2']))]));
    expect(promqlSyntaxError(expr)).toBeUndefined();
  });

  it('rejects names Prometheus would not accept', () => {
    expect(() => selector('bad-name')).toThrow('"bad-name" is not a valid Prometheus metric name');
    expect(() => selector('m', [eq('bad.label', 'x')])).toThrow('"bad.label" is not a valid Prometheus label name');
    expect(() => num(Number.NaN)).toThrow('PromQL number literal must be finite (got NaN)');
  });

  it('renders ranges, offsets and durations the Prometheus way', () => {
    expect(promDuration(90_000)).toBe('1m30s');
    expect(promDuration(6 * 3_600_000)).toBe('6h');
    expect(render(offset(selector('m'), 300_000))).toBe('m offset 5m');
    expect(render(rate(selector('m'), 300_000))).toBe('rate(m[5m])');
    expect(() => promDuration(0)).toThrow('positive whole number of ms');
  });

  it('parenthesises nested operators so precedence never depends on string order', () => {
    const expr = binary('*', binary('+', num(1), num(2)), num(3));
    expect(render(expr)).toBe('(1 + 2) * 3');
  });

  it('renders on() matching, group_left and bool', () => {
    const a = selector('a');
    const b = selector('b');
    expect(render(binary('>', a, b, { matching: ON_NOTHING }))).toBe('a > on() b');
    expect(render(binary('*', a, b, { matching: { on: ['x'], groupLeft: ['y'] } }))).toBe('a * on(x) group_left(y) b');
    expect(render(binary('>', a, num(0), { bool: true }))).toBe('a > bool 0');
  });

  it('hides float noise in number literals', () => {
    expect(render(num(14.4 * 0.01))).toBe('0.144');
    expect(render(num(0.00001))).toBe('0.00001');
  });

  it('produces expressions the official grammar parses without errors', () => {
    const sel = selector('istio_request_duration_milliseconds_bucket', [eq('reporter', 'destination')]);
    const exprs = [
      histogramQuantile(0.99, sum(rate(sel, 300_000), ['destination_version', 'le'])),
      binary('or', sum(selector('x')), call('vector', num(0))),
      binary('and', binary('>', selector('a'), num(0.01)), selector('b'), { matching: ON_NOTHING }),
    ];
    for (const e of exprs) expect(promqlSyntaxError(render(e))).toBeUndefined();
  });

  it('reports an error node for broken PromQL (the syntax check itself can fail)', () => {
    expect(promqlSyntaxError('sum(rate(x[5m])')).toMatch(/^syntax error at/);
  });
});
