/**
 * A GitHub REST emulator for one repository, backed by a real bare git repository. The bot
 * talks to it through the real @octokit/rest client; see README's architecture section.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { control } from './control.js';
import { Faults } from './faults.js';
import { GitStore } from './git-store.js';
import { ApiError, DOCS, notFound, type Route } from './http.js';
import { Identities } from './identity.js';
import { checkRoutes } from './routes-checks.js';
import { gitRoutes } from './routes-git.js';
import { issueRoutes } from './routes-issues.js';
import { runAutoMerges } from './merge.js';
import { permissionRoutes } from './permissions.js';
import { teamRoutes } from './teams.js';
import { pullRoutes } from './routes-pulls.js';
import { reviewRoutes } from './routes-reviews.js';
import { repoRoutes } from './routes-repo.js';
import { ApiServer } from './server.js';
import { Shapes } from './shapes.js';
import { RepoState } from './state.js';
import type { Emulator, EmulatorOptions, RequestLogEntry } from './types.js';

export { ConfigError, parseConfig, type EmulatorConfig } from './config.js';
export type {
  AppConfig,
  BranchProtection,
  MergeMethod,
  PermissionLevel,
  Emulator,
  EmulatorOptions,
  FaultInjector,
  FaultMatch,
  FaultRule,
  FaultSpec,
  RequestLogEntry,
} from './types.js';

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const now = opts.now ?? (() => new Date());
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'stagegate-github-'));
  const gitDir = join(resolve(dataDir), `${opts.owner}+${opts.repo}.git`);
  const identities = new Identities({ owner: opts.owner, users: opts.users, apps: opts.apps, emails: opts.emails });
  let git: GitStore;
  try {
    mkdirSync(dataDir, { recursive: true });
    git = existsSync(join(gitDir, 'HEAD')) ? new GitStore(gitDir) : GitStore.init(gitDir);
    if (!git.resolve('refs/heads/main')) seed(git, opts, identities, now());
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(
      `cannot prepare the emulated repository ${opts.owner}/${opts.repo} in ${dataDir}; is git ≥ 2.38 on PATH?`,
      { cause: err },
    );
  }

  const faults = new Faults();
  const requests: RequestLogEntry[] = [];
  let state: RepoState | undefined;
  const server = new ApiServer({
    owner: opts.owner,
    repo: opts.repo,
    now,
    identities,
    validateResponses: opts.validateResponses ?? false,
    rateLimit: opts.rateLimit ?? 5000,
    faults,
    requests,
    onRequest: opts.onRequest,
    afterWrite: (now) => {
      if (state) runAutoMerges(state, now);
    },
    control: (method, path, body) => {
      const reply = control({ faults, requests, state: () => state!, now }, method, path, body);
      if (method !== 'GET' && state) runAutoMerges(state, now());
      return reply;
    },
    routes: (baseUrl) => {
      const shapes = new Shapes(baseUrl, opts.owner, opts.repo, identities);
      const s = new RepoState(git, shapes, opts.owner, opts.repo, now(), {
        lazyMergeability: opts.lazyMergeability ?? false,
        checkRunsByUsers: opts.checkRunsByUsers ?? opts.apps === undefined,
      });
      s.settings.mergeMethods = [...(opts.mergeMethods ?? ['merge', 'squash', 'rebase'])];
      s.settings.allowAutoMerge = opts.allowAutoMerge ?? false;
      s.settings.allowUpdateBranch = opts.allowUpdateBranch ?? false;
      s.settings.admins = [...(opts.admins ?? [])];
      for (const [login, level] of Object.entries(opts.permissions ?? {}))
        s.settings.permissions.set(login.toLowerCase(), level);
      for (const [team, members] of Object.entries(opts.teams ?? {}))
        s.settings.teams.set(team.toLowerCase(), [...members]);
      for (const [branch, rules] of Object.entries(opts.protection ?? {})) s.settings.protection.set(branch, rules);
      state = s;
      return [
        ...userRoutes(s),
        ...repoRoutes(s),
        ...gitRoutes(s),
        ...pullRoutes(s),
        ...reviewRoutes(s),
        ...permissionRoutes(s),
        ...teamRoutes(s),
        ...checkRoutes(s),
        ...issueRoutes(s),
      ];
    },
  });
  let url: string;
  try {
    url = await server.listen(opts.port ?? 0);
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`cannot listen on 127.0.0.1:${opts.port ?? 0}; choose another --port`, { cause: err });
  }

  return {
    url,
    gitDir,
    requests,
    faults,
    async close() {
      await server.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
    resetLog() {
      requests.length = 0;
    },
    readFile(ref, path) {
      const sha =
        git.resolve(ref.startsWith('refs/') || /^[0-9a-f]{40}$/.test(ref) ? ref : `refs/heads/${ref}`) ??
        git.resolve(ref);
      if (!sha) return undefined;
      const [entry] = git.lsTree(sha, false, path.replace(/^\/+/, ''));
      return entry?.type === 'blob' ? git.readBlob(entry.sha).toString('utf8') : undefined;
    },
    log(ref = 'main') {
      const sha = git.resolve(ref.startsWith('refs/') || /^[0-9a-f]{40}$/.test(ref) ? ref : `refs/heads/${ref}`);
      if (!sha) return [];
      return git.revList(sha).map((c) => {
        const commit = git.readCommit(c);
        return { sha: c, message: commit.message.replace(/\n$/, ''), parents: commit.parents };
      });
    },
  };
}

/** Who am I, and who is that: GET /user and GET /users/{username}. */
function userRoutes(state: RepoState): Route[] {
  return [
    {
      method: 'GET',
      template: '/user',
      handler: (ctx) => {
        // An installation token cannot read /user (actions/create-github-app-token#258 transcript;
        // OA users/get-authenticated lists 403 → basic-error).
        if (ctx.identity.kind === 'app') {
          throw new ApiError(
            403,
            'Resource not accessible by integration',
            `${DOCS}/users/users#get-the-authenticated-user`,
          );
        }
        return { status: 200, body: state.shapes.privateUser(ctx.login) };
      },
    },
    {
      method: 'GET',
      template: '/users/{username}',
      handler: (ctx) => {
        // `GET /users/SLUG[bot]` gives the bot user's id (actions/create-github-app-token README,
        // PR #287); only accounts the emulator knows exist.
        const known = state.shapes.identities.forLogin(ctx.params.username);
        if (!known) throw notFound();
        return { status: 200, body: state.shapes.publicUser(known.login) };
      },
    },
  ];
}

/** main's first commit: seedDir's files (git-tracked ones when it is a work tree), then seedFiles. */
function seed(git: GitStore, opts: EmulatorOptions, identities: Identities, date: Date): void {
  const files = new Map<string, Buffer>();
  if (opts.seedDir) {
    const dir = resolve(opts.seedDir);
    for (const path of seedPaths(dir)) files.set(path, readFileSync(join(dir, path)));
  }
  for (const [path, content] of Object.entries(opts.seedFiles ?? {}))
    files.set(path.replace(/^\/+/, ''), Buffer.from(content, 'utf8'));
  const tree = git.treeFromFiles(files);
  // The repository's owner made the first commit, from their noreply address.
  const person = identities.gitPerson(opts.owner, date);
  const sha = git.commitTree(tree, [], 'Initial commit', person);
  git.updateRef('refs/heads/main', sha);
}

function seedPaths(dir: string): string[] {
  const listed = spawnSync('git', ['-C', dir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  const inWorkTree = listed.status === 0;
  const paths = inWorkTree ? listed.stdout.toString('utf8').split('\0').filter(Boolean) : walk(dir, dir);
  return paths.filter(
    (p) => !p.split('/').some((part) => part === 'node_modules' || part === '.git') && isFile(join(dir, p)),
  );
}

function walk(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.git') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(root, full));
    else if (entry.isFile()) out.push(relative(root, full).split('\\').join('/'));
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
