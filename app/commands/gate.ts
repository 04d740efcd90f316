import { DEFAULT_ROLLOUTS_DIR } from '../../constructs/conventions.js';
import type { RolloutModel } from '../../constructs/model.js';
import { UsageError, type Command } from '../cli/command.js';
import { healthCheckRun } from '../gate/check-run.js';
import { evaluateGate, type Verdict } from '../gate/evaluate.js';
import { PrometheusApi } from '../gate/prometheus-api.js';
import { POST_OPTIONS, postCheckRun } from './post-check.js';
import { compileDir } from './synth.js';

/** Exit codes of `gate`, so scripts can branch without parsing: pass 0, fail 1, hold 3. */
export const GATE_EXIT: Record<Verdict['kind'], number> = { pass: 0, fail: 1, hold: 3 };

export const gateCommand: Command = {
  name: 'gate',
  usage:
    'gate <rollout> --prometheus URL [--rollouts DIR] [--live-since TIME] [--at TIME] [--post --repo OWNER/NAME --sha SHA] [--json]',
  options: {
    ...POST_OPTIONS,
    prometheus: { type: 'string' },
    rollouts: { type: 'string' },
    'live-since': { type: 'string' },
    at: { type: 'string' },
  },
  async run({ values, positionals }, io) {
    const [name] = positionals;
    if (!name) throw new UsageError('which rollout? (name or namespace/name)');
    const url = values.prometheus as string | undefined;
    if (!url) throw new UsageError('--prometheus URL is required');
    const compiled = compileDir(
      (values.rollouts as string | undefined) ?? DEFAULT_ROLLOUTS_DIR,
      io,
      values.json === true,
    );
    if (!compiled) return 1;
    const model = findRollout(
      compiled.map((c) => c.model),
      name,
    );
    const verdict = await evaluateGate({
      model,
      prometheus: new PrometheusApi(url),
      now: parseTime(values.at as string | undefined, '--at') ?? new Date(),
      ...optional('liveSince', parseTime(values['live-since'] as string | undefined, '--live-since')),
    });
    io.stdout(
      values.json
        ? `${JSON.stringify(verdict, null, 2)}\n`
        : `${verdict.rollout}: ${verdict.summary}${verdict.baking ? ' (baking)' : ''}\n`,
    );
    await postCheckRun(values, io, healthCheckRun(verdict));
    return GATE_EXIT[verdict.kind];
  },
};

export function findRollout(models: readonly RolloutModel[], name: string): RolloutModel {
  const matches = models.filter((m) => m.name === name || `${m.namespace}/${m.name}` === name);
  if (matches.length === 0) {
    throw new UsageError(
      `no rollout "${name}"; known: ${
        models
          .map((m) => `${m.namespace}/${m.name}`)
          .sort()
          .join(', ') || '(none)'
      }`,
    );
  }
  return matches[0]!;
}

function parseTime(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} takes an RFC 3339 time (got "${text}")`);
  return date;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
