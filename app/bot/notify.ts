/**
 * Notifications (issue 15): stage opened, promoted, held past its timebox, rolling back, rolled
 * back — posted to one webhook per repository, in Slack's incoming-webhook body or a plain JSON one.
 *
 * Events come from a port wrapper (docs/design.md §4: "Dry-run or caching is a port wrapper"), so
 * the planner's decisions are untouched and an event exists only once the write that completes
 * its action succeeded: a PR is "opened" when its labels were added (the last step of the open
 * and rollback actions in reconcile.ts), "promoted" when GitHub answered a merge with merged, "held"
 * when the timebox comment (marker `stalled`) was posted, "drill failed" when `drill --measure`
 * labelled a drill PR `stagegate:drill-failed` (issue #16). The rollout and stage come from the
 * branch name (constructs/conventions.ts), never from text someone else wrote.
 *
 * Delivery is after the pass (`flush`), retried with backoff; a webhook that stays down costs a
 * line on stderr, never the pass. Bodies carry only the fields built here: no header, token or
 * URL of the GitHub side; the webhook URL (a secret for Slack) is never printed.
 */
import { PR_LABEL, PR_LABEL_DRILL_FAILED } from '../../constructs/conventions.js';
import { marker, STALLED_MARKER } from './planner.js';
import type { GitHubPort, PullRequest } from './port.js';
import { plainText } from './text.js';

export type EventKind = 'stage-opened' | 'promoted' | 'held' | 'rollback-opened' | 'rolled-back' | 'drill-failed';

export interface RolloutEvent {
  readonly event: EventKind;
  /** `namespace/name`. */
  readonly rollout: string;
  /** The stage the PR moves to (absent for a rollback). */
  readonly stage?: string;
  readonly pr: { readonly number: number; readonly url: string };
  /** One line for people. */
  readonly text: string;
  readonly at: string;
}

export type NotifyFormat = 'json' | 'slack';

export interface NotifySettings {
  readonly url: string;
  readonly format: NotifyFormat;
  readonly repository: string;
  /** Attempts after the first. @default 3 */
  readonly retries?: number;
  /** The first backoff; doubled each time, or Retry-After when the webhook says. @default 1000 */
  readonly backoffMs?: number;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

const BRANCH = /^stagegate\/([^/]+)\/([^/]+)\/([^/]+?)(?:_\d+)?$/;
/** A drill PR's branch (app/drill/record.ts `drillBranch`). */
const DRILL_BRANCH = /^stagegate-drill\/([^/]+)\/([^/]+)$/;

/** Rollout and stage of a bot branch (`stagegate/<ns>/<name>/<stage>`, `…/rollback`, `…_N`). */
export function branchTarget(ref: string): { rollout: string; stage: string } | undefined {
  const m = BRANCH.exec(ref);
  return m ? { rollout: `${m[1]}/${m[2]}`, stage: m[3]! } : undefined;
}

/** The events of one pass, gathered by the wrapped port and posted by `flush`. */
export class Notifier {
  private readonly queue: RolloutEvent[] = [];
  private readonly now: () => Date;

  constructor(readonly settings: NotifySettings) {
    this.now = settings.now ?? (() => new Date());
  }

  get pending(): readonly RolloutEvent[] {
    return this.queue;
  }

  /** The port whose successful writes become events. Reads pass through, remembered by PR number. */
  wrap(port: GitHubPort): GitHubPort {
    const pulls = new Map<number, PullRequest>();
    const opened = new Map<number, PullRequest>();
    const remember = (list: PullRequest[]): PullRequest[] => {
      for (const p of list) pulls.set(p.number, p);
      return list;
    };
    const emit = (event: EventKind, pr: PullRequest, text: (t: { rollout: string; stage: string }) => string) => {
      const t = branchTarget(pr.headRef);
      if (!t) return;
      this.queue.push({
        event,
        rollout: t.rollout,
        ...(event === 'rollback-opened' || event === 'rolled-back' ? {} : { stage: t.stage }),
        pr: { number: pr.number, url: pr.url },
        text: plainText(text(t), 500),
        at: this.now().toISOString(),
      });
    };
    const isRollback = (pr: PullRequest) => branchTarget(pr.headRef)?.stage === 'rollback';
    const wrapped: Partial<GitHubPort> = {
      openPulls: async () => remember(await port.openPulls()),
      pullsByHead: async (branch, options) => remember(await port.pullsByHead(branch, options)),
      openPull: async (input) => {
        const pr = await port.openPull(input);
        pulls.set(pr.number, pr);
        opened.set(pr.number, pr);
        return pr;
      },
      addLabels: async (number, labels) => {
        await port.addLabels(number, labels);
        const drill = DRILL_BRANCH.exec(pulls.get(number)?.headRef ?? '');
        if (drill && labels.includes(PR_LABEL_DRILL_FAILED)) {
          const pr = pulls.get(number)!;
          const rollout = `${drill[1]}/${drill[2]}`;
          this.queue.push({
            event: 'drill-failed',
            rollout,
            pr: { number: pr.number, url: pr.url },
            text: plainText(`${rollout}: drill #${pr.number} failed: no rollback within its deadline`, 500),
            at: this.now().toISOString(),
          });
        }
        const pr = opened.get(number);
        if (!pr || !labels.includes(PR_LABEL)) return;
        opened.delete(number);
        if (isRollback(pr)) emit('rollback-opened', pr, (t) => `${t.rollout}: rolling back to stable (#${pr.number})`);
        else emit('stage-opened', pr, (t) => `${t.rollout}: #${pr.number} proposes stage ${t.stage}`);
      },
      comment: async (number, body) => {
        await port.comment(number, body);
        const pr = pulls.get(number);
        if (!pr || !body.includes(marker(STALLED_MARKER))) return;
        // The comment is the planner's detail as Markdown-escaped text (text.ts markdownText): read back plain.
        const detail = unescapeMarkdown(
          body
            .replace(marker(STALLED_MARKER), '')
            .replace(/^\s*stagegate:\s*/, '')
            .split('. Labelled')[0]!,
        );
        emit('held', pr, (t) => `${t.rollout}: held past its timebox on #${pr.number}: ${detail}`);
      },
      merge: async (number, input) => {
        const result = await port.merge(number, input);
        const pr = pulls.get(number);
        if (result.kind === 'merged' && pr) {
          if (isRollback(pr))
            emit('rolled-back', pr, (t) => `${t.rollout}: rolled back, 100 % stable (#${pr.number} merged)`);
          else emit('promoted', pr, (t) => `${t.rollout}: promoted to ${t.stage} (#${pr.number} merged)`);
        }
        return result;
      },
    };
    return new Proxy(port, {
      get(target, prop, receiver) {
        if (Object.hasOwn(wrapped, prop)) return wrapped[prop as keyof GitHubPort];
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Posts every pending event in order; returns how many were delivered. Never throws. */
  async flush(): Promise<number> {
    let delivered = 0;
    while (this.queue.length > 0) {
      const event = this.queue.shift()!;
      if (await this.deliver(event)) delivered += 1;
    }
    return delivered;
  }

  private async deliver(event: RolloutEvent): Promise<boolean> {
    const s = this.settings;
    const send = s.fetch ?? fetch;
    const sleep = s.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const body = JSON.stringify(notificationBody(event, s.format, s.repository));
    const retries = s.retries ?? 3;
    const backoff = s.backoffMs ?? 1_000;
    let retryAfterMs: number | undefined;
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      // Exponential backoff (backoff, 2×, 4×, …) unless the webhook said when (Retry-After, seconds).
      if (attempt > 0) await sleep(retryAfterMs ?? backoff * 2 ** (attempt - 1));
      retryAfterMs = undefined;
      try {
        const res = await send(s.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel().catch(() => {});
        if (res.ok) return true;
        last = `HTTP ${res.status}`;
        // 4xx other than 408/429 is the webhook refusing this body: asking again changes nothing.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
        const after = Number(res.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) retryAfterMs = Math.min(after * 1_000, 60_000);
      } catch (err) {
        last = (err as Error).name === 'TimeoutError' ? 'timed out' : 'connection failed';
      }
    }
    // The webhook URL is a credential for Slack: only its host is named.
    s.log?.(`notification ${event.event} for ${event.rollout} not delivered to ${hostOf(s.url)} (${last})`);
    return false;
  }
}

/** The inverse of text.ts `markdownText` for one line of the bot's own text. */
function unescapeMarkdown(text: string): string {
  return text
    .replace(/\\([\\`*_[\]|~])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the webhook';
  }
}

/** Slack treats &, < and > as markup (api.slack.com/reference/surfaces/formatting, "Escaping text"). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The body for `format`: Slack's incoming webhook takes `{ text }` with `<url|label>` links
 * (api.slack.com/messaging/webhooks); the plain JSON body is the event itself and the repository.
 */
export function notificationBody(event: RolloutEvent, format: NotifyFormat, repository: string): unknown {
  if (format === 'json') return { repository, ...event };
  const link = `<${slackEscape(event.pr.url)}|#${event.pr.number}>`;
  const text = slackEscape(event.text).replace(`#${event.pr.number}`, link);
  return { text: `stagegate ${slackEscape(repository)}: ${text}` };
}
