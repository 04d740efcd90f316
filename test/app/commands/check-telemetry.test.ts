import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../run-cli.js';
import { freePort, startPrometheus, type RunningPrometheus } from '../../../tools/prometheus.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let prometheus: RunningPrometheus;

beforeAll(async () => {
  prometheus = await startPrometheus();
}, 60_000);
afterAll(async () => prometheus?.stop());

const run = (argv: string[]) => runCli(argv, ROOT, { PATH: '' });

describe('stagegate check --prometheus', () => {
  it('fails with SG0601 for each rollout whose service emits nothing the rules read', async () => {
    const result = await run(['check', '--prometheus', prometheus.url]);
    expect(result.code).toBe(1);
    const audit = result.stdout.split('\n').filter((l) => l.includes(' SG0601 '));
    expect(audit.map((l) => l.slice(0, l.indexOf(':')))).toEqual([
      'error SG0601 Rollout shop/catalog istio_requests_total',
      'error SG0601 Rollout shop/checkout istio_requests_total',
      'error SG0601 Rollout payments/payments istio_requests_total',
      'error SG0601 Rollout discovery/search istio_requests_total',
    ]);
    expect(audit[1]).toMatch(
      /^error SG0601 Rollout shop\/checkout istio_requests_total: both: no istio_requests_total series with reporter="destination", destination_service_name="checkout", destination_service_namespace="shop" in the last \d+[mh]: /,
    );
  });

  it('fails with SG0600 when Prometheus cannot be asked, never a clean check', async () => {
    const port = await freePort();
    const result = await run(['check', '--prometheus', `http://127.0.0.1:${port}`, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; findings: Array<{ code: string; message: string }> };
    expect(report.ok).toBe(false);
    expect(report.findings.filter((f) => f.code === 'SG0600').map((f) => f.message)).toEqual(
      Array(4).fill(`Prometheus at http://127.0.0.1:${port} is unreachable`),
    );
  });

  it('without the flag asks no Prometheus and passes the repository', async () => {
    const result = await run(['check']);
    expect(result.stdout).not.toContain('SG060');
    expect(result.code).toBe(0);
  });
});
