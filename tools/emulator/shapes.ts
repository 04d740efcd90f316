/**
 * Builders of GitHub's JSON objects (users, the repository, commits). Field sets follow the
 * `required` lists of GitHub's OpenAPI schemas; the tests validate every answer against them.
 */
import { createHash } from 'node:crypto';
import type { GitCommit, GitPerson } from './git-format.js';
import { iso } from './http.js';
import type { Identities } from './identity.js';

/** A stable small integer id for a name, so the same login always gets the same id. */
export function stableId(name: string): number {
  return (createHash('sha256').update(name).digest().readUInt32BE(0) % 100_000_000) + 1;
}

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64').replace(/=+$/, '');
}

export const EPOCH = '2024-01-01T00:00:00Z';

export class Shapes {
  readonly api: string;
  readonly html: string;

  constructor(
    readonly baseUrl: string,
    readonly owner: string,
    readonly repo: string,
    readonly identities: Identities,
  ) {
    this.api = `${baseUrl}/repos/${owner}/${repo}`;
    // No web UI is served; html links still point somewhere stable and recognisable.
    this.html = `${baseUrl}/${owner}/${repo}`;
  }

  user(login: string): Record<string, unknown> {
    // Bot logins ("name[bot]") need escaping to stay valid URIs, as GitHub escapes them.
    const path = encodeURIComponent(login);
    const url = `${this.baseUrl}/users/${path}`;
    const id = this.identities.userId(login);
    const bot = login.endsWith('[bot]');
    return {
      login,
      id,
      node_id: nodeId('User', id),
      avatar_url: `${this.baseUrl}/avatars/${path}`,
      gravatar_id: '',
      url,
      // An App's bot user links to the App's page (webhooks-examples check_suite[7].sender.html_url).
      html_url: bot ? `${this.baseUrl}/apps/${encodeURIComponent(login.slice(0, -5))}` : `${this.baseUrl}/${path}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: bot ? 'Bot' : 'User',
      site_admin: false,
      user_view_type: 'public',
    };
  }

  /** GET /users/{username}: the public-user shape. */
  publicUser(login: string): Record<string, unknown> {
    const { user_view_type: _view, ...base } = this.user(login);
    return { ...base, ...this.profile(login, 0) };
  }

  /** GET /user: the private-user shape. */
  privateUser(login: string): Record<string, unknown> {
    return {
      ...this.user(login),
      ...this.profile(login, 1),
      private_gists: 0,
      total_private_repos: 0,
      owned_private_repos: 0,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
    };
  }

  /** The profile fields both user shapes require (OA public-user, private-user), in their order. */
  private profile(login: string, publicRepos: number): Record<string, unknown> {
    return {
      name: login,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      public_repos: publicRepos,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: EPOCH,
      updated_at: EPOCH,
    };
  }

  /**
   * Satisfies full-repository, repository and minimal-repository at once. The merge settings
   * are the `get-repository` fixture's fields (allow_*_merge, allow_auto_merge, allow_update_branch).
   */
  repository(
    openIssues: number,
    pushedAt: Date,
    settings: {
      readonly mergeMethods: readonly string[];
      readonly allowAutoMerge: boolean;
      readonly allowUpdateBranch: boolean;
    } = { mergeMethods: ['merge', 'squash', 'rebase'], allowAutoMerge: false, allowUpdateBranch: false },
  ): Record<string, unknown> {
    const a = this.api;
    const id = stableId(`${this.owner}/${this.repo}`);
    return {
      id,
      node_id: nodeId('Repository', id),
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      owner: this.user(this.owner),
      private: true,
      html_url: this.html,
      description: null,
      fork: false,
      url: a,
      archive_url: `${a}/{archive_format}{/ref}`,
      assignees_url: `${a}/assignees{/user}`,
      blobs_url: `${a}/git/blobs{/sha}`,
      branches_url: `${a}/branches{/branch}`,
      collaborators_url: `${a}/collaborators{/collaborator}`,
      comments_url: `${a}/comments{/number}`,
      commits_url: `${a}/commits{/sha}`,
      compare_url: `${a}/compare/{base}...{head}`,
      contents_url: `${a}/contents/{+path}`,
      contributors_url: `${a}/contributors`,
      deployments_url: `${a}/deployments`,
      downloads_url: `${a}/downloads`,
      events_url: `${a}/events`,
      forks_url: `${a}/forks`,
      git_commits_url: `${a}/git/commits{/sha}`,
      git_refs_url: `${a}/git/refs{/sha}`,
      git_tags_url: `${a}/git/tags{/sha}`,
      git_url: `git://127.0.0.1/${this.owner}/${this.repo}.git`,
      issue_comment_url: `${a}/issues/comments{/number}`,
      issue_events_url: `${a}/issues/events{/number}`,
      issues_url: `${a}/issues{/number}`,
      keys_url: `${a}/keys{/key_id}`,
      labels_url: `${a}/labels{/name}`,
      languages_url: `${a}/languages`,
      merges_url: `${a}/merges`,
      milestones_url: `${a}/milestones{/number}`,
      notifications_url: `${a}/notifications{?since,all,participating}`,
      pulls_url: `${a}/pulls{/number}`,
      releases_url: `${a}/releases{/id}`,
      ssh_url: `git@127.0.0.1:${this.owner}/${this.repo}.git`,
      stargazers_url: `${a}/stargazers`,
      statuses_url: `${a}/statuses/{sha}`,
      subscribers_url: `${a}/subscribers`,
      subscription_url: `${a}/subscription`,
      tags_url: `${a}/tags`,
      teams_url: `${a}/teams`,
      trees_url: `${a}/git/trees{/sha}`,
      clone_url: `${this.html}.git`,
      mirror_url: null,
      hooks_url: `${a}/hooks`,
      svn_url: this.html,
      homepage: null,
      language: 'TypeScript',
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 1,
      default_branch: 'main',
      open_issues_count: openIssues,
      open_issues: openIssues,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: 'private',
      pushed_at: iso(pushedAt),
      created_at: EPOCH,
      updated_at: iso(pushedAt),
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_rebase_merge: settings.mergeMethods.includes('rebase'),
      allow_squash_merge: settings.mergeMethods.includes('squash'),
      allow_merge_commit: settings.mergeMethods.includes('merge'),
      allow_auto_merge: settings.allowAutoMerge,
      delete_branch_on_merge: false,
      use_squash_pr_title_as_default: false,
      allow_update_branch: settings.allowUpdateBranch,
      allow_forking: false,
      web_commit_signoff_required: false,
      license: null,
      network_count: 0,
      subscribers_count: 0,
    };
  }

  gitPerson(p: GitPerson): Record<string, unknown> {
    return { name: p.name, email: p.email, date: iso(p.date) };
  }

  /**
   * The `verification` object (OA `verification`: verified, reason, payload, signature,
   * verified_at). `signed` = GitHub signed it: an App's Git Data API commit without custom
   * author or committer (github/docs about-commit-signature-verification, "Signature
   * verification for bots"); everything else is `unsigned`, as the create-file fixture shows
   * for a personal token's API commit.
   */
  verification(c: GitCommit, signed: boolean): Record<string, unknown> {
    return signed
      ? { verified: true, reason: 'valid', signature: null, payload: null, verified_at: iso(c.committer.date) }
      : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };
  }

  /** The GitHub account an email links to (null when none), as a simple-user. */
  userForEmail(email: string): Record<string, unknown> | null {
    const found = this.identities.loginForEmail(email);
    return found ? this.user(found.login) : null;
  }

  /** The git-commit shape (GET/POST /git/commits). */
  gitCommit(c: GitCommit, signed = false): Record<string, unknown> {
    return {
      sha: c.sha,
      node_id: nodeId('Commit', c.sha),
      url: `${this.api}/git/commits/${c.sha}`,
      html_url: `${this.html}/commit/${c.sha}`,
      author: this.gitPerson(c.author),
      committer: this.gitPerson(c.committer),
      message: c.message.replace(/\n$/, ''),
      tree: { sha: c.tree, url: `${this.api}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${this.api}/git/commits/${p}`,
        html_url: `${this.html}/commit/${p}`,
      })),
      verification: this.verification(c, signed),
    };
  }

  /**
   * The commit shape (GET /commits, /pulls/{n}/commits): `author` and `committer` are the
   * accounts their emails link to, null for an unknown email.
   */
  commit(c: GitCommit, signed = false): Record<string, unknown> {
    return {
      url: `${this.api}/commits/${c.sha}`,
      sha: c.sha,
      node_id: nodeId('Commit', c.sha),
      html_url: `${this.html}/commit/${c.sha}`,
      comments_url: `${this.api}/commits/${c.sha}/comments`,
      commit: {
        url: `${this.api}/git/commits/${c.sha}`,
        author: this.gitPerson(c.author),
        committer: this.gitPerson(c.committer),
        message: c.message.replace(/\n$/, ''),
        comment_count: 0,
        tree: { sha: c.tree, url: `${this.api}/git/trees/${c.tree}` },
        verification: this.verification(c, signed),
      },
      author: this.userForEmail(c.author.email),
      committer: this.userForEmail(c.committer.email),
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${this.api}/commits/${p}`,
        html_url: `${this.html}/commit/${p}`,
      })),
    };
  }
}
