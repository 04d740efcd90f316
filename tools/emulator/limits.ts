/**
 * Size limits GitHub enforces on texts, with its 422 answers. "Characters" are code points
 * (GitHub's validations count characters, JSON Schema's maxLength counts code points); check-run
 * output is also limited in bytes.
 */
import { ApiError, DOCS } from './http.js';

const chars = (text: string): number => [...text].length;

/**
 * PR title and body (renovatebot/renovate#2032: `{"resource":"Issue","code":"custom","field":"body",
 * "message":"body is too long (maximum is 65536 characters)"}`; title 256: googleapis/repo-automation-bots#1895).
 */
export function checkPullTexts(body: Record<string, unknown>, operation: string): void {
  const errors: Array<Record<string, unknown>> = [];
  for (const [field, max] of [
    ['title', 256],
    ['body', 65536],
  ] as const) {
    const value = body[field];
    if (typeof value === 'string' && chars(value) > max)
      errors.push({
        resource: 'Issue',
        code: 'custom',
        field,
        message: `${field} is too long (maximum is ${max} characters)`,
      });
  }
  if (errors.length > 0) throw new ApiError(422, 'Validation Failed', `${DOCS}/pulls/pulls#${operation}`, errors);
}

/**
 * Issue comment body: the newer shape (jmikedupont2/ai-ticket#51, telia-oss/github-pr-resource#259):
 * `{"resource":"IssueComment","code":"unprocessable","field":"data","message":"Body is too long (maximum is 65536 characters)"}`.
 */
export function checkCommentBody(text: string, operation = 'create-an-issue-comment'): void {
  if (chars(text) <= 65536) return;
  throw new ApiError(422, 'Validation Failed', `${DOCS}/issues/comments#${operation}`, [
    {
      resource: 'IssueComment',
      code: 'unprocessable',
      field: 'data',
      message: 'Body is too long (maximum is 65536 characters)',
    },
  ]);
}

/**
 * Check-run output.summary / output.text: OA maxLength 65535 → "Invalid request.\n\nOnly 65535
 * characters are allowed; N were supplied." (zyborg/dotnet-tests-report#9); within that but over
 * 65535 bytes → "summary exceeds a maximum bytesize of 65535" (github/docs#35252, dorny/test-reporter#57).
 */
export function checkRunOutput(output: Record<string, unknown>, operation: string): void {
  const docs = `${DOCS}/checks/runs#${operation}`;
  for (const field of ['summary', 'text'] as const) {
    const value = output[field];
    if (typeof value !== 'string') continue;
    const n = chars(value);
    if (n > 65535)
      throw new ApiError(422, `Invalid request.\n\nOnly 65535 characters are allowed; ${n} were supplied.`, docs);
    if (Buffer.byteLength(value, 'utf8') > 65535)
      throw new ApiError(422, 'Validation Failed', docs, [
        { resource: 'CheckRun', code: 'custom', field, message: `${field} exceeds a maximum bytesize of 65535` },
      ]);
  }
}
