import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandError, UsageError, defineCommand } from '../cli/command.js';
import { REPO_OPTION, parseRepo } from '../cli/flags.js';
import { ConfigError, parseConfig, startEmulator, type EmulatorConfig } from '../../tools/emulator/index.js';

/** The --config file's fields, for --help (tools/emulator/README.md has the details). */
const CONFIG_HELP = `
--config FILE is JSON; every field is optional:
  "repo": "OWNER/NAME"                 used when --repo is absent
  "users": { "TOKEN": "login" }        people (type User); GET /user answers them
  "apps": { "TOKEN": "slug" }          GitHub App installation tokens: act as slug[bot] (type Bot),
                                       GET /user 403, may create check runs; "github-actions" is App 15368
                                       (or { "slug", "id", "name", "botUserId" })
  "emails": { "email": "login" }       links commits with that author email to the account
  "protection": { "main": { "requiredApprovingReviews": 1, "requireCodeOwnerReviews": false,
      "requiredStatusChecks": [{ "context": "stagegate/verify", "app": "slug" }], "strict": true,
      "mergeQueue": false, "bypass": ["slug"] } }  ruleset-style rules enforced on merge (405)
  "mergeMethods": ["squash", "merge", "rebase"]  allowed merge methods (default all three)
  "allowAutoMerge", "allowUpdateBranch", "checkRunsByUsers", "lazyMergeability", "validate": true|false
  "admins": ["login" | "slug"]         may read GET /branches/{b}/protection
  "permissions": { "login": "read" }   repository roles: admin, maintain, write, triage, read, none
                                       (default write; approvals count from write or more, as on GitHub)
  "teams": { "org/slug": ["login", "login:pending"] }  GET /orgs/{org}/teams/{team_slug}/memberships/{username}
  "rateLimit": 5000                    primary requests/hour per user and per App installation
  "faults": [{ "kind": "status", "status": 502, "match": { "method": "PUT", "path": "/merge$",
      "login": "slug[bot]" }, "times": 1 }]  kinds: status, secondaryRateLimit, latency, drop, dropAfter
  "randomFaults": { "seed": 1, "rate": 0.05 }
  "requestLog": "FILE"                 appends one JSON line per request
Test hooks (no token): GET|DELETE /_emulator/requests, POST|DELETE /_emulator/faults,
PUT|DELETE /_emulator/protection/BRANCH, PATCH /_emulator/settings, PUT|DELETE /_emulator/pulls/N/auto-merge`;

function readConfig(path: string): EmulatorConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read --config ${path}: ${(err as Error).message}`);
  }
  try {
    return parseConfig(text, path);
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(`--config: ${err.message}`);
    throw err;
  }
}

export const emulatorCommand = defineCommand({
  name: 'emulator',
  summary: `serve an emulated GitHub REST API for one repository, backed by a real bare git repo\n${CONFIG_HELP}`,
  options: {
    ...REPO_OPTION,
    config: {
      type: 'string',
      value: 'FILE',
      help: 'identities, branch rules, merge methods, faults, request log (below)',
    },
    seed: { type: 'string', value: 'DIR', help: 'files of the first commit on main' },
    port: { type: 'string', value: 'P', help: 'port on 127.0.0.1 (default: any free one)' },
    data: { type: 'string', value: 'DIR', help: 'where the bare git repository lives (default: a temporary dir)' },
    validate: { type: 'boolean', help: "check every answer against GitHub's OpenAPI description" },
  },
  exits: { ok: 'served until Ctrl-C', error: 'the --config file is unreadable or wrong' },
  async run({ values }, io) {
    const config = values.config === undefined ? undefined : readConfig(resolve(io.cwd, values.config));
    const { owner, repo } = parseRepo(values.repo ?? config?.repo);
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer 0–65535 (got ${String(values.port)})`);
    const logFile = config?.requestLog === undefined ? undefined : resolve(io.cwd, config.requestLog);
    const emu = await startEmulator({
      ...config?.options,
      ...(logFile ? { onRequest: (entry) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`) } : {}),
      owner,
      repo,
      port,
      seedDir: values.seed === undefined ? undefined : resolve(io.cwd, values.seed),
      dataDir: values.data === undefined ? undefined : resolve(io.cwd, values.data),
      validateResponses: values.validate === true || config?.options.validateResponses === true,
    });
    for (const rule of config?.faults ?? []) emu.faults.add(rule);
    const random = config?.randomFaults;
    if (random) emu.faults.random(random.seed, random.rate, random.kinds, random.match);
    if (values.json === true) {
      io.stdout(`${JSON.stringify({ url: emu.url, repo: `${owner}/${repo}`, gitDir: emu.gitDir })}\n`);
    } else {
      io.stdout(
        `GitHub emulator for ${owner}/${repo} at ${emu.url} (${config?.options.users || config?.options.apps ? 'tokens from --config' : 'any token'}; git: ${emu.gitDir})\n` +
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
