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
import { main } from '../../../app/cli/main.js';
import { openRetry, retryBranch } from '../../../app/bot/retry.js';
import { delayRefusal, drillBranch, drillNote, dropDrill, openDrill, setDrill } from '../../../app/drill/open.js';
import { BOT_TOKEN, INTENT, MIN, OWNER, REPO, world, type World, cliIo } from '../bot/harness.js';
import { STAGED, STAGED_OUT, STAGED_PATH, stagedWorld, vsRoutes } from './staged.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

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
    const run = cliIo(env);
    expect(await main(['drill', 'checkout-staging', '--abort', '503', '--repo', `${OWNER}/${REPO}`], run)).toBe(0);
    expect(run.out.join('')).toMatch(
      /^shop-staging\/checkout-staging: drill #(\d+) opened \(abort 503 on 100 % of the cohort route\); merge it to start\n$/,
    );
    expect(run.err.join('')).toBe(
      "shop-staging/checkout-staging: note: an abort drill rehearses the rollback path, not the built-in detection: Envoy answers the abort in the client proxy before any canary pod sees it, so the canary's own alerts never count it; the drill's own alert (stagegate_signal drill:fault: response_flags FI on reporter source) turns the gate red\n",
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
    const run = cliIo({ GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' });
    expect(await main(['drill', 'checkout', '--abort', '503', '--yes-production', '--repo', 'acme/deploy'], run)).toBe(
      1,
    );
    expect(run.err.join('')).toContain('(given once)');
    expect((await w.pulls()).length).toBe(0);
    const twice = cliIo(run.env as Record<string, string>);
    const yes = ['--yes-production', '--yes-production', '--repo', 'acme/deploy'];
    // A delay the destination reporter cannot time is refused, with the reason.
    expect(await main(['drill', 'checkout', '--delay', '2s', '--percent', '50', ...yes], twice)).toBe(1);
    expect(twice.err.join('')).toContain('no drill: a delay drill needs metrics.reporter: source: ');
    expect((await w.pulls()).length).toBe(0);
    expect(await main(['drill', 'checkout', '--abort', '500', '--percent', '50', ...yes], twice)).toBe(0);
    expect(
      vsRoutes(w.gh.readFile(drillBranch({ namespace: 'shop', name: 'checkout' }), 'generated/checkout.k8s.yaml')!)[0]!
        .fault,
    ).toEqual({
      abort: { httpStatus: 500, percentage: { value: 50 } },
    });
    const usage = cliIo(run.env as Record<string, string>);
    expect(await main(['drill', 'checkout-staging', '--repo', 'acme/deploy'], usage)).toBe(2);
    expect(usage.err.join('')).toContain('give exactly one of --abort STATUS (e.g. 503) or --delay DURATION (e.g. 2s)');
  });

  it('refuses an abort drill while FI responses of the service already flow, and opens none (review F5)', async () => {
    w = await stagedWorld();
    const bot = w.bot();
    const abort = { kind: 'abort', httpStatus: 503, percent: 100 } as const;
    const asked: string[] = [];
    const report = await openDrill(bot.options, STAGED_PATH, abort, {
      faultsAlready: async (m) => {
        asked.push(`${m.namespace}/${m.name}`);
        return 12;
      },
    });
    expect(report).toEqual({
      rollout: 'shop-staging/checkout-staging',
      ok: false,
      summary:
        'no drill: checkout: 12 responses with response flag FI (reporter source) over the last 1m before any drill; the drill alert counts every FI of the service and would fire on them, so find that fault first',
    });
    expect(asked).toEqual(['shop-staging/checkout-staging']);
    expect((await w.pulls()).length).toBe(0);
    const none = await openDrill(bot.options, STAGED_PATH, abort, { faultsAlready: async () => 0 });
    expect(none.ok).toBe(true);
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

describe('drillNote / delayRefusal', () => {
  it('says an abort drill rehearses the rollback path, and refuses a delay the reporter cannot time', () => {
    expect(drillNote({ kind: 'abort', httpStatus: 503, percent: 100 })).toMatch(
      /^an abort drill rehearses the rollback path, not the built-in detection: /,
    );
    expect(drillNote({ kind: 'delay', fixedDelayMs: 2000, percent: 100 })).toBeUndefined();
    expect(delayRefusal({ kind: 'delay', fixedDelayMs: 2000, percent: 100 }, 'destination')).toBe(
      'a delay drill needs metrics.reporter: source: Envoy adds the delay in the client proxy before it forwards the request, so only the source reporter\'s istio_request_duration_milliseconds includes it; reporter "destination" times the request from when the canary\'s side received it and the latency rules would never see the delay (set metrics.reporter: source on the staged copy, or drill with --abort)',
    );
    expect(delayRefusal({ kind: 'delay', fixedDelayMs: 2000, percent: 100 }, 'source')).toBeUndefined();
    expect(delayRefusal({ kind: 'abort', httpStatus: 503, percent: 100 }, 'destination')).toBeUndefined();
  });
});
