/** Runs the CLI in-process (app/cli/main.ts), capturing what it prints: the tests' one way to call a command. */
import { main, type Io } from '../app/cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: readonly string[], cwd: string, env: Io['env']): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd,
    env,
  };
  const code = await main([...argv], io);
  return { code, stdout, stderr };
}
