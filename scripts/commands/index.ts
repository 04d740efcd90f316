/** The table of contents of the CLI: one line per command, in the order `--help` lists them. */
import type { Command } from '../cli.js';
import { synthCommand } from './synth.js';
import { checkCommand } from './check.js';

export const COMMANDS: readonly Command[] = [
  synthCommand,
  checkCommand,
];
