/**
 * The merge policy: which merge method to ask for, and what GitHub's refusal of a merge means
 * (update the branch, wait for a review, retry, or stall with GitHub's own words). Pure.
 */
import { PR_LABEL_STALLED } from '../../constructs/conventions.js';
import { marker, type Action, type PullState, type BotConfig } from './planner-types.js';
import { hasMarker } from './planner-trust.js';
import type { MergeMethods } from './port.js';
import { markdownText, plainText } from './text.js';

/** Renovate's order when the repository allows several: squash, then merge, then rebase. */
export function pickMergeMethod(
  allowed: MergeMethods,
  override?: 'squash' | 'merge' | 'rebase',
): 'squash' | 'merge' | 'rebase' {
  if (override) return override;
  if (allowed.squash !== false && (allowed.squash === true || (allowed.merge !== true && allowed.rebase !== true)))
    return 'squash';
  if (allowed.merge === true) return 'merge';
  if (allowed.rebase === true) return 'rebase';
  return 'squash';
}

export type MergeRefusalKind =
  | 'base-modified'
  | 'behind'
  | 'review'
  | 'merge-queue'
  | 'method'
  | 'checks-expected'
  | 'not-mergeable'
  | 'other';

/**
 * What GitHub's 405 message on merge means. Substrings, as Renovate matches them
 * (lib/modules/platform/github/index.ts): rulesets prefix "Repository rule violations found".
 * Messages: "Base branch was modified. Review and try the merge again." (NixOS/nixpkgs-merge-bot#179),
 * "At least 1 approving review is required by reviewers with write access." (Reviewable#561),
 * "Waiting on code owner review from …" (Mergifyio/mergify#448), "Required status check "x" is
 * expected." (Renovate), "Changes must be made through the merge queue" (pascalgn/automerge-action#235),
 * "Squash merges are not allowed on this repository." (akuity/kargo#6490), "Head branch is out
 * of date" (strict protection), "Pull Request is not mergeable" (OpenAPI pulls/merge example).
 */
export function classifyMergeRefusal(message: string): MergeRefusalKind {
  const m = message.toLowerCase();
  if (m.includes('base branch was modified')) return 'base-modified';
  if (m.includes('merge queue')) return 'merge-queue';
  if (m.includes('out of date') || m.includes('not up to date') || m.includes('up-to-date')) return 'behind';
  if (
    m.includes('approving review') ||
    m.includes('code owner review') ||
    m.includes('approval from someone other than the last pusher') ||
    m.includes('more approval') ||
    m.includes('review is required')
  )
    return 'review';
  if (/(merges|merge commits) are not allowed/.test(m)) return 'method';
  if (/status checks? .*(is|are) expected/.test(m) || m.includes('required status check')) return 'checks-expected';
  if (m.includes('not mergeable')) return 'not-mergeable';
  return 'other';
}

/**
 * The decision after GitHub refused a merge (405 with `message`): update the branch, wait for a
 * person's approving review (a human gate, a feature), retry next pass, or label + comment once
 * with GitHub's own words. Pure; `pull` is the PR as read this pass.
 */
export function mergeRefusal(pull: PullState, message: string, config: BotConfig, behind = false): Action {
  const { pr } = pull;
  const classified = classifyMergeRefusal(message);
  // Behind its base, a missing check or "not mergeable" is strict protection asking for the
  // base's tip (rulesets word it as a required check "expected"): bring the branch up to date.
  const kind =
    behind && (classified === 'checks-expected' || classified === 'not-mergeable' || classified === 'other')
      ? 'behind'
      : classified;
  const quoted = markdownText(message, 500);
  const key = `merge-refused:${kind}`;
  const stalled = (detail: string): Action => ({
    kind: 'stalled',
    number: pr.number,
    detail,
    label: !pr.labels.includes(PR_LABEL_STALLED),
    comment: !hasMarker(pull, key, config),
    marker: key,
  });
  switch (kind) {
    case 'base-modified':
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'merge-retry',
        detail: `#${pr.number}: GitHub says "${plainText(message, 200)}"; merging again next pass`,
      };
    case 'behind':
      return {
        kind: 'update-branch',
        number: pr.number,
        sha: pr.headSha,
        detail: `#${pr.number} is behind its base (GitHub: "${plainText(message, 200)}")`,
      };
    case 'review':
      if (!hasMarker(pull, key, config))
        return {
          kind: 'comment',
          number: pr.number,
          marker: key,
          body: `${marker(key)}\nstagegate is waiting for an approving review: everything else is green. GitHub says: ${quoted}`,
        };
      return {
        kind: 'wait',
        number: pr.number,
        reason: 'review',
        detail: `#${pr.number}: waiting for an approving review (GitHub: "${plainText(message, 200)}")`,
      };
    case 'merge-queue':
      return stalled(
        `GitHub requires the merge queue ("${plainText(message, 200)}"); add #${pr.number} to the queue, stagegate cannot through REST`,
      );
    case 'method':
      return stalled(`GitHub refused the merge method ("${plainText(message, 200)}"); set --merge-method`);
    case 'checks-expected':
      return stalled(
        `GitHub requires a check stagegate does not wait for ("${plainText(message, 200)}"); run it on this PR or add it to the required checks`,
      );
    default:
      return stalled(`GitHub refused the merge: "${plainText(message, 200)}"`);
  }
}
