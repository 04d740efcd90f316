/**
 * The demo's rollback drill (issue #16; README "Rehearsals (drill)"): once the staged rollout is
 * live at its cohort stage, a person ("sre") runs what `stagegate drill <name> --abort 503` runs
 * (app/drill/open.ts, through their own token) and a reviewer merges the drill PR. The fault is
 * then live on main's VirtualService; the exporter answers it in the client proxy, as Istio does
 * (route-fault.ts); the drill's alert (constructs/drill-alert.ts) turns the gate red; the bot rolls
 * back. At the end `drill --measure` (app/drill/measure.ts) reads the times back from GitHub.
 * Kept apart from run.ts, which only calls `tick` and `measure`.
 */
import { effectiveRouting } from '../../constructs/model.js';
import type { DrillFault } from '../../app/drill/fault.js';
import { measureDrill, type DrillMeasurement } from '../../app/drill/measure.js';
import { drillBranch, openDrill } from '../../app/drill/open.js';
import { TRAILER_ROLLBACK } from '../../app/bot/content.js';
import { GitHubAdapter } from '../../app/bot/github.js';
import { DRILL_LEDGER_PREFIX } from '../../app/drill/ledger.js';
import { botFromSettings } from '../../app/bot/setup.js';
import type { Mainline } from './mainline.js';

export interface DemoDrillPlan {
  /** Seconds after the demo started at the earliest (the cohort has had traffic by then). */
  readonly afterSeconds: number;
  readonly fault: DrillFault;
}

export type DemoDrillResult = DrillMeasurement & {
  /** The drill's lines in the rollback's merge commit on main. */
  readonly ledger: readonly string[];
};

export interface DemoDrillSettings {
  readonly name: string;
  readonly path: string;
  readonly plan: DemoDrillPlan;
  readonly owner: string;
  readonly repo: string;
  readonly apiUrl: string;
  /** The person who opens the drill PR, and the one who reviews and merges it. */
  readonly sreToken: string;
  readonly reviewerToken: string;
  readonly github: { readonly retryUnitMs: number; readonly writeSpacingMs: number };
  readonly mainline: Mainline;
  readonly say: (name: string, text: string) => void;
  /** Seconds since the demo started. */
  readonly seconds: () => number;
}

export class DemoDrill {
  private merged = false;

  constructor(private readonly s: DemoDrillSettings) {}

  private person() {
    const { owner, repo, apiUrl, github } = this.s;
    return botFromSettings({ owner, repo, apiUrl, token: this.s.sreToken, github }).options;
  }

  /** Opens and merges the drill PR once its time has come; true when main changed. */
  async tick(): Promise<boolean> {
    if (this.merged || this.s.seconds() < this.s.plan.afterSeconds) return false;
    const m = this.s.mainline.get(this.s.name).model;
    if (m.abort || !effectiveRouting(m).cohortRoute) return false;
    const opened = await openDrill(this.person(), this.s.path, this.s.plan.fault);
    if (!opened.ok || opened.number === undefined) throw new Error(`the demo drill did not open: ${opened.summary}`);
    this.s.say(this.s.name, `sre runs stagegate drill: ${opened.summary}`);
    const reviewer = new GitHubAdapter({
      owner: this.s.owner,
      repo: this.s.repo,
      token: this.s.reviewerToken,
      baseUrl: this.s.apiUrl,
      ...this.s.github,
    });
    const pr = (await reviewer.pullsByHead(drillBranch(m))).find((p) => p.number === opened.number);
    if (!pr) throw new Error(`the demo drill PR #${opened.number} is not on ${drillBranch(m)}`);
    const result = await reviewer.merge(pr.number, {
      sha: pr.headSha,
      method: 'squash',
      title: `${pr.title} (#${pr.number})`,
      message: 'Reviewed: rehearse the rollback in staging.',
    });
    if (result.kind !== 'merged') throw new Error(`the demo drill PR #${pr.number} did not merge: ${result.message}`);
    this.merged = true;
    this.s.say(this.s.name, `reviewer merged drill #${pr.number}: the fault is live on the cohort route`);
    return true;
  }

  /**
   * What `stagegate drill <name> --measure` prints, read from GitHub, and the drill's lines in the
   * ledger: the rollback's merge commit on main (app/drill/ledger.ts).
   */
  async measure(deadlineMs: number): Promise<DemoDrillResult> {
    const options = this.person();
    const measured = await measureDrill(options, this.s.path, deadlineMs);
    const main = await options.port.defaultBranch();
    const commits = await options.port.commitsTouching(main.sha, this.s.path, 10);
    const rollback = commits.find((c) => c.message.includes(`${TRAILER_ROLLBACK}:`));
    const ledger = (rollback?.message ?? '').split('\n').filter((l) => l.startsWith(DRILL_LEDGER_PREFIX));
    return { ...measured, ledger };
  }
}
