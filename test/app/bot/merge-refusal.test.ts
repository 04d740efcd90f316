/** Issue #10 item 8: GitHub's merge refusals → the planner's decision, and the merge method it picks. */
import { describe, expect, it } from 'vitest';
import { classifyMergeRefusal, mergeRefusal, pickMergeMethod, type Action } from '../../../app/bot/planner.js';
import { appConfig, appPull, HEAD, mine } from './planner-fixtures.js';

/** Each 405 message GitHub gives on merge (sources in merge-policy.ts classifyMergeRefusal) → the decision. */
const refusals: Array<[string, string, Partial<Action> & { kind: Action['kind'] }]> = [
  [
    'Base branch was modified. Review and try the merge again.',
    'base-modified',
    { kind: 'wait', reason: 'merge-retry' },
  ],
  ['Head branch is out of date. Review and try the merge again.', 'behind', { kind: 'update-branch', sha: HEAD }],
  [
    'Repository rule violations found\n\nAt least 1 approving review is required by reviewers with write access.\n\n',
    'review',
    { kind: 'comment', marker: 'merge-refused:review' },
  ],
  ['At least 1 approving review is required by reviewers with write access.', 'review', { kind: 'comment' }],
  ['Waiting on code owner review from acme/sre.', 'review', { kind: 'comment' }],
  ['New changes require approval from someone other than the last pusher.', 'review', { kind: 'comment' }],
  ['Changes must be made through the merge queue', 'merge-queue', { kind: 'stalled', label: true, comment: true }],
  ['Squash merges are not allowed on this repository.', 'method', { kind: 'stalled', marker: 'merge-refused:method' }],
  ['Merge commits are not allowed on this repository.', 'method', { kind: 'stalled' }],
  ['Required status check "ci/build" is expected.', 'checks-expected', { kind: 'stalled' }],
  ['2 of 2 required status checks are expected.', 'checks-expected', { kind: 'stalled' }],
  ['Pull Request is not mergeable', 'not-mergeable', { kind: 'stalled' }],
  [
    'Something new GitHub says',
    'other',
    { kind: 'stalled', detail: expect.stringContaining('Something new GitHub says') as unknown as string },
  ],
];

describe('item 8: what the bot does with each merge refusal', () => {
  it.each(refusals)('%s → %s', (message, kind, expected) => {
    expect(classifyMergeRefusal(message)).toBe(kind);
    expect(mergeRefusal(appPull(), message, appConfig)).toMatchObject(expected);
  });

  it('waits for an approving review once it has said so, without a second comment', () => {
    const said = appPull({ comments: [mine('<!-- stagegate:merge-refused:review -->')] });
    expect(mergeRefusal(said, 'At least 1 approving review is required', appConfig)).toMatchObject({
      kind: 'wait',
      reason: 'review',
      detail: expect.stringContaining('waiting for an approving review'),
    });
  });

  it('labels and comments a stalled merge once each', () => {
    const done = appPull({
      labels: ['stagegate', 'stagegate:stalled'],
      comments: [mine('<!-- stagegate:merge-refused:merge-queue -->')],
    });
    expect(mergeRefusal(done, 'Changes must be made through the merge queue', appConfig)).toMatchObject({
      kind: 'stalled',
      label: false,
      comment: false,
    });
  });

  it.each([
    [{ squash: true, merge: true, rebase: true }, undefined, 'squash'],
    [{ squash: false, merge: true, rebase: true }, undefined, 'merge'],
    [{ squash: false, merge: false, rebase: true }, undefined, 'rebase'],
    [{}, undefined, 'squash'],
    [{ squash: true }, 'rebase', 'rebase'],
  ] as const)('picks the merge method from %j (override %s) → %s', (allowed, override, expected) => {
    expect(pickMergeMethod(allowed, override)).toBe(expected);
  });
});
