/**
 * Text from outside the bot (check-run output, an abort reason, file names and check names of a
 * PR someone else controls) is bounded and neutralised before it goes into a PR body, a comment,
 * a commit message, the changelog or `spec.abort.reason` (docs/design.md, "Bot trust model and
 * merge rule"). Pure.
 */

/** Characters per outside field (a reason, a check summary, a file name) once neutralised. */
export const FIELD_MAX = 1_000;
/**
 * GitHub refuses PR and comment bodies over 65,536 characters with 422 "body is too long (maximum
 * is 65536 characters)" (renovatebot/renovate#2032; Renovate truncates at 58,000). The count is not
 * plainly UTF-16 units on every endpoint, so the bot keeps well under it.
 */
export const BODY_MAX = 60_000;

// C0 and C1 controls, DEL, bidi overrides and zero-width joiners used to hide text, but not \n / \t.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * One line of plain text: controls stripped, whitespace runs (newlines included) collapsed to one
 * space, `@name` broken with a zero-width space so it pings nobody, cut at `max` characters.
 */
export function plainText(text: string, max = FIELD_MAX): string {
  const flat = text.replace(CONTROL, '').replace(/\s+/g, ' ').trim();
  const quiet = flat.replace(/@(?=[A-Za-z0-9_-])/g, '@\u200b');
  return truncate(quiet, max);
}

/**
 * `plainText`, then HTML and the Markdown that works inside one line escaped (emphasis, code,
 * links and images, table cells, strikethrough): it renders as the text it is. Line-start syntax
 * (headings, lists) cannot occur: the text is one line placed after a prefix.
 */
export function markdownText(text: string, max = FIELD_MAX): string {
  return plainText(text, max)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

/** At most `max` characters (never splitting a surrogate pair), marked with … when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** A whole body (already built from neutralised parts) kept under GitHub's limit, with a note when cut. */
export function boundBody(body: string, max = BODY_MAX): string {
  if (body.length <= max) return body;
  const note = '\n\n… (cut: GitHub refuses bodies over 65,536 characters)\n';
  return truncate(body, max - note.length) + note;
}

/** An API URL with any `user:password@` removed, for messages and cache scopes. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

/** Any URL inside `text` with its credentials removed (error messages may quote a request URL). */
export function scrubUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}
