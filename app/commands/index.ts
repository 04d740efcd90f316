/**
 * The table of contents of the CLI: one line per command, in the order `--help` lists them.
 * Each command module is loaded only when it runs, so `synth --stdout` (Argo CD's path) never
 * loads the bot, the emulator, the demo or the benchmarks.
 */
import type { Command } from '../cli/command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'synth',
    summary: 'compile every intent in rollouts/ into generated/ (atomic; --stdout for Argo CD)',
    load: async () => (await import('./synth.js')).synthCommand,
  },
  {
    name: 'check',
    summary: 'validate intents, pre-flight analysis of their output, and whether generated/ is current',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'plan',
    summary: 'per stage: weight, bake, minimum canary requests, expected time to detect a regression, total time',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    name: 'gate',
    summary: 'pass / hold / fail of the live stage from Prometheus, with evidence (exit 0 / 3 / 1)',
    load: async () => (await import('./gate.js')).gateCommand,
  },
  {
    name: 'status',
    summary: 'read-only: every rollout, its live stage and weight, its PR and what it waits for, health, timebox',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'report',
    summary: 'post-release analysis of a rollout from Git and Prometheus: Markdown with an SVG chart per signal',
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    name: 'verify',
    summary: 'static check (intents, generated/ current, pre-flight), optionally posted as stagegate/verify',
    load: async () => (await import('./verify.js')).verifyCommand,
  },
  {
    name: 'advance',
    summary: 'one reconcile pass of the stage bot (--watch to loop); GITHUB_TOKEN / GITHUB_API_URL from env',
    load: async () => (await import('./advance.js')).advanceCommand,
  },
  {
    name: 'abort',
    summary: 'open the rollback PR of a rollout by hand (spec.abort: 100 % stable)',
    load: async () => (await import('./abort.js')).abortCommand,
  },
  {
    name: 'promote',
    summary: 'merge the open stage PR before its bake is over, with a reason recorded in the ledger',
    load: async () => (await import('./promote.js')).promoteCommand,
  },
  {
    name: 'retry',
    summary: 'after an abort: open the PR that starts a new canary version at the first stage',
    load: async () => (await import('./retry.js')).retryCommand,
  },
  {
    name: 'drill',
    summary: 'open the PR that rehearses a rollback: an Istio fault on the staged copy’s cohort route',
    load: async () => (await import('./drill.js')).drillCommand,
  },
  {
    name: 'emulator',
    summary: 'serve an emulated GitHub REST API for one repository, backed by a real bare git repo',
    load: async () => (await import('./emulator.js')).emulatorCommand,
  },
  {
    name: 'demo',
    summary:
      'end to end on this machine: real Prometheus, emulated GitHub, one rollout promoted, one rolled back, one drill',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'bench',
    summary: 'benchmarks (synth, detection, bot, rules, fleet) as ratios against baselines measured in the same run',
    load: async () => (await import('./bench.js')).benchCommand,
  },
];
