/** The table of contents of the CLI: one line per command, in the order `--help` lists them. */
import type { Command } from '../cli.js';
import { synthCommand } from './synth.js';
import { checkCommand } from './check.js';
import { planCommand } from './plan.js';
import { gateCommand } from './gate.js';
import { verifyCommand } from './verify.js';
import { advanceCommand } from './advance.js';
import { abortCommand } from './abort.js';
import { emulatorCommand } from './emulator.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';

export const COMMANDS: readonly Command[] = [
  synthCommand,
  checkCommand,
  planCommand,
  gateCommand,
  verifyCommand,
  advanceCommand,
  abortCommand,
  emulatorCommand,
  demoCommand,
  benchCommand,
];
