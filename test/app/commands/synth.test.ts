import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { readIntents } from '../../../app/workspace.js';
import { runCli } from '../../run-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BAD = join(ROOT, 'test/fixtures/bad-intents');
const scratch = mkdtempSync(join(tmpdir(), 'stagegate-synth-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(argv: string[], cwd = ROOT) {
  return runCli(argv, cwd, { PATH: '' });
}

/** Every file below `dir` with its content, to prove a failed synth touched nothing. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, name);
    try {
      out[name] = readFileSync(full, 'utf8');
    } catch {
      /* a directory */
    }
  }
  return out;
}

describe('stagegate synth', () => {
  const examples = readIntents('rollouts', ROOT);

  it('writes one file per example rollout and reports it', async () => {
    const out = join(scratch, 'out-1');
    const result = await run(['synth', '--out', out]);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'catalog.k8s.yaml',
      'checkout.k8s.yaml',
      'payments.k8s.yaml',
      'search.k8s.yaml',
    ]);
    expect(result.stdout).toContain('synth: 4 rollout(s)');
  });

  for (const intent of examples) {
    const name = intent.path.replace(/^rollouts\/(.*)\.yaml$/, '$1');
    it(`generated/${name}.k8s.yaml is what a fresh synth of ${intent.path} writes (run \`npm run synth\` to update)`, () => {
      const fresh = compile([intent])[0]!;
      expect(readFileSync(join(ROOT, 'generated', fresh.file), 'utf8')).toBe(fresh.content);
    });
  }

  it('has no file in generated/ that no intent explains', () => {
    const expected = compile(examples)
      .map((c) => c.file)
      .sort();
    expect(readdirSync(join(ROOT, 'generated')).sort()).toEqual(expected);
  });

  it('is byte-identical across runs and across input file order', () => {
    const first = compile(examples).map((c) => c.content);
    const again = compile(examples).map((c) => c.content);
    const reversed = compile([...examples].reverse()).map((c) => c.content);
    expect(again).toEqual(first);
    expect(reversed).toEqual(first);
  });

  it('prints every manifest to stdout for Argo CD and writes nothing', async () => {
    const out = join(scratch, 'never-written');
    const result = await run(['synth', '--stdout', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      compile(examples)
        .map((c) => c.content)
        .join('---\n'),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to print an empty manifest set, which would make Argo CD prune the app', async () => {
    const empty = join(scratch, 'empty-rollouts');
    mkdirSync(empty, { recursive: true });
    const result = await run(['synth', '--stdout', '--rollouts', empty]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('refusing to print an empty manifest set');
  });

  it('removes the files of rollouts that no longer exist', async () => {
    const cwd = join(scratch, 'removal');
    cpSync(join(ROOT, 'rollouts'), join(cwd, 'rollouts'), { recursive: true });
    expect((await run(['synth'], cwd)).code).toBe(0);
    rmSync(join(cwd, 'rollouts/catalog.yaml'));
    const result = await run(['synth', '--json'], cwd);
    expect(JSON.parse(result.stdout).removed).toEqual(['catalog.k8s.yaml']);
    expect(readdirSync(join(cwd, 'generated'))).not.toContain('catalog.k8s.yaml');
  });

  it('rejects two rollouts with one name, since they would share one output file', async () => {
    const cwd = join(scratch, 'dupe');
    mkdirSync(join(cwd, 'rollouts'), { recursive: true });
    const text = readFileSync(join(ROOT, 'rollouts/catalog.yaml'), 'utf8');
    writeFileSync(join(cwd, 'rollouts/a.yaml'), text);
    writeFileSync(join(cwd, 'rollouts/b.yaml'), text.replace('namespace: shop', 'namespace: other'));
    const result = await run(['synth'], cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'rollouts/b.yaml:1:1: metadata.name: rollout "catalog" is also defined in rollouts/a.yaml; both would be written to catalog.k8s.yaml',
    );
    expect(existsSync(join(cwd, 'generated'))).toBe(false);
  });
});

describe('stagegate synth on bad intents', () => {
  const cases = readdirSync(BAD)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('has at least 50 bad intents, each with its expected message', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    for (const c of cases) expect(existsSync(join(BAD, c.replace(/\.yaml$/, '.expected')))).toBe(true);
  });

  for (const file of cases) {
    it(`fails on ${file} with its exact message, exit code 1 and the output untouched`, async () => {
      const cwd = join(scratch, 'bad', file);
      const rel = 'test/fixtures/bad-intents';
      mkdirSync(join(cwd, rel), { recursive: true });
      cpSync(join(BAD, file), join(cwd, rel, file));
      mkdirSync(join(cwd, 'generated'));
      writeFileSync(join(cwd, 'generated/keep.k8s.yaml'), 'kind: Sentinel\n');
      const before = snapshotDir(join(cwd, 'generated'));
      const expected = readFileSync(join(BAD, file.replace(/\.yaml$/, '.expected')), 'utf8');
      const problems = expected.trimEnd().split('\n').length;

      const result = await run(['synth', '--rollouts', rel], cwd);
      expect(result.stderr).toBe(`${expected}stagegate: ${problems} problem(s); nothing was written\n`);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(snapshotDir(join(cwd, 'generated'))).toEqual(before);
    });
  }

  it('rejects a 10 MB intent without parsing it, and writes nothing', async () => {
    const cwd = join(scratch, 'huge');
    mkdirSync(join(cwd, 'rollouts'), { recursive: true });
    writeFileSync(join(cwd, 'rollouts/huge.yaml'), `# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    const result = await run(['synth'], cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rollouts\/huge\.yaml:1:1: .*limited to 1 MiB/);
    expect(existsSync(join(cwd, 'generated'))).toBe(false);
  });
});

describe('cdk8s synth', () => {
  it('writes the same files as stagegate synth, through the same charts', async () => {
    const cdkOut = join(scratch, 'cdk8s-out');
    const ours = join(scratch, 'ours');
    const cli = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/cdk8s-cli/bin/cdk8s'), 'synth', '--output', cdkOut],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      },
    );
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    expect((await run(['synth', '--out', ours])).code).toBe(0);
    const files = readdirSync(ours).sort();
    expect(
      readdirSync(cdkOut)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .sort(),
    ).toEqual(files);
    for (const f of files) expect(readFileSync(join(cdkOut, f), 'utf8')).toBe(readFileSync(join(ours, f), 'utf8'));
  });

  it('writes a wave across clusters as generated/<cluster>/<name>.k8s.yaml, the same bytes as stagegate synth', async () => {
    // Before, every cluster's chart had the rollout's name in one App: cdk8s threw on the duplicate.
    const intents = join(scratch, 'wave-intents');
    mkdirSync(intents, { recursive: true });
    writeFileSync(join(intents, 'storefront.yaml'), readFileSync(join(ROOT, 'test/fixtures/waves/storefront.yaml')));
    const cdkOut = join(scratch, 'wave-cdk8s');
    const ours = join(scratch, 'wave-ours');
    const cli = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/cdk8s-cli/bin/cdk8s'), 'synth', '--output', cdkOut],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', STAGEGATE_ROLLOUTS: intents },
      },
    );
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    expect((await run(['synth', '--rollouts', intents, '--out', ours])).code).toBe(0);
    const clusters = readdirSync(ours).sort();
    expect(clusters.length).toBeGreaterThan(1);
    for (const c of clusters) {
      const files = readdirSync(join(ours, c)).sort();
      expect(readdirSync(join(cdkOut, c)).filter((f) => f.endsWith('.k8s.yaml'))).toEqual(files);
      for (const f of files)
        expect(readFileSync(join(cdkOut, c, f), 'utf8')).toBe(readFileSync(join(ours, c, f), 'utf8'));
    }
  });
});
