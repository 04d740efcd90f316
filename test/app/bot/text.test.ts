import { describe, expect, it } from 'vitest';
import {
  BODY_MAX,
  boundBody,
  FIELD_MAX,
  markdownText,
  plainText,
  scrubUrls,
  withoutCredentials,
} from '../../../app/bot/text.js';

describe('item 6: outside text before it reaches a PR, a commit, the changelog or spec.abort.reason', () => {
  it('breaks @mentions with a zero-width space so nobody is pinged', () => {
    expect(plainText('page @acme/oncall and @bob now')).toBe('page @\u200bacme/oncall and @\u200bbob now');
    expect(plainText('mail a@b.c')).toBe('mail a@\u200bb.c');
  });

  it('strips control and bidi characters and folds newlines to one line', () => {
    expect(plainText('red\u0007\u001b[31m\n\nline\u202etwo\r\n')).toBe('red[31m linetwo');
  });

  it(`cuts a field at ${FIELD_MAX} characters, marked, without splitting a surrogate pair`, () => {
    const out = plainText('x'.repeat(5_000));
    expect(out).toHaveLength(FIELD_MAX);
    expect(out.endsWith('…')).toBe(true);
    const emoji = plainText(`${'a'.repeat(FIELD_MAX - 2)}😀😀`);
    expect(emoji.length).toBeLessThanOrEqual(FIELD_MAX);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(emoji)).toBe(false);
  });

  it('escapes HTML and inline Markdown so the text renders as itself', () => {
    expect(markdownText('<img src=x onerror=alert(1)> [click](https://evil) **b** `c` |t| ~s~')).toBe(
      '&lt;img src=x onerror=alert(1)&gt; \\[click\\](https://evil) \\*\\*b\\*\\* \\`c\\` \\|t\\| \\~s\\~',
    );
  });

  it('keeps a body under GitHub’s 65,536-character limit (renovatebot/renovate#2032)', () => {
    const body = boundBody('y'.repeat(70_000));
    expect(body.length).toBeLessThanOrEqual(BODY_MAX);
    expect(body).toContain('GitHub refuses bodies over 65,536 characters');
    expect(boundBody('short')).toBe('short');
  });
});

describe('item 13: credentials in an API URL', () => {
  it('drops user:password@ from the URL and from URLs inside messages', () => {
    expect(withoutCredentials('http://x-access-token:ghs_SECRET@127.0.0.1:4000/api')).toBe('http://127.0.0.1:4000/api');
    expect(withoutCredentials('https://api.github.com')).toBe('https://api.github.com');
    expect(scrubUrls('cannot construct http://u:ghs_SECRET@h:1/user, nor https://t@h2/x')).toBe(
      'cannot construct http://h:1/user, nor https://h2/x',
    );
  });
});
