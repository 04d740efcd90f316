/**
 * A stage's `approval` (README "People in the loop", docs/design.md §4 (e)): who may approve the
 * stage PR, and who did on its head commit. The planner decides on the result (merge-verdict.ts,
 * the same review step as the branch rules' approvals); this module only reads.
 *
 * CODEOWNERS as GitHub reads it (docs.github.com, "About code owners"): from the base branch, the
 * first of .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS; the last matching line wins; owners are
 * `@user`, `@org/team` or an e-mail address (not resolvable through REST, so it never counts here).
 */
import type { ApprovalModel } from '../../constructs/model.js';
import type { GitHubPort } from './port.js';

export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

/** What a stage PR's approval step needs: `needed` approvals from `from`; `by` gave one on the head. */
export interface StageApproval {
  readonly needed: number;
  /** "code owners of rollouts/x.yaml" or "a member of org/team". */
  readonly from: string;
  readonly by: readonly string[];
}

/** The owners (`@user`, `@org/team`, e-mail) of `path`: the last matching line's, none when no line matches. */
export function codeOwnersOf(text: string, path: string): string[] {
  let owners: string[] = [];
  for (const raw of text.split('\n')) {
    // A `#` starts a comment unless escaped; a line may name a pattern with no owners (unowned).
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (line === '') continue;
    const [pattern, ...rest] = line.split(/\s+/);
    if (pattern !== undefined && patternMatches(pattern.replace(/\\#/g, '#'), path)) owners = rest;
  }
  return owners;
}

/** gitignore-style patterns as CODEOWNERS uses them (no `!` negation, no `[ ]` ranges: GitHub ignores them). */
function patternMatches(pattern: string, path: string): boolean {
  const rooted = pattern.startsWith('/') || pattern.replace(/\/$/, '').slice(1).includes('/');
  const p = pattern.replace(/^\//, '');
  const body = p
    .replace(/\/$/, '')
    .split('**')
    .map((part) =>
      part
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]'),
    )
    .join('.*');
  // "docs/" and "docs" both own everything beneath; "*.yaml" a file of that name at any depth; but
  // "docs/*" only the files directly in docs/, "not further nested files like
  // docs/build-app/troubleshooting.md" (docs.github.com "About code owners", example syntax).
  const last = p.replace(/\/$/, '').split('/').at(-1) ?? '';
  const beneath = !p.endsWith('/') && last.includes('*') && last !== '**' ? '' : '(?:/.*)?';
  return new RegExp(`${rooted ? '^' : '(?:^|/)'}${body}${beneath}$`).test(path);
}

/** Who the approval is from, as the bot says it ("waiting for an approving review from …"). */
export function approvalFrom(approval: ApprovalModel, intentPath: string): string {
  if (approval.from === 'codeowners') return `code owners of ${intentPath}`;
  return `a member of ${approval.teams.join(' or ')}`;
}

/**
 * The stage approval of PR `number` at `headSha`: approvals on the head by people with write
 * access (never the PR's author or the bot), kept when they own `intentPath` in the default
 * branch's CODEOWNERS (as `@login` or through a team) or belong to one of the named teams.
 */
export async function readStageApproval(
  port: GitHubPort,
  approval: ApprovalModel,
  intentPath: string,
  defaultSha: string,
  pr: { readonly number: number; readonly headSha: string; readonly author?: string | null },
  botLogin: string,
): Promise<StageApproval> {
  const from = approvalFrom(approval, intentPath);
  const approvers = (await port.approvalsOn(pr.number, pr.headSha)).filter(
    (l) => l.toLowerCase() !== botLogin.toLowerCase() && l !== pr.author,
  );
  if (approvers.length === 0) return { needed: approval.count, from, by: [] };
  let users: string[] = [];
  let teams: string[] = [];
  if (approval.from === 'teams') teams = [...approval.teams];
  else {
    let text: string | undefined;
    for (const path of CODEOWNERS_PATHS) {
      text = await port.readFile(defaultSha, path);
      if (text !== undefined) break;
    }
    const owners = text === undefined ? [] : codeOwnersOf(text, intentPath).filter((o) => o.startsWith('@'));
    users = owners.filter((o) => !o.includes('/')).map((o) => o.slice(1).toLowerCase());
    teams = owners.filter((o) => o.includes('/')).map((o) => o.slice(1));
  }
  const by: string[] = [];
  for (const login of approvers) {
    if (users.includes(login.toLowerCase())) by.push(login);
    else
      for (const team of teams)
        if (await port.teamMember(team, login)) {
          by.push(login);
          break;
        }
  }
  return { needed: approval.count, from, by };
}
