/**
 * Follows the story as it happens: turns CI verdicts, bot reports and merges on main into
 * progress lines, keeps the record the summary is made of (stages reached, verdict changes,
 * the red verdict and the rollback's merge) and the timeline's points and events.
 */
import type { RolloutReport } from '../../app/bot/reconcile.js';
import type { CiPass } from './ci.js';
import type { Mainline } from './mainline.js';
import {
  progressLine,
  verdictNumbers,
  type DemoPull,
  type RolloutSummary,
  type StageReached,
  type VerdictRecord,
} from './report.js';
import type { DemoRollout } from './run.js';
import type { TimelineEvent, TimelinePoint, TimelineRollout } from './timeline.js';
import type { Verdict } from '../../app/gate/evaluate.js';

interface Track {
  readonly stages: StageReached[];
  readonly verdicts: VerdictRecord[];
  readonly points: TimelinePoint[];
  readonly events: TimelineEvent[];
  lastVerdictKey?: string;
  lastWaitKey?: string;
  pendingMerge?: number;
  red?: { readonly t: number; readonly verdict: Verdict };
  rollbackMerged?: { readonly t: number; readonly pr: number };
  aborted: boolean;
  finished: boolean;
}

export class Narrator {
  private readonly tracks = new Map<string, Track>();
  private readonly byPath = new Map<string, string>();

  constructor(
    private readonly cast: readonly DemoRollout[],
    private readonly mainline: Mainline,
    private readonly seconds: () => number,
    private readonly log: (line: string) => void,
  ) {
    for (const r of cast) {
      const live = mainline.get(r.name);
      this.byPath.set(live.path, r.name);
      this.tracks.set(r.name, {
        stages: [{ stage: live.model.stage, t: 0, weight: live.routing.canaryWeight }],
        verdicts: [],
        points: [],
        events: [],
        aborted: live.model.abort !== undefined,
        finished: false,
      });
      this.say(
        r.name,
        `live at ${live.model.stage} (${describe(live.model.stages.find((s) => s.name === live.model.stage)!)}), expected to be ${r.expected === 'promote' ? 'promoted' : 'rolled back'}`,
      );
    }
  }

  say(name: string, text: string): void {
    this.log(progressLine(this.seconds(), name, text));
  }

  private track(name: string): Track {
    return this.tracks.get(name)!;
  }

  ci(pass: CiPass): void {
    for (const v of pass.verify) {
      if (!v.ok)
        this.say(
          v.rollout,
          `stagegate/verify FAILED on #${v.pr}: ${v.output.trim().split('\n').slice(0, 3).join(' ')}`,
        );
    }
    for (const h of pass.health) {
      const tr = this.track(h.rollout);
      const e = h.verdict.evidence;
      const stage = e?.stage ?? this.mainline.get(h.rollout).model.stage;
      const key = `${stage}:${h.verdict.kind}:${h.verdict.baking}`;
      if (key === tr.lastVerdictKey) continue;
      tr.lastVerdictKey = key;
      const t = this.seconds();
      tr.verdicts.push({ t, stage, kind: h.verdict.kind, baking: h.verdict.baking, summary: h.verdict.summary });
      const what =
        h.verdict.kind === 'pass' && h.verdict.baking
          ? 'pass so far, baking'
          : h.verdict.kind === 'pass'
            ? 'PASS, baked'
            : h.verdict.kind.toUpperCase();
      this.say(
        h.rollout,
        `health ${what} at ${stage} on #${h.pr}: ${h.verdict.kind === 'fail' ? verdictNumbers(h.verdict) : (h.verdict.reasons[0] ?? '')}`,
      );
      if (h.verdict.kind === 'fail' && !tr.red) {
        tr.red = { t, verdict: h.verdict };
        tr.events.push({ t, label: `health FAIL (${verdictNumbers(h.verdict).split(',')[0]})`, kind: 'verdict' });
      }
    }
  }

  bot(reports: readonly RolloutReport[]): void {
    for (const r of reports) {
      const name = this.byPath.get(r.path) ?? r.rollout;
      const tr = this.tracks.get(name);
      if (!tr) continue;
      switch (r.action) {
        case 'merge':
          if (r.summary.startsWith('merged')) tr.pendingMerge = r.number;
          else this.say(name, `bot: ${r.summary}`);
          break;
        case 'merge-rollback':
          if (r.summary.startsWith('rolled back') && !tr.rollbackMerged && r.number !== undefined) {
            const t = this.seconds();
            tr.rollbackMerged = { t, pr: r.number };
            tr.events.push({ t, label: `rollback #${r.number} merged`, kind: 'rollback' });
            const red = tr.red;
            this.say(
              name,
              red
                ? `health FAIL ${verdictNumbers(red.verdict)} → rollback PR #${r.number} merged in ${(t - red.t).toFixed(1)} s`
                : `rollback PR #${r.number} merged`,
            );
          } else this.say(name, `bot: ${r.summary}`);
          break;
        case 'finish':
          if (!tr.finished) this.say(name, `bot: ${r.summary}`);
          tr.finished = true;
          break;
        case 'wait':
        case 'nothing': {
          if (tr.aborted && r.action === 'nothing') break; // the abort landing on main was already told
          const key = r.summary.replace(/\d+[a-z]*/g, '#');
          if (key !== tr.lastWaitKey) this.say(name, `bot: ${this.waitText(name, r.summary)}`);
          tr.lastWaitKey = key;
          break;
        }
        default:
          tr.lastWaitKey = undefined;
          this.say(name, `bot: ${r.summary}`);
      }
    }
  }

  /** The planner rounds bake time up to minutes; at demo speed the stage's bake says more. */
  private waitText(name: string, summary: string): string {
    if (!/^waiting: bake /.test(summary)) return summary.replace(/^waiting: waiting for /, 'waiting for ');
    const m = this.mainline.get(name).model;
    const bake = m.stages.find((s) => s.name === m.stage)?.bakeMs;
    return `waiting: ${m.stage} bakes ${bake === undefined ? 'no time' : `${bake / 1000} s`} from the commit that made it live, then needs a green stagegate/health`;
  }

  /** main moved: record stages that went live and aborts that landed. */
  mainChanged(): void {
    for (const r of this.cast) {
      const tr = this.track(r.name);
      const live = this.mainline.get(r.name);
      const m = live.model;
      const t = this.seconds();
      if (m.abort && !tr.aborted) {
        tr.aborted = true;
        this.say(
          r.name,
          `main now routes 100 % to ${m.stable} (abort: ${m.abort.reason.slice(0, 120)}${m.abort.reason.length > 120 ? '…' : ''})`,
        );
        continue;
      }
      if (tr.stages.at(-1)!.stage === m.stage) continue;
      const stage = m.stages.find((s) => s.name === m.stage)!;
      const pr = tr.pendingMerge;
      tr.stages.push({ stage: m.stage, t, weight: live.routing.canaryWeight, ...(pr !== undefined ? { pr } : {}) });
      tr.events.push({ t, label: `→ ${m.stage}`, kind: 'promote' });
      tr.pendingMerge = undefined;
      this.say(r.name, `merged${pr !== undefined ? ` #${pr}` : ''} → ${m.stage} (${describe(stage)}); rules reloaded`);
    }
  }

  /** One timeline point per rollout: live weight and 5xx ratios. */
  async sample(ratios: (name: string) => Promise<{ canary?: number; stable?: number }>): Promise<void> {
    for (const r of this.cast) {
      const { canary, stable } = await ratios(r.name);
      this.track(r.name).points.push({
        t: this.seconds(),
        weight: this.mainline.routing(r.name).canaryWeight,
        ...(canary !== undefined ? { canaryErrorRatio: canary } : {}),
        ...(stable !== undefined ? { stableErrorRatio: stable } : {}),
      });
    }
  }

  /** Every rollout where its story ends: promoted to the last stage, or rolled back on main. */
  storyComplete(): boolean {
    return this.cast.every((r) => {
      const m = this.mainline.get(r.name).model;
      const tr = this.track(r.name);
      return r.expected === 'promote'
        ? !m.abort && m.stage === m.stages.at(-1)!.name
        : m.abort !== undefined && tr.rollbackMerged !== undefined;
    });
  }

  where(): string {
    return this.cast
      .map((r) => {
        const m = this.mainline.get(r.name).model;
        return `${r.name} at ${m.stage}${m.abort ? ' (aborted)' : ''}`;
      })
      .join(', ');
  }

  summarize(
    r: DemoRollout,
    pulls: readonly DemoPull[],
    log: ReadonlyArray<{ sha: string; message: string }>,
  ): RolloutSummary {
    const tr = this.track(r.name);
    const live = this.mainline.get(r.name);
    const m = live.model;
    const id = `${m.namespace}/${m.name}`;
    const commits = log
      .filter((c) => c.message.includes(id) || c.message.split('\n')[0]!.includes(` ${m.name} `))
      .map((c) => ({ sha: c.sha, subject: c.message.split('\n')[0]! }));
    const rollbackPull = pulls.find((p) => p.kind === 'rollback' && p.merged);
    const rollback =
      tr.rollbackMerged && tr.red && m.abort
        ? {
            pr: tr.rollbackMerged.pr,
            redAt: tr.red.t,
            mergedAt: tr.rollbackMerged.t,
            secondsToRollback: Math.round((tr.rollbackMerged.t - tr.red.t) * 10) / 10,
            reason: tr.red.verdict.reasons.join('; '),
            abortReason: m.abort.reason,
          }
        : rollbackPull && m.abort
          ? {
              pr: rollbackPull.number,
              redAt: NaN,
              mergedAt: NaN,
              secondsToRollback: NaN,
              reason: '',
              abortReason: m.abort.reason,
            }
          : undefined;
    return {
      name: r.name,
      expected: r.expected,
      stages: m.stages.map((s) => s.name),
      finalStage: m.stage,
      aborted: m.abort !== undefined,
      stagesReached: tr.stages,
      verdicts: tr.verdicts,
      pulls,
      ...(rollback ? { rollback } : {}),
      finalWeights: live.weights,
      commits,
    };
  }

  timeline(): TimelineRollout[] {
    return this.cast.map((r) => ({
      name: r.name,
      points: this.track(r.name).points,
      events: this.track(r.name).events,
    }));
  }
}

function describe(stage: { weight: number; cohort: boolean }): string {
  return stage.weight === 0 && stage.cohort ? 'cohort only' : `${stage.weight} %${stage.cohort ? ' + cohort' : ''}`;
}
