import { resolve } from 'node:path';
import { UsageError, type Command } from '../cli/command.js';
import { startEmulator } from '../../tools/emulator/index.js';

export const emulatorCommand: Command = {
  name: 'emulator',
  usage: 'emulator --repo OWNER/NAME [--seed DIR] [--port P] [--data DIR] [--validate] [--json]',
  options: {
    repo: { type: 'string' },
    seed: { type: 'string' },
    port: { type: 'string' },
    data: { type: 'string' },
    validate: { type: 'boolean' },
  },
  async run({ values }, io) {
    const repo = values.repo as string | undefined;
    const match = repo ? /^([\w.-]+)\/([\w.-]+)$/.exec(repo) : null;
    if (!match)
      throw new UsageError(`--repo must be OWNER/NAME (got ${repo === undefined ? 'nothing' : JSON.stringify(repo)})`);
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer 0–65535 (got ${String(values.port)})`);
    const seed = values.seed as string | undefined;
    const data = values.data as string | undefined;
    const emu = await startEmulator({
      owner: match[1],
      repo: match[2],
      port,
      seedDir: seed === undefined ? undefined : resolve(io.cwd, seed),
      dataDir: data === undefined ? undefined : resolve(io.cwd, data),
      validateResponses: values.validate === true,
    });
    if (values.json === true) {
      io.stdout(`${JSON.stringify({ url: emu.url, repo: `${match[1]}/${match[2]}`, gitDir: emu.gitDir })}\n`);
    } else {
      io.stdout(
        `GitHub emulator for ${match[1]}/${match[2]} at ${emu.url} (any token; git: ${emu.gitDir})\n` +
          `  GITHUB_API_URL=${emu.url}\n  press Ctrl-C to stop\n`,
      );
    }
    // Serve until Ctrl-C; without a signal (in-process callers) there is nothing to wait for.
    if (io.signal && !io.signal.aborted) {
      await new Promise<void>((done) => io.signal!.addEventListener('abort', () => done(), { once: true }));
    }
    await emu.close();
    return 0;
  },
};
