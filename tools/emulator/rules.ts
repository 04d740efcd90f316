/**
 * Branch rules, modelled on repository rulesets (docs.github.com/en/rest/repos/rules): what a
 * merge into a protected branch still lacks, in GitHub's own words, and the rules as
 * `GET /repos/{o}/{r}/rules/branches/{branch}` reports them.
 *
 * A refused merge is 405 `Repository rule violations found\n\n<detail>\n\n<detail>\n\n`
 * (microsoft/winget-pkgs#252733: "Repository rule violations found\n\nAt least 1 approving review
 * is required by reviewers with write access.\n\nNew changes require approval from someone other
 * than the last pusher.\n\n"). Details used here and where each text was seen:
 * - "Changes must be made through the merge queue" (anza-xyz/kit#94, digitaldrywood/detent#2459)
 * - "At least N approving review is required by reviewers with write access." (winget-pkgs#252733,
 *   Reviewable/Reviewable#561)
 * - "Waiting on code owner review from …" (Mergifyio/mergify#448; the list after "from" elided there)
 * - `Required status check "X" is expected.` (akuity/kargo#6397, under a ruleset) and
 *   "N of M required status checks are expected." (RakuenSoftware/aimee#2460: what a behind PR
 *   gets when branches must be up to date, though its checks passed)
 * - "N of M required status checks have not succeeded." (mikelward/scripts#197)
 */
import type { Identity } from './identity.js';
import { canWrite } from './permissions.js';
import { latestCheckRuns, latestStatuses } from './routes-checks.js';
import { stableId } from './shapes.js';
import type { PullRecord, RepoState } from './state.js';
import type { BranchProtection } from './types.js';

const PASSING = new Set(['success', 'neutral', 'skipped']);

export function rulesOf(s: RepoState, branch: string): BranchProtection | undefined {
  return s.settings.protection.get(branch);
}

/** Whether `who` is a bypass actor of the branch's rules (an App by slug, a person by login). */
export function bypasses(rules: BranchProtection, who: Identity | undefined): boolean {
  if (!who) return false;
  return (rules.bypass ?? []).some((b) => b === who.login || (who.app !== undefined && b === who.app.slug));
}

/** Whether the PR's head contains its base's tip (what "require branches to be up to date" asks). */
export function upToDate(s: RepoState, pr: PullRecord, baseSha: string): boolean {
  return s.git.isAncestor(baseSha, pr.headSha);
}

/**
 * What a merge of `pr` into its base still lacks under the base's rules, as GitHub words each
 * reason; [] when nothing (or no rules). `who` is the merger: bypass actors lack nothing.
 */
export function violations(s: RepoState, pr: PullRecord, baseSha: string, who?: Identity): string[] {
  const rules = rulesOf(s, pr.base);
  if (!rules || bypasses(rules, who)) return [];
  if (rules.mergeQueue) return ['Changes must be made through the merge queue'];
  const out: string[] = [];
  const approvers = approvals(s, pr);
  const needed = rules.requiredApprovingReviews ?? 0;
  if (approvers.size < needed) {
    out.push(
      needed === 1
        ? 'At least 1 approving review is required by reviewers with write access.'
        : `At least ${needed} approving reviews are required by reviewers with write access.`,
    );
  }
  if (rules.requireCodeOwnerReviews) {
    const waiting = codeOwnersWaiting(s, pr, baseSha, approvers);
    if (waiting.length > 0) out.push(`Waiting on code owner review from ${waiting.join(', ')}.`);
  }
  const required = rules.requiredStatusChecks ?? [];
  if (required.length > 0) {
    const behind = rules.strict === true && !upToDate(s, pr, baseSha);
    const states = required.map((c) => (behind ? 'expected' : checkState(s, pr.headSha, c.context, c.app)));
    const expected = states.filter((st) => st === 'expected').length;
    const failed = states.filter((st) => st === 'failed').length;
    if (expected > 0) {
      out.push(
        required.length === 1
          ? `Required status check "${required[0]!.context}" is expected.`
          : `${expected} of ${required.length} required status checks are expected.`,
      );
    }
    if (failed > 0) out.push(`${failed} of ${required.length} required status checks have not succeeded.`);
  }
  return out;
}

/** GitHub's 405 text for a list of violations. */
export function violationMessage(details: readonly string[]): string {
  return `Repository rule violations found\n\n${details.map((d) => `${d}\n\n`).join('')}`;
}

/**
 * Reviewers whose latest review is an approval and who have write access or more ("required by
 * reviewers with write access"; a code owner's review counts only with write permission, docs
 * "About code owners"); the PR's author cannot approve their own PR. See permissions.ts.
 */
export function approvals(s: RepoState, pr: PullRecord): Set<string> {
  const latest = new Map<string, string>();
  for (const r of pr.reviews) if (r.state !== 'COMMENTED' && r.login !== pr.user) latest.set(r.login, r.state);
  return new Set(
    [...latest].filter(([login, state]) => state === 'APPROVED' && canWrite(s, login)).map(([login]) => login),
  );
}

/**
 * A required check's state on a sha: a check run of that name (from the pinned App when `app`
 * is given: the ruleset's `integration_id`) or a commit status of that context (from that App's
 * bot when pinned). Docs "troubleshooting required status checks": runs and statuses both count.
 */
function checkState(s: RepoState, sha: string, context: string, app?: string): 'passed' | 'failed' | 'expected' {
  const runs = latestCheckRuns(s, sha).filter((r) => r.name === context && (app === undefined || r.app.slug === app));
  const statuses = latestStatuses(s, sha).filter(
    (st) => st.context.toLowerCase() === context.toLowerCase() && (app === undefined || st.login === `${app}[bot]`),
  );
  const states: Array<'passed' | 'failed' | 'expected'> = [
    ...runs.map((r) => (r.status !== 'completed' ? 'expected' : PASSING.has(r.conclusion ?? '') ? 'passed' : 'failed')),
    ...statuses.map((st) => (st.state === 'success' ? 'passed' : st.state === 'pending' ? 'expected' : 'failed')),
  ] as Array<'passed' | 'failed' | 'expected'>;
  if (states.includes('failed')) return 'failed';
  if (states.includes('passed')) return 'passed';
  return 'expected';
}

/**
 * Code owners (as `@login`) of the changed files with no approval from any of their owners.
 * CODEOWNERS is read from the base (.github/, root, docs/, the first found); the last matching
 * line wins, as GitHub documents ("about code owners"). Patterns: `*`, `*.ext`, `/path`, `dir/`,
 * `path` (anywhere); teams count as their name.
 */
function codeOwnersWaiting(s: RepoState, pr: PullRecord, baseSha: string, approvers: Set<string>): string[] {
  const text = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS']
    .map((path) => {
      const [entry] = s.git.lsTree(baseSha, false, path);
      return entry?.type === 'blob' ? s.git.readBlob(entry.sha).toString('utf8') : undefined;
    })
    .find((t) => t !== undefined);
  if (text === undefined) return [];
  const lines = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((l) => {
      const [pattern, ...owners] = l.split(/\s+/);
      return { pattern: pattern!, owners };
    });
  const mergeBase = s.git.mergeBase(baseSha, pr.headSha) ?? baseSha;
  const waiting = new Set<string>();
  for (const file of s.git.diff(mergeBase, pr.headSha, false)) {
    const owners = lines.filter((l) => matches(l.pattern, file.path)).at(-1)?.owners ?? [];
    if (owners.length > 0 && !owners.some((o) => approvers.has(o.replace(/^@/, ''))))
      for (const o of owners) waiting.add(o);
  }
  return [...waiting];
}

export function matches(pattern: string, path: string): boolean {
  const anchored = pattern.startsWith('/');
  const p = pattern.replace(/^\//, '');
  // `**` spans directories, `*` and `?` stay within one.
  const source = p
    .split('**')
    .map((part) =>
      part
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]'),
    )
    .join('.*');
  // "docs/*" owns the files directly in docs/ only, "not further nested files" (docs.github.com
  // "About code owners", example syntax); "docs" and "docs/" everything beneath.
  const last = p.replace(/\/$/, '').split('/').at(-1) ?? '';
  const dir = p.endsWith('/') ? '.*' : last.includes('*') && last !== '**' ? '' : '(?:/.*)?';
  // "apps/" matches an apps directory anywhere; a slash inside anchors at the root (docs "About code owners").
  const rooted = anchored || p.replace(/\/$/, '').includes('/');
  return new RegExp(`${rooted ? '^' : '(?:^|/)'}${source}${dir}$`).test(path);
}

/** The branch's rules as GET /rules/branches/{branch} lists them (OA repository-rule-detailed). */
export function rulesJson(s: RepoState, branch: string): Array<Record<string, unknown>> {
  const rules = rulesOf(s, branch);
  if (!rules) return [];
  const source = {
    ruleset_source_type: 'Repository',
    ruleset_source: `${s.owner}/${s.repo}`,
    ruleset_id: stableId(`ruleset:${branch}`),
  };
  const out: Array<Record<string, unknown>> = [
    {
      type: 'pull_request',
      parameters: {
        allowed_merge_methods: [...s.settings.mergeMethods],
        dismiss_stale_reviews_on_push: false,
        require_code_owner_review: rules.requireCodeOwnerReviews ?? false,
        require_last_push_approval: false,
        required_approving_review_count: rules.requiredApprovingReviews ?? 0,
        required_review_thread_resolution: false,
      },
      ...source,
    },
  ];
  const checks = rules.requiredStatusChecks ?? [];
  if (checks.length > 0) {
    out.push({
      type: 'required_status_checks',
      parameters: {
        required_status_checks: checks.map((c) => {
          const app = c.app === undefined ? undefined : s.shapes.identities.appBy(c.app);
          const id = app?.id ?? (c.app === undefined ? undefined : stableId(`app:${c.app}`));
          return { context: c.context, ...(id !== undefined ? { integration_id: id } : {}) };
        }),
        strict_required_status_checks_policy: rules.strict ?? false,
      },
      ...source,
    });
  }
  if (rules.mergeQueue) {
    out.push({
      type: 'merge_queue',
      parameters: {
        check_response_timeout_minutes: 60,
        grouping_strategy: 'ALLGREEN',
        max_entries_to_build: 5,
        max_entries_to_merge: 5,
        merge_method: 'SQUASH',
        min_entries_to_merge: 1,
        min_entries_to_merge_wait_minutes: 5,
      },
      ...source,
    });
  }
  return out;
}
