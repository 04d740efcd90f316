/**
 * The dashboard at fleet size (issue 15, "Scale"): the run of a tick (`advance --dashboard --actor`,
 * on the issues event) reads and re-renders only the ticked rollouts and keeps every other row as the
 * last full pass wrote it, so a tick costs its rollout's reads, not the whole repository's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from '../../../constructs/compile.js';
import { CHECK_HEALTH, stageBranch } from '../../../constructs/conventions.js';
import { main, type Io } from '../../../app/cli/main.js';
import { BOT_TOKEN, CI_APP, headOf, INTENT, MIN, OWNER, REPO, world, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});
const r = { owner: OWNER, repo: REPO };
const CART = INTENT.replace(/checkout/g, 'cart');

async function advance(...extra: string[]): Promise<string> {
  let out = '';
  const io: Io = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
    cwd: process.cwd(),
    env: { GITHUB_TOKEN: BOT_TOKEN, GITHUB_API_URL: w!.gh.url, STAGEGATE_RETRY_UNIT_MS: '1' },
  };
  const args = ['advance', '--repo', `${OWNER}/${REPO}`, '--app-slug', 'stagegate', '--trust-app', CI_APP];
  expect(await main([...args, '--dashboard', ...extra], io)).toBe(0);
  return out;
}
const body = async (n: number) => (await w!.ci.rest.issues.get({ ...r, issue_number: n })).data.body ?? '';
const row = (text: string, id: string) => text.split('\n').find((l) => l.startsWith(`| ${id} |`));

describe('the dashboard of a tick’s run', () => {
  it('reads and re-renders only the ticked rollout; the other rows stay as the last full pass wrote them', async () => {
    const cart = compile([{ path: 'rollouts/cart.yaml', text: CART }])[0]!;
    w = await world({ 'rollouts/cart.yaml': CART, [`generated/${cart.file}`]: cart.content }, { app: true });
    expect(await advance()).toBe(
      'shop/cart: opened #1 (internal → one-percent)\nshop/checkout: opened #2 (internal → one-percent)\ndashboard: #3 created\n',
    );
    const before = await body(3);
    // CI reports on cart's PR: a full pass would show it; the run of a tick on checkout must not read it.
    w.advance(5 * MIN);
    const cartHead = await headOf(w.ci, stageBranch('shop', 'cart', 'one-percent'));
    await w.ci.rest.checks.create({ ...r, name: CHECK_HEALTH, head_sha: cartHead, status: 'in_progress' });
    const line = before.split('\n').find((l) => l.includes('stagegate:tick:pause:shop/checkout'))!;
    await w.person.rest.issues.update({
      ...r,
      issue_number: 3,
      body: before.replace(line, line.replace('- [ ]', '- [x]')),
    });

    w.gh.resetLog();
    expect(await advance('--skip-open', '--actor', 'alice')).toContain(
      'dashboard: pause `shop/checkout` by @\u200balice: #2 labelled stagegate:pause\ndashboard: #3 edited\n',
    );
    const after = await body(3);
    expect(row(after, 'shop/cart')).toBe(row(before, 'shop/cart'));
    expect(row(after, 'shop/checkout')).toMatch(
      /^\| shop\/checkout \| internal \(1\/3\) \| 0 % \+ cohort \| paused \| #2 \|/,
    );
    expect(after).toContain('- [ ] resume `shop/checkout` (remove stagegate:pause from #2)');
    expect(after).toContain('- [ ] pause `shop/cart` (label #1 stagegate:pause)');
    const cartReads = w.gh.requests.filter((q) => q.path.includes(cartHead) || /\/(issues|pulls)\/1\//.test(q.path));
    expect(cartReads.map((q) => `${q.method} ${q.path}`)).toEqual([]);

    // The next full pass (the hourly one) refreshes every row again.
    expect(await advance()).toContain('dashboard: #3 edited\n');
    expect(row(await body(3), 'shop/cart')).toContain('| in\\_progress |');
  });

  it('keeps the other rollouts only re-rendered: a box whose text is not its marker’s is dropped, a row’s markup shows as text', async () => {
    const cart = compile([{ path: 'rollouts/cart.yaml', text: CART }])[0]!;
    w = await world({ 'rollouts/cart.yaml': CART, [`generated/${cart.file}`]: cart.content }, { app: true });
    await advance();
    const before = await body(3);
    const cartPause = before.split('\n').find((l) => l.includes('stagegate:tick:pause:shop/cart'))!;
    const forged = cartPause.replace('tick:pause:', 'tick:abort:');
    const cartRow = row(before, 'shop/cart')!;
    const markup = cartRow.replace('| internal (1/3) |', '| [internal](https://evil.example) <b>1/3</b> |');
    expect(markup).not.toBe(cartRow);
    const line = before.split('\n').find((l) => l.includes('stagegate:tick:pause:shop/checkout'))!;
    await w.person.rest.issues.update({
      ...r,
      issue_number: 3,
      body: before.replace(line, line.replace('- [ ]', '- [x]')).replace(cartPause, forged).replace(cartRow, markup),
    });
    expect(await advance('--skip-open', '--actor', 'alice')).toContain('dashboard: #3 edited\n');
    const after = await body(3);
    expect(after).not.toContain(forged);
    expect(after).toContain(
      '- [ ] abort `shop/cart` (open the rollback PR: 100 % stable) <!-- stagegate:tick:abort:shop/cart -->',
    );
    expect(row(after, 'shop/cart')).toBe(
      cartRow.replace('| internal (1/3) |', '| \\[internal\\](https://evil.example) &lt;b&gt;1/3&lt;/b&gt; |'),
    );
  });
});
