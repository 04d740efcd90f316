/**
 * `stagegate drill` (issue #16): one PR on `stagegate-drill/<ns>/<name>` that adds `spec.drill` to
 * a staged copy's intent and regenerates generated/, so the fault sits on the VirtualService's
 * cohort route only; production refused unless told twice; the bot never adopts the PR; once a
 * person merges it, a red gate rolls back and the rollback takes the fault away with the route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import {
  CHECK_VERIFY,
  ROUTE_COHORT,
  ROUTE_DEFAULT,
  rollbackBranch,
  stageBranch,
} from '../../../constructs/conventions.js';
import { main, type Io } from '../../../app/cli/main.js';
import { openRetry, retryBranch } from '../../../app/bot/retry.js';
import { drillBranch, dropDrill, faultBlindSpot, openDrill, setDrill } from '../../../app/drill/open.js';
import { BOT_TOKEN, INTENT, MIN, OWNER, REPO, world, type World } from '../bot/harness.js';
import { STAGED, STAGED_OUT, STAGED_PATH, stagedWorld, vsRoutes } from './staged.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function io(env: Record<string, string>): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: process.cwd(), env };
}

describe('setDrill / dropDrill', () => {
  it('dropDrill gives back the intent as it was before setDrill', () => {
    expect(dropDrill(setDrill(INTENT, { kind: 'abort', httpStatus: 503, percent: 100 }))).toBe(INTENT);
    expect(dropDrill(INTENT)).toBe(INTENT);
  });

  it('adds one flow line after spec.stage and keeps every other byte', () => {
    expect(setDrill(INTENT, { kind: 'abort', httpStatus: 503, percent: 100 })).toBe(
      INTENT.replace(
        '  stage: internal   # the live stage\n',
        '  stage: internal   # the live stage\n  drill: { abort: { httpStatus: 503, percent: 100 } }\n',
      ),
    );
    expect(setDrill(INTENT, { kind: 'delay', fixedDelayMs: 2000, percent: 50 })).toContain(
      '  drill: { delay: { fixedDelay: 2000ms, percent: 50 } }\n',
    );
  });
});

describe('stagegate drill', () => {
  it('opens one drill PR: spec.drill in the intent, the fault on the cohort route only, generated/ reproducible', async () => {
    w = await stagedWorld();
    const env = { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' };
    const run = io(env);
    expect(await main(['drill', 'checkout-staging', '--abort', '503', '--repo', `${OWNER}/${REPO}`], run)).toBe(0);
    expect(run.out.join('')).toMatch(
      /^shop-staging\/checkout-staging: drill #(\d+) opened \(abort 503 on 100 % of the cohort route\); merge it to start\n$/,
    );
    expect(run.err.join('')).toBe(
      'shop-staging/checkout-staging: warning: an injected abort is answered by the client proxy before an upstream host is picked: reporter "destination" never counts it and reporter "source" counts it under destination_version "unknown", so the canary loses requests instead of gaining errors; expect a hold on missing canary data (a failed drill) unless other signals see it; a delay with metrics.reporter source is visible\n',
    );
    const ref = drillBranch({ namespace: 'shop-staging', name: 'checkout-staging' });
    expect(ref).toBe('stagegate-drill/shop-staging/checkout-staging');
    const intent = w.gh.readFile(ref, STAGED_PATH)!;
    expect(intent).toBe(setDrill(STAGED, { kind: 'abort', httpStatus: 503, percent: 100 }));
    const generated = w.gh.readFile(ref, STAGED_OUT)!;
    // generated/ is what the intent compiles to: nothing patched by hand.
    expect(generated).toBe(compile([{ path: STAGED_PATH, text: intent }])[0]!.content);
    const routes = vsRoutes(generated);
    expect(routes.map((r) => [r.name, r.fault ?? null])).toEqual([
      [ROUTE_COHORT, { abort: { httpStatus: 503, percentage: { value: 100 } } }],
      [ROUTE_DEFAULT, null],
    ]);
    expect(w.gh.readFile(ref, 'rollouts/changelog/shop-staging-checkout-staging.md')).toMatch(
      /## drill at internal\n\n- abort 503 on 100 % of the cohort route \(canary v2\); expected: the gate turns red and the bot rolls back\n$/,
    );
    const pr = (await w.pulls()).find((p) => p.head.ref === ref)!;
    expect([pr.state, pr.labels.map((l) => l.name)]).toEqual(['open', ['stagegate']]);
    // The production copy is untouched.
    expect(w.gh.readFile(ref, 'rollouts/checkout.yaml')).toBe(INTENT);

    // A second drill while the first PR is open moves nothing new: same branch, same PR.
    const again = await openDrill(w.bot().options, STAGED_PATH, { kind: 'abort', httpStatus: 503, percent: 100 });
    expect(again.number).toBe(pr.number);
  });

  it('refuses production unless --yes-production is given twice, and a fault Istio or the gate could not use', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const abort = { kind: 'abort', httpStatus: 503, percent: 100 } as const;
    expect(await openDrill(bot.options, 'rollouts/checkout.yaml', abort, { yesProduction: 1 })).toEqual({
      rollout: 'shop/checkout',
      ok: false,
      summary:
        'no drill: refusing to drill in shop: it is not marked as staging (staging, staging-*, *-staging or --staging-namespace shop), so it counts as production; give --yes-production twice to drill it anyway (given once)',
    });
    expect((await openDrill(bot.options, STAGED_PATH, { kind: 'abort', httpStatus: 404, percent: 100 })).summary).toBe(
      'no drill: invalid fault: httpStatus 404: the error rules count 5xx only, so the gate would never turn red',
    );
    const run = io({ GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' });
    expect(await main(['drill', 'checkout', '--abort', '503', '--yes-production', '--repo', 'acme/deploy'], run)).toBe(
      1,
    );
    expect(run.err.join('')).toContain('(given once)');
    expect((await w.pulls()).length).toBe(0);
    const twice = io(run.env as Record<string, string>);
    const argv = ['drill', 'checkout', '--delay', '2s', '--percent', '50', '--yes-production', '--yes-production'];
    expect(await main([...argv, '--repo', 'acme/deploy'], twice)).toBe(0);
    expect(
      vsRoutes(w.gh.readFile(drillBranch({ namespace: 'shop', name: 'checkout' }), 'generated/checkout.k8s.yaml')!)[0]!
        .fault,
    ).toEqual({
      delay: { fixedDelay: '2s', percentage: { value: 50 } },
    });
    const usage = io(run.env as Record<string, string>);
    expect(await main(['drill', 'checkout-staging', '--repo', 'acme/deploy'], usage)).toBe(2);
    expect(usage.err.join('')).toContain('give exactly one of --abort STATUS (e.g. 503) or --delay DURATION (e.g. 2s)');
  });

  it('refuses a stage without the cohort route', async () => {
    const noCohort = STAGED.replace(/ {2}cohort: .*\n/, '')
      .replace(/ {4}- \{ name: internal.*\n/, '')
      .replace('stage: internal', 'stage: one-percent');
    const gen = compile([{ path: STAGED_PATH, text: noCohort }])[0]!;
    w = await world({ [STAGED_PATH]: noCohort, [STAGED_OUT]: gen.content });
    expect(
      (await openDrill(w.bot().options, STAGED_PATH, { kind: 'abort', httpStatus: 503, percent: 100 })).summary,
    ).toBe(
      'no drill: one-percent: no route of this stage sends traffic to the canary only: Istio applies a fault per route, before the weighted destination is picked, so it would hit stable too; drill a stage with the cohort route',
    );
  });

  it('after a person merges it, the bot leaves the fault in place until a red gate rolls back, which removes it', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const d = await openDrill(bot.options, STAGED_PATH, { kind: 'abort', httpStatus: 503, percent: 100 });
    expect(d.ok).toBe(true);
    await bot.pass();
    expect((await w.pulls()).find((p) => p.number === d.number)!.state).toBe('open');
    await w.person.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: d.number!, merge_method: 'squash' });
    w.advance(MIN);
    await bot.pass();
    const stage = stageBranch('shop-staging', 'checkout-staging', 'one-percent');
    // The stage PR carries the fault too: it was built from the drilled intent.
    expect(vsRoutes(w.gh.readFile(stage, STAGED_OUT)!)[0]!.fault).toBeDefined();
    await w.greenChecks(stage, 'failure');
    const summaries = (await bot.pass()).map((r) => r.summary);
    expect(summaries.some((s) => /^rolling back: #\d+ opened/.test(s))).toBe(true);
    const rb = (await w.pulls()).find((p) => p.head.ref === rollbackBranch('shop-staging', 'checkout-staging'))!;
    await w.check(rb.head.sha, CHECK_VERIFY, 'success');
    await bot.pass();
    const routes = vsRoutes(w.gh.readFile('main', STAGED_OUT)!);
    expect(routes.map((r) => [r.name, r.fault ?? null, r.route.map((x) => [x.destination.subset, x.weight])])).toEqual([
      [
        ROUTE_DEFAULT,
        null,
        [
          ['stable', 100],
          ['canary', 0],
        ],
      ],
    ]);
    // A retry starts the new canary without the rehearsal's fault.
    expect((await openRetry(bot.options, STAGED_PATH, 'v3')).ok).toBe(true);
    const retried = w.gh.readFile(retryBranch({ namespace: 'shop-staging', name: 'checkout-staging' }), STAGED_PATH)!;
    expect(retried).toBe(STAGED.replace('canary: v2', 'canary: v3'));
  });
});

describe('faultBlindSpot', () => {
  it('warns that the version-split rules cannot see an abort, and a delay only with reporter source', () => {
    expect(faultBlindSpot({ kind: 'abort', httpStatus: 503, percent: 100 }, 'source')).toMatch(
      /^an injected abort is answered by the client proxy before an upstream host is picked/,
    );
    expect(faultBlindSpot({ kind: 'delay', fixedDelayMs: 2000, percent: 100 }, 'destination')).toBe(
      `the delay is added in the client proxy; reporter "destination" measures the server's time only, so the latency rules will not see it (set metrics.reporter: source on the staged copy)`,
    );
    expect(faultBlindSpot({ kind: 'delay', fixedDelayMs: 2000, percent: 100 }, 'source')).toBeUndefined();
  });
});
