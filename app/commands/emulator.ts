import { resolve } from 'node:path';
import { UsageError, defineCommand } from '../cli/command.js';
import { REPO_OPTION, parseRepo } from '../cli/flags.js';
import { startEmulator } from '../../tools/emulator/index.js';

export const emulatorCommand = defineCommand({
  name: 'emulator',
  summary: 'serve an emulated GitHub REST API for one repository, backed by a real bare git repo',
  options: {
    ...REPO_OPTION,
    seed: { type: 'string', value: 'DIR', help: 'files of the first commit on main' },
    port: { type: 'string', value: 'P', help: 'port on 127.0.0.1 (default: any free one)' },
    data: { type: 'string', value: 'DIR', help: 'where the bare git repository lives (default: a temporary dir)' },
    validate: { type: 'boolean', help: "check every answer against GitHub's OpenAPI description" },
  },
  exits: { ok: 'served until Ctrl-C' },
  async run({ values }, io) {
    const { owner, repo } = parseRepo(values.repo);
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer 0–65535 (got ${String(values.port)})`);
    const emu = await startEmulator({
      owner,
      repo,
      port,
      seedDir: values.seed === undefined ? undefined : resolve(io.cwd, values.seed),
      dataDir: values.data === undefined ? undefined : resolve(io.cwd, values.data),
      validateResponses: values.validate === true,
    });
    if (values.json === true) {
      io.stdout(`${JSON.stringify({ url: emu.url, repo: `${owner}/${repo}`, gitDir: emu.gitDir })}\n`);
    } else {
      io.stdout(
        `GitHub emulator for ${owner}/${repo} at ${emu.url} (any token; git: ${emu.gitDir})\n` +
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
});
