/**
 * `check --prometheus`: each user signal query, filled in for stable, asked of a real Prometheus
 * (backfilled history): a selector that selects nothing is an error at its own file:line:column.
 * The history has the app's order counter and queue gauge, nothing of cAdvisor or kube-state-metrics,
 * and Istio requests under another service name.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalsSelectingNothing } from '../../app/check-signals.js';
import { PrometheusApi } from '../../app/gate/prometheus-api.js';
import { compile } from '../../constructs/compile.js';
import { backfill, startPrometheus, type RunningPrometheus } from '../../tools/prometheus.js';

const FILE = 'docs/examples/signals/checkout-signals.yaml';
const END = Math.floor(Date.now() / 1000 / 60) * 60 - 10 * 60;

function history(): string {
  const lines: string[] = [
    '# TYPE checkout_orders counter',
    '# TYPE checkout_queue_depth gauge',
    '# TYPE istio_requests counter',
  ];
  const orders: string[] = [];
  const depth: string[] = [];
  const istio: string[] = [];
  for (let t = END - 3600, i = 0; t <= END; t += 30, i++) {
    orders.push(`checkout_orders_total{namespace="shop",version="v1",result="paid"} ${i * 600} ${t}`);
    depth.push(`checkout_queue_depth{namespace="shop",version="v1"} 100 ${t}`);
    istio.push(
      `istio_requests_total{reporter="destination",destination_service_name="cart",destination_service_namespace="shop",destination_version="v1"} ${i * 9000} ${t}`,
    );
  }
  return [lines[0], ...orders, lines[1], ...depth, lines[2], ...istio, '# EOF', ''].join('\n');
}

let prometheus: RunningPrometheus;
let tsdb: ReturnType<typeof backfill>;
beforeAll(async () => {
  tsdb = backfill(history());
  prometheus = await startPrometheus({ tsdbDir: tsdb.dir });
}, 120_000);
afterAll(async () => {
  await prometheus?.stop();
  tsdb?.remove();
});

describe('check --prometheus on user signals', () => {
  it('names the file:line:column of every selector that selects nothing', async () => {
    const compiled = compile([{ path: FILE, text: readFileSync(FILE, 'utf8') }]);
    const problems = await signalsSelectingNothing(
      compiled,
      new PrometheusApi(prometheus.url),
      process.cwd(),
      new Date(END * 1000),
    );
    // The orders counter and the queue gauge exist; cAdvisor, kube-state-metrics and this service's Istio series don't.
    expect(problems).toEqual([
      `${FILE}:37:18: spec.signals[2].query: container_cpu_usage_seconds_total{namespace="shop", container="checkout"} selects nothing in Prometheus (filled in for stable v1); check the metric name and its labels`,
      `${FILE}:38:49: spec.signals[2].query: kube_pod_labels{namespace="shop", label_version="v1"} selects nothing in Prometheus (filled in for stable v1); check the metric name and its labels`,
      `${FILE}:39:17: spec.signals[2].query: kube_pod_container_resource_limits{namespace="shop", container="checkout", resource="cpu"} selects nothing in Prometheus (filled in for stable v1); check the metric name and its labels`,
      `${FILE}:40:49: spec.signals[2].query: kube_pod_labels{namespace="shop", label_version="v1"} selects nothing in Prometheus (filled in for stable v1); check the metric name and its labels`,
      `${FILE}:48:18: spec.signals[3].query: istio_requests_total{reporter="destination", destination_service_name="checkout", destination_service_namespace="shop", destination_version="v1"} selects nothing in Prometheus (filled in for stable v1); check the metric name and its labels`,
      `${FILE}:49:22: spec.signals[3].query: istio_requests_total{reporter="destination", destination_service_name="checkout", destination_service_namespace="shop"} selects nothing in Prometheus (filled in for stable v1); check the metric name and its labels`,
    ]);
  }, 60_000);
});
