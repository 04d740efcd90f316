/**
 * Scheduled and seeded-random faults. A fault is decided before the handler runs, so every
 * fault but `dropAfter` means "nothing was applied" — the contract the bot's retries rely on.
 */
import type { FaultInjector, FaultMatch, FaultRule, FaultSpec } from './types.js';
import { seededRandom as prng } from '../random.js';

const DEFAULT_RANDOM_KINDS: readonly FaultSpec[] = [
  { kind: 'status', status: 502 },
  { kind: 'status', status: 503 },
  { kind: 'secondaryRateLimit', retryAfter: 1 },
  { kind: 'drop' },
];

interface Scheduled {
  spec: FaultSpec;
  match?: FaultMatch;
  left: number;
}

function matches(match: FaultMatch | undefined, method: string, path: string, login: string | undefined): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.login !== undefined && match.login !== login) return false;
  if (match.path) {
    match.path.lastIndex = 0;
    if (!match.path.test(path)) return false;
  }
  return true;
}

export class Faults implements FaultInjector {
  private scheduled: Scheduled[] = [];
  private randomPlan?: { next: () => number; rate: number; kinds: readonly FaultSpec[]; match?: FaultMatch };

  add(rule: FaultRule): void {
    const { match, times, ...spec } = rule;
    const left = times ?? 1;
    if (!(left > 0)) throw new Error(`fault "times" must be positive (got ${String(times)})`);
    this.scheduled.push({ spec: spec as FaultSpec, match, left });
  }

  random(seed: number, rate: number, kinds: readonly FaultSpec[] = DEFAULT_RANDOM_KINDS, match?: FaultMatch): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate must be within [0, 1] (got ${rate})`);
    if (kinds.length === 0) throw new Error('random faults need at least one kind');
    this.randomPlan = { next: prng(seed), rate, kinds, match };
  }

  clear(): void {
    this.scheduled = [];
    this.randomPlan = undefined;
  }

  get pending(): number {
    return this.scheduled.length;
  }

  /** The fault for this request, consuming one use of a scheduled rule; undefined = none. */
  take(method: string, path: string, login?: string): FaultSpec | undefined {
    const hit = this.scheduled.find((f) => matches(f.match, method, path, login));
    if (hit) {
      hit.left -= 1;
      if (hit.left <= 0) this.scheduled = this.scheduled.filter((f) => f !== hit);
      return hit.spec;
    }
    const plan = this.randomPlan;
    if (plan && matches(plan.match, method, path, login)) {
      // Two draws per request whatever the outcome, so one schedule does not shift another.
      const roll = plan.next();
      const pick = plan.next();
      if (roll < plan.rate) return plan.kinds[Math.floor(pick * plan.kinds.length)];
    }
    return undefined;
  }
}
