import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, harness, repo, statusOf, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    users: { 'alice-token': 'alice', 'rita-token': 'rita' },
    apps: { 'app-token': 'stagegate' },
    permissions: { rita: 'read' },
  });
});
afterAll(async () => {
  await h.emu.close();
});

const app = () => h.client('app-token');

describe('text limits', () => {
  it('refuses a PR body over 65,536 characters with 422 "body is too long (maximum is 65536 characters)" (renovatebot/renovate#2032)', async () => {
    await commitFiles(app(), 'stagegate/limits/body', { 'notes/body.txt': 'b\n' });
    const pr = { ...repo, head: 'stagegate/limits/body', base: 'main', title: 'body' };
    const res = await statusOf(app().pulls.create({ ...pr, body: 'x'.repeat(65_537) }));
    expect([res.status, res.data]).toEqual([
      422,
      {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'Issue',
            code: 'custom',
            field: 'body',
            message: 'body is too long (maximum is 65536 characters)',
          },
        ],
        documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
        status: '422',
      },
    ]);
    const title = await statusOf(app().pulls.create({ ...pr, title: 't'.repeat(257) }));
    expect((title.data as { errors: Array<{ message: string }> }).errors[0]?.message).toBe(
      'title is too long (maximum is 256 characters)',
    );
    // Characters, not UTF-16 units: 65,536 emoji fit.
    const created = await app().pulls.create({ ...pr, body: '🙂'.repeat(65_536) });
    const patched = await statusOf(
      app().pulls.update({ ...repo, pull_number: created.data.number, body: `${'x'.repeat(65_536)}!` }),
    );
    expect(patched.status).toBe(422);
  });

  it('refuses a comment over 65,536 characters in the newer IssueComment shape (telia-oss/github-pr-resource#259)', async () => {
    await commitFiles(app(), 'stagegate/limits/comment', { 'notes/comment.txt': 'c\n' });
    const pr = await app().pulls.create({ ...repo, head: 'stagegate/limits/comment', base: 'main', title: 'c' });
    const res = await statusOf(
      app().issues.createComment({ ...repo, issue_number: pr.data.number, body: 'y'.repeat(65_537) }),
    );
    expect([res.status, (res.data as { errors: unknown[] }).errors]).toEqual([
      422,
      [
        {
          resource: 'IssueComment',
          code: 'unprocessable',
          field: 'data',
          message: 'Body is too long (maximum is 65536 characters)',
        },
      ],
    ]);
    expect(
      (await app().issues.createComment({ ...repo, issue_number: pr.data.number, body: 'y'.repeat(65_536) })).status,
    ).toBe(201);
  });

  it('edits a comment in place (OA issues/update-comment) for its author or a writer, within the same 65,536 limit', async () => {
    await commitFiles(app(), 'stagegate/limits/edit', { 'notes/edit.txt': 'e\n' });
    const pr = await app().pulls.create({ ...repo, head: 'stagegate/limits/edit', base: 'main', title: 'e' });
    const c = await app().issues.createComment({ ...repo, issue_number: pr.data.number, body: 'first' });
    const update = (token: string, body: string, id = c.data.id) =>
      h.client(token).issues.updateComment({ ...repo, comment_id: id, body });
    const edit = (token: string, body: string, id = c.data.id) => statusOf(update(token, body, id));
    const ok = await update('app-token', 'second');
    expect([ok.status, ok.data.body]).toEqual([200, 'second']);
    const listed = await app().issues.listComments({ ...repo, issue_number: pr.data.number });
    expect(listed.data.map((x) => [x.id, x.body])).toEqual([[c.data.id, 'second']]);
    // Write access edits anyone's comment (docs.github.com, moderating comments); read access does not.
    expect((await update('alice-token', 'by alice')).status).toBe(200);
    const rita = await edit('rita-token', 'by rita');
    expect([rita.status, (rita.data as { message: string }).message]).toEqual([
      403,
      'Must have write access to edit this comment.',
    ]);
    expect((await edit('app-token', 'x', 999_999)).status).toBe(404);
    const long = await edit('app-token', 'y'.repeat(65_537));
    expect([long.status, (long.data as { documentation_url: string }).documentation_url]).toEqual([
      422,
      'https://docs.github.com/rest/issues/comments#update-an-issue-comment',
    ]);
    expect((await update('app-token', '🙂'.repeat(65_536))).status).toBe(200);
  });

  it('limits check-run output to 65,535 characters and 65,535 bytes (zyborg/dotnet-tests-report#9, github/docs#35252)', async () => {
    const head = (await app().git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
    const create = (summary: string) =>
      statusOf(app().checks.create({ ...repo, name: 'big', head_sha: head, output: { title: 't', summary } }));
    const long = await create('z'.repeat(65_536));
    expect([long.status, (long.data as { message: string }).message]).toEqual([
      422,
      'Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied.',
    ]);
    const heavy = await create('é'.repeat(40_000));
    expect((heavy.data as { errors: Array<{ message: string }> }).errors[0]?.message).toBe(
      'summary exceeds a maximum bytesize of 65535',
    );
  });
});

describe('paging', () => {
  it('caps per_page at 100 and links the next page (OA per-page: "max 100"; paginate-issues fixture Link format)', async () => {
    for (let i = 0; i < 3; i += 1) {
      await commitFiles(app(), `stagegate/limits/page-${i}`, { [`notes/page-${i}.txt`]: `${i}\n` });
      await app().pulls.create({ ...repo, head: `stagegate/limits/page-${i}`, base: 'main', title: `p${i}` });
    }
    const first = await app().pulls.list({ ...repo, state: 'all', per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/shop\/pulls\?state=all&per_page=2&page=2>; rel="next", <[^>]+page=\d+>; rel="last"$/,
    );
  });

  it("pages a commit's files by 300 by default and by at most 100 when per_page is asked (OA repos/get-commit)", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 350; i += 1) files[`generated/f${String(i).padStart(3, '0')}.yaml`] = `n: ${i}\n`;
    const sha = await commitFiles(app(), 'stagegate/limits/wide', files);
    const plain = await app().repos.getCommit({ ...repo, ref: sha });
    expect(plain.data.files).toHaveLength(300);
    expect(plain.headers.link).toContain('rel="next"');
    const asked = await app().repos.getCommit({ ...repo, ref: sha, per_page: 300 });
    expect(asked.data.files).toHaveLength(100);
    const last = await app().repos.getCommit({ ...repo, ref: sha, per_page: 100, page: 4 });
    expect([last.data.files?.length, last.headers.link?.includes('rel="next"')]).toEqual([50, false]);
  });
});
