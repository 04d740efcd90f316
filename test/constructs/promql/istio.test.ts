import { describe, expect, it } from 'vitest';
import { eq, render } from '../../../constructs/promql/ast.js';
import { errorsExpr, istioTarget, type IstioTarget } from '../../../constructs/promql/istio.js';
import { rolloutModel } from '../fixtures.js';
import { promqlSyntaxError } from './syntax.js';

const http: IstioTarget = istioTarget(rolloutModel());
const grpc: IstioTarget = istioTarget(rolloutModel({ metrics: { protocol: 'grpc' } }));
const BASE =
  'istio_requests_total{reporter="destination", destination_service_name="checkout", destination_service_namespace="shop", destination_version=~"v1|v2"';

describe('errorsExpr', () => {
  it('counts only 5xx responses for http, exactly as the rules always did', () => {
    const text = render(errorsExpr(http, 300_000, ['destination_version']));
    expect(text).toBe(`sum by (destination_version) (rate(${BASE}, response_code=~"5.."}[5m]))`);
    expect(promqlSyntaxError(text)).toBeUndefined();
  });

  it('adds non-5xx responses with a server-side gRPC status for grpc, as a union that survives either side being empty', () => {
    const text = render(errorsExpr(grpc, 300_000, ['destination_version']));
    expect(text).toBe(
      `sum by (destination_version) (rate(${BASE}, response_code=~"5.."}[5m]) or ` +
        `rate(${BASE}, response_code!~"5..", grpc_response_status=~"2|4|8|13|14|15"}[5m]))`,
    );
    expect(promqlSyntaxError(text)).toBeUndefined();
  });

  it('narrows both sides with extra matchers and counts with increase for the gate evidence', () => {
    const text = render(errorsExpr(grpc, 600_000, [], { fn: 'increase', extra: [eq('destination_version', 'v2')] }));
    expect(text).toBe(
      `sum(increase(${BASE}, response_code=~"5..", destination_version="v2"}[10m]) or ` +
        `increase(${BASE}, response_code!~"5..", grpc_response_status=~"2|4|8|13|14|15", destination_version="v2"}[10m]))`,
    );
    expect(promqlSyntaxError(text)).toBeUndefined();
  });
});
