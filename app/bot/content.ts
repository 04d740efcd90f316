/**
 * What a stage PR or rollback PR carries: the edited intent, the regenerated manifests, the
 * changelog entry (one commit), plus the PR title/body and the merge commit message. Pure.
 * The commit trailer `Stagegate-Stage: <ns>/<name>/<stage>` lets later passes find, through the
 * API alone, the commit that made a stage live and the evidence it was merged on.
 */
import { CHANGELOG_DIR, DEFAULT_OUT_DIR } from '../../constructs/conventions.js';
import { formatDuration } from '../../constructs/duration.js';
import type { RolloutModel, StageModel } from '../../constructs/model.js';
import { setAbort, setStage } from './edit-intent.js';
import type { MergeEvidence } from './planner.js';
import type { CommitSummary, FileChange } from './port.js';
import { markdownText, plainText } from './text.js';

export type { CommitSummary };

export const TRAILER_STAGE = 'Stagegate-Stage';
export const TRAILER_ROLLBACK = 'Stagegate-Rollback';
/**
 * A rollback of some clusters of a wave (onClusterFailure: cluster). Its own key: the rollout goes
 * on in the other clusters, so it neither ends the rollout's run for its timebox (observe.ts
 * rolloutStart stops at TRAILER_ROLLBACK) nor reads as the rollout's rollback.
 */
export const TRAILER_CLUSTER_ROLLBACK = 'Stagegate-Cluster-Rollback';

/**
 * Regenerates one rollout's manifests from intent text (constructs/compile.ts in production);
 * `defaults` is the text of rollouts/_defaults.yaml when the repository has one (spec/defaults.ts).
 */
export type Regenerate = (
  path: string,
  text: string,
  defaults?: string,
) => {
  readonly file: string;
  readonly content: string;
  /** A wave across clusters: the other clusters' files (README "Waves across clusters"). @default none */
  readonly others?: readonly { readonly file: string; readonly content: string }[];
};

export interface LedgerEntry {
  readonly stage: string;
  readonly sha: string;
  readonly date: string;
  readonly evidence: readonly string[];
}

export interface Proposal {
  readonly title: string;
  readonly body: string;
  readonly commitMessage: string;
  readonly changes: readonly FileChange[];
  /** Intent and manifest as they must appear on the PR head (the planner's contentCurrent). */
  readonly expected: ReadonlyArray<{ readonly path: string; readonly content: string }>;
}

export function rolloutId(m: RolloutModel): string {
  return `${m.namespace}/${m.name}`;
}

export function changelogPath(m: RolloutModel): string {
  return `${CHANGELOG_DIR}/${m.namespace}-${m.name}.md`;
}

export function describeStage(s: StageModel, m: RolloutModel): string {
  const cohort = s.cohort && m.cohort ? `cohort ${m.cohort.label}` : '';
  if (s.weight === 0 && cohort) return cohort;
  return `${s.weight} %${cohort ? ` + ${cohort}` : ''}`;
}

/** `stagegate: checkout → one-percent (1 %)`; the cohort is named only where it is all that changes. */
export function stageTitle(m: RolloutModel, to: StageModel): string {
  const what = to.weight === 0 && to.cohort && m.cohort ? `cohort ${m.cohort.label}` : `${to.weight} %`;
  return `stagegate: ${m.name} → ${to.name} (${what})`;
}

/** Stages made live by the bot (or a person using the trailer), oldest first. */
export function ledgerFrom(commits: readonly CommitSummary[], m: RolloutModel): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const c of commits) {
    const stage = trailer(c.message, TRAILER_STAGE, m);
    if (stage === undefined) continue;
    const evidence = c.message
      .split('\n')
      .filter((l) => l.startsWith('- '))
      .map((l) => l.slice(2));
    entries.push({ stage, sha: c.sha, date: c.date, evidence });
  }
  return entries.reverse();
}

/** The value after `<ns>/<name>/` of a trailer line for this rollout. */
export function trailer(message: string, key: string, m: RolloutModel): string | undefined {
  const prefix = `${key}: ${rolloutId(m)}/`;
  const line = message
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith(prefix));
  return line?.trim().slice(prefix.length);
}

interface Inputs {
  readonly model: RolloutModel;
  readonly path: string;
  /** Intent text on the default branch. */
  readonly text: string;
  /** Changelog text on the default branch ('' when absent). */
  readonly changelog: string;
  readonly ledger: readonly LedgerEntry[];
  readonly liveSince: Date;
  readonly regenerate: Regenerate;
  readonly repoUrl: string;
  readonly defaultBranch: string;
}

export function stageProposal(inp: Inputs, to: StageModel): Proposal {
  const { model: m } = inp;
  const from = m.stages.find((s) => s.name === m.stage)!;
  const intent = setStage(inp.text, to.name, inp.path);
  const generated = inp.regenerate(inp.path, intent);
  const genPath = `${DEFAULT_OUT_DIR}/${generated.file}`;
  const previous = inp.ledger.at(-1);
  const entry = [
    `## ${from.name} → ${to.name}`,
    '',
    `- canary weight ${describeStage(from, m)} → ${describeStage(to, m)}; ${to.bakeMs !== undefined ? `bake ${formatDuration(to.bakeMs)}` : 'last stage'}`,
    `- ${from.name} live since ${inp.liveSince.toISOString()}${previous && previous.stage === from.name ? ` (${previous.sha.slice(0, 7)})` : ''}`,
    ...(previous && previous.stage === from.name
      ? previous.evidence.map((e) => `- evidence for ${from.name}: ${markdownText(e)}`)
      : []),
    '',
  ].join('\n');
  const title = stageTitle(m, to);
  const body = stageBody(inp, from, to, genPath);
  return {
    title,
    body,
    commitMessage: `${title}\n\n${TRAILER_STAGE}: ${rolloutId(m)}/${to.name}\n`,
    ...proposalFiles(inp, intent, genPath, generated.content, entry, generated.others),
  };
}

/**
 * What a proposal commits (intent, generated file, changelog entry) and what its head must hold
 * to count as the bot's (the intent and generated file, compared by blob sha).
 */
function proposalFiles(
  inp: Inputs,
  intent: string,
  genPath: string,
  generated: string,
  entry: string,
  others: readonly { readonly file: string; readonly content: string }[] = [],
): Pick<Proposal, 'changes' | 'expected'> {
  const expected = [
    { path: inp.path, content: intent },
    { path: genPath, content: generated },
    ...others.map((o) => ({ path: `${DEFAULT_OUT_DIR}/${o.file}`, content: o.content })),
  ];
  return {
    changes: [...expected, { path: changelogPath(inp.model), content: appendEntry(inp.changelog, inp.model, entry) }],
    expected,
  };
}

export function rollbackProposal(
  inp: Inputs,
  abort: { readonly reason: string; readonly at: string; readonly clusters?: readonly string[] },
  evidence: readonly string[],
): Proposal {
  const { model: m } = inp;
  // The reason and evidence come from outside (a check's output, a person's --reason): bounded
  // and neutralised here, whoever called (docs/design.md, "Bot trust model and merge rule").
  const reason = plainText(abort.reason);
  const intent = setAbort(
    inp.text,
    { reason, at: abort.at, ...(abort.clusters ? { clusters: abort.clusters } : {}) },
    inp.path,
  );
  const generated = inp.regenerate(inp.path, intent);
  const genPath = `${DEFAULT_OUT_DIR}/${generated.file}`;
  // Some clusters of a wave (README "Waves across clusters"): the others go on at the live stage.
  const scope = abort.clusters ? clusterScope(m, abort.clusters) : undefined;
  const entry = [
    scope ? `## rollback of ${scope.rolledBack} at ${m.stage}` : `## rollback at ${m.stage}`,
    '',
    `- ${markdownText(reason)}`,
    ...evidence.map((e) => `- evidence: ${markdownText(e)}`),
    scope
      ? `- at ${abort.at}: ${scope.rolledBack} on 100 % stable; ${scope.goOn || 'no cluster'} go on at ${m.stage}`
      : `- at ${abort.at}: 100 % stable`,
    '',
  ].join('\n');
  const title = scope
    ? `stagegate: roll back ${m.name} in ${scope.rolledBack} (100 % ${m.stable})`
    : `stagegate: roll back ${m.name} (100 % ${m.stable})`;
  const what = scope
    ? `Rolls **${rolloutId(m)}** back in ${scope.rolledBack} only: \`spec.abort.clusters\` sends 100 % of their traffic to \`${m.stable}\` and keeps them out of later stages until a retry; ${scope.goOn || 'no cluster'} go on at \`${m.stage}\` (\`onClusterFailure: cluster\`).`
    : `Rolls **${rolloutId(m)}** back: \`spec.abort\` sends 100 % of traffic to \`${m.stable}\` and removes the cohort route.`;
  const body = [
    what,
    '',
    `**Why:** ${markdownText(reason)}`,
    '',
    ...evidence.map((e) => `- ${markdownText(e)}`),
    '',
    'Merges as soon as its static checks pass; it never waits for a bake window.',
    '',
    ledgerTable(inp.ledger),
    links(inp, genPath),
  ].join('\n');
  const key = scope ? TRAILER_CLUSTER_ROLLBACK : TRAILER_ROLLBACK;
  return {
    title,
    body,
    commitMessage: `${title}\n\n${reason}\n\n${key}: ${rolloutId(m)}/${m.stage}\n`,
    ...proposalFiles(inp, intent, genPath, generated.content, entry, generated.others),
  };
}

/** Which clusters a cluster rollback leaves on stable, and which go on (both in spec.clusters' order). */
function clusterScope(m: RolloutModel, clusters: readonly string[]): { rolledBack: string; goOn: string } {
  const all = m.clusters ?? [];
  return {
    rolledBack: all.filter((c) => clusters.includes(c)).join(', '),
    goOn: all.filter((c) => !clusters.includes(c)).join(', '),
  };
}

/** The squash-merge message: the evidence the merge relied on, then the trailer. */
export function mergeMessage(
  m: RolloutModel,
  to: string,
  number: number,
  evidence: MergeEvidence,
): { title: string; message: string } {
  const target = m.stages.find((s) => s.name === to)!;
  return {
    title: `${stageTitle(m, target)} (#${number})`,
    message: [
      `- ${evidence.stage} baked ${evidence.bake} since ${evidence.liveSince}`,
      `- ${plainText(evidence.health)}`,
      `- green: ${plainText(evidence.checks.join(', '))}`,
      '',
      `${TRAILER_STAGE}: ${rolloutId(m)}/${to}`,
    ].join('\n'),
  };
}

function appendEntry(changelog: string, m: RolloutModel, entry: string): string {
  const head =
    changelog === '' ? `# ${rolloutId(m)} changelog\n\nWritten by stagegate, one entry per stage PR.\n` : changelog;
  return `${head.endsWith('\n') ? head : `${head}\n`}\n${entry}`;
}

function stageBody(inp: Inputs, from: StageModel, to: StageModel, genPath: string): string {
  const m = inp.model;
  const bake = from.bakeMs ?? 0;
  const ready = new Date(inp.liveSince.getTime() + bake).toISOString();
  return [
    `Moves **${rolloutId(m)}** from \`${from.name}\` (${describeStage(from, m)}) to \`${to.name}\` (${describeStage(to, m)}).`,
    '',
    '### Diff',
    '',
    `- \`${inp.path}\`: \`spec.stage\` ${from.name} → ${to.name}`,
    `- \`${genPath}\`: canary weight ${from.weight} % → ${to.weight} %${to.cohort !== from.cohort ? `, cohort route ${to.cohort ? 'added' : 'removed'}` : ''}`,
    `- \`${changelogPath(m)}\`: one entry`,
    '',
    '### When this merges',
    '',
    `\`${from.name}\` has been live since ${inp.liveSince.toISOString()}; its bake (${formatDuration(bake)}) ends ${ready}. ` +
      'The bot merges when `stagegate/health` on this head is green after that, no health failure was reported since, and every other check is green.',
    '',
    `Timebox: stage ${formatDuration(m.timebox.stageMs)}, rollout ${formatDuration(m.timebox.rolloutMs)}; past it the PR is labelled \`stagegate:stalled\`.`,
    '',
    ledgerTable(inp.ledger),
    '### Weights',
    '',
    weightChart(m, to),
    '',
    links(inp, genPath),
  ].join('\n');
}

function ledgerTable(ledger: readonly LedgerEntry[]): string {
  if (ledger.length === 0) return '### Ledger\n\nNo stage promoted by stagegate yet.\n';
  const rows = ledger.map(
    (e) =>
      `| ${e.stage} | ${markdownText(e.date, 40)} | ${e.sha.slice(0, 7)} | ${e.evidence.map((x) => markdownText(x)).join('<br>') || '—'} |`,
  );
  return ['### Ledger', '', '| stage | live since | commit | evidence |', '|---|---|---|---|', ...rows, ''].join('\n');
}

/** Mermaid xychart: canary weight per stage, the target stage marked in the axis label. */
export function weightChart(m: RolloutModel, to: StageModel): string {
  const names = m.stages.map((s) => (s.name === to.name ? `"${s.name} ◀"` : `"${s.name}"`));
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${m.name}: canary weight by stage"`,
    `  x-axis [${names.join(', ')}]`,
    '  y-axis "canary %" 0 --> 100',
    `  bar [${m.stages.map((s) => s.weight).join(', ')}]`,
    '```',
  ].join('\n');
}

function links(inp: Inputs, genPath: string): string {
  const base = `${inp.repoUrl}/blob/${inp.defaultBranch}`;
  return [
    '### Links',
    '',
    `- intent: ${base}/${inp.path}`,
    `- manifests: ${base}/${genPath}`,
    `- changelog: ${base}/${changelogPath(inp.model)}`,
    '',
  ].join('\n');
}
