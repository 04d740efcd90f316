import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { istioctlAnalyze } from '../../app/istioctl.js';
import { compile, type CompiledRollout } from '../../constructs/compile.js';
import { runCli } from '../run-cli.js';
import { fakeIstioctl } from './fake-istioctl.js';

const PATH = (dir: string) => `${dir}${delimiter}${process.env.PATH ?? ''}`;

function compiled(dir: string): CompiledRollout[] {
  return compile(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ path: `${dir}/${f}`, text: readFileSync(`${dir}/${f}`, 'utf8') })),
  );
}

describe('the fake istioctl behaves as istioctl analyze --use-kube=false does (checked before trusting it)', () => {
  const rollouts = compiled('rollouts');
  const files = (dir: string) =>
    rollouts.map((c, i) => {
      const file = join(dir, `${i}.yaml`);
      writeFileSync(file, c.content);
      return file;
    });

  // The old stagegate call: no -A, so only namespace default is reported (filterMessages), and the
  // shipped rollouts (namespaces shop and payments) passed with nothing analyzed at all.
  it('reports nothing about objects outside namespace default without -A, and exits 0', () => {
    const fake = fakeIstioctl();
    const run = spawnSync(join(fake.dir, 'istioctl'), ['analyze', '--use-kube=false', ...files(fake.dir)], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
  });

  it('with -A and no Service in the input, reports IST0101 for every destination and exits 79 in log format', () => {
    const fake = fakeIstioctl();
    const run = spawnSync(join(fake.dir, 'istioctl'), ['analyze', '--use-kube=false', '-A', ...files(fake.dir)], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(79);
    expect(run.stdout).toContain(
      'Error [IST0101] (VirtualService shop/checkout) Referenced host not found: "checkout"',
    );
    expect(run.stdout).toContain(
      'Warning [IST0174] (DestinationRule shop/checkout) The host checkout defined in the DestinationRule does not match any services in the mesh.',
    );
  });
});

describe('istioctlAnalyze: the offline path (issue 11 item 5)', () => {
  it('passes on the shipped rollouts: Service stubs, all namespaces, IST0173 suppressed per DestinationRule', () => {
    const fake = fakeIstioctl();
    const rollouts = compiled('rollouts');
    const result = istioctlAnalyze(rollouts, PATH(fake.dir));
    expect(result).toMatchObject({ ran: true, ok: true, messages: [], output: '' });
    const call = fake.calls().find((c) => c.args[0] === 'analyze')!;
    const flags = call.args.filter((a) => !a.startsWith('/'));
    expect(flags).toEqual([
      'analyze',
      '--use-kube=false',
      '--all-namespaces',
      '--output',
      'json',
      ...rollouts.flatMap((c) => ['--suppress', `IST0173=DestinationRule ${c.model.namespace}/${c.model.name}`]),
    ]);
    const stubs = parseAllDocuments(call.files[call.files.length - 1]!).map((d) => d.toJS());
    expect(
      stubs.map((s) => `${s.kind} ${s.metadata.namespace}/${s.metadata.name} ${JSON.stringify(s.spec.ports)}`),
    ).toEqual(
      rollouts.map(
        (c) =>
          `Service ${c.model.namespace}/${c.model.service.host} [{"name":"${c.model.metrics.protocol === 'grpc' ? 'grpc' : 'http'}-${c.model.service.port}","port":${c.model.service.port}}]`,
      ),
    );
  });

  it('stubs the Service of a Kubernetes FQDN host in its own namespace, and leaves missing gateways to the notes', () => {
    const fake = fakeIstioctl();
    const result = istioctlAnalyze(compiled('test/fixtures/good-intents'), PATH(fake.dir));
    expect(result).toMatchObject({ ran: true, ok: true, messages: [] });
    if (!result.ran) throw new Error('not ran');
    expect(result.notes).toEqual([
      'IST0173 (subset selects no pods) is only known in a cluster; suppressed',
      'Gateways live outside the repository, not checked offline: "istio-system/public"',
    ]);
  });

  it('fails on an Error that is real offline: a route to a host no Service stub covers', () => {
    const fake = fakeIstioctl();
    const [checkout] = compiled('rollouts').filter((c) => c.model.name === 'checkout');
    const edited = { ...checkout!, content: checkout!.content.replace(/host: checkout\n(\s+port)/, 'host: ghost\n$1') };
    const result = istioctlAnalyze([edited], PATH(fake.dir));
    expect(result).toMatchObject({
      ran: true,
      ok: false,
      output: 'Error [IST0101] (VirtualService shop/checkout) Referenced host not found: "ghost"',
    });
  });

  // With -o json istioctl exits 0 even with Error messages (analyze.go checks the threshold only
  // for log output): the levels decide.
  it('judges by the levels of the JSON messages, not the exit code', () => {
    const fake = fakeIstioctl();
    fake.answer([
      {
        code: 'IST0109',
        level: 'Error',
        message: 'The VirtualServices shop/a,shop/b …',
        origin: 'VirtualService shop/a',
      },
    ]);
    const error = istioctlAnalyze(compiled('rollouts'), PATH(fake.dir));
    expect(error).toMatchObject({ ran: true, ok: false });
    fake.answer([
      { code: 'IST0132', level: 'Warning', message: 'one or more host …', origin: 'VirtualService shop/a' },
    ]);
    const warning = istioctlAnalyze(compiled('rollouts'), PATH(fake.dir));
    expect(warning).toMatchObject({
      ran: true,
      ok: true,
      output: 'Warning [IST0132] (VirtualService shop/a) one or more host …',
    });
  });

  it('fails with istioctl’s own words when it exits non-zero', () => {
    const fake = fakeIstioctl();
    fake.failWith(64);
    expect(istioctlAnalyze(compiled('rollouts'), PATH(fake.dir))).toMatchObject({
      ran: true,
      ok: false,
      output: 'istioctl analyze failed (exit 64): Error: unknown flag',
    });
  });

  it('is skipped, not failed, without istioctl on PATH', () => {
    expect(istioctlAnalyze(compiled('rollouts'), '/nonexistent')).toEqual({
      ran: false,
      reason: 'istioctl is not on PATH; built-in analysis only',
    });
  });
});

describe('stagegate check with istioctl on PATH', () => {
  it('passes on a repository whose generated/ is current', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'stagegate-check-'));
    const fake = fakeIstioctl();
    try {
      cpSync('rollouts', join(cwd, 'rollouts'), { recursive: true });
      const env = { PATH: PATH(fake.dir) };
      expect((await runCli(['synth'], cwd, env)).code).toBe(0);
      const clean = await runCli(['check'], cwd, env);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('istioctl analyze (offline, all namespaces): ok\n');
      expect(clean.stdout).toContain('note: IST0173 (subset selects no pods) is only known in a cluster; suppressed\n');
      expect(clean.stdout).toContain('check: 4 rollout(s), 0 error(s), 0 warning(s)\n');
      // An Error from istioctl fails check and is counted in its summary.
      fake.answer([
        { code: 'IST0109', level: 'Error', message: 'The VirtualServices …', origin: 'VirtualService shop/a' },
      ]);
      const failed = await runCli(['check'], cwd, env);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain(
        'istioctl analyze (offline, all namespaces): failed\nError [IST0109] (VirtualService shop/a) The VirtualServices …\n',
      );
      expect(failed.stdout).toContain('check: 4 rollout(s), 1 error(s), 0 warning(s)\n');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("judges a hand-edited generated/ file as Istio's webhook would, beside calling it stale", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'stagegate-check-'));
    try {
      cpSync('rollouts', join(cwd, 'rollouts'), { recursive: true });
      const env = { PATH: '/nonexistent' };
      expect((await runCli(['synth'], cwd, env)).code).toBe(0);
      const file = join(cwd, 'generated/checkout.k8s.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('retryOn: 5xx,reset,connect-failure', 'retryOn: 5xx, reset'),
      );
      const checked = await runCli(['check'], cwd, env);
      expect(checked.code).toBe(1);
      expect(checked.stdout).toContain(
        'error SG0110 VirtualService shop/checkout (checkout.k8s.yaml) spec.http[0].retries.retryOn: ' +
          'Istio\'s validating webhook refuses this: " reset" is not a valid retryOn policy\n',
      );
      expect(checked.stdout).toContain('error SG0001 generated/checkout.k8s.yaml: differs from synth');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
