/**
 * GitHub's JSON as far as the adapter reads it, and its reduction to the port's types. Only
 * these reduced values are remembered in the cache.
 */
import type { CheckRun, CommitSummary, PullCommit, PullRequest } from './port.js';
import { FIELD_MAX, truncate } from './text.js';

export interface PullData {
  number: number;
  state: string;
  merged_at: string | null;
  closed_at: string | null;
  created_at: string;
  html_url: string;
  head: { ref: string; sha: string; repo?: { full_name?: string } | null };
  base: { ref: string; sha?: string };
  user?: { login?: string } | null;
  title: string;
  body: string | null;
  labels: Array<{ name?: string } | string>;
}
export interface TreeData {
  sha: string;
  truncated?: boolean;
  tree: Array<{ path?: string; type?: string; sha?: string; mode?: string }>;
}
export interface CommitData {
  sha: string;
  commit: { message: string; committer?: { date?: string; email?: string } | null; author?: { date?: string } | null };
}

/** The committer GitHub writes into merges and web edits. */
const GITHUB_COMMITTER = 'noreply@github.com';
export interface CheckRunData {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  output?: { title?: string | null; summary?: string | null };
  html_url?: string | null;
  app?: { id?: number; slug?: string } | null;
}

/** A commit as GET /pulls/{n}/commits and GET /compare list it. */
export interface ListedCommitData {
  sha: string;
  commit?: {
    author?: { email?: string | null } | null;
    committer?: { email?: string | null } | null;
    verification?: { verified?: boolean } | null;
  };
  author?: { login?: string } | null;
  committer?: { login?: string } | null;
  parents?: unknown[];
}

export function toPullCommit(x: ListedCommitData): PullCommit {
  return {
    sha: x.sha,
    authorLogin: x.author?.login ?? null,
    committerLogin: x.committer?.login ?? null,
    authorEmail: x.commit?.author?.email ?? null,
    committerEmail: x.commit?.committer?.email ?? null,
    verified: x.commit?.verification?.verified === true,
    parents: Array.isArray(x.parents) ? x.parents.length : 1,
  };
}

export function toPull(p: PullData): PullRequest {
  return {
    number: p.number,
    state: p.state === 'open' ? 'open' : 'closed',
    merged: p.merged_at !== null,
    mergedAt: p.merged_at,
    closedAt: p.closed_at,
    createdAt: p.created_at,
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    ...(p.base.sha ? { baseSha: p.base.sha } : {}),
    author: p.user?.login ?? null,
    title: p.title,
    body: p.body ?? '',
    labels: p.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
    url: p.html_url,
  };
}

/** A PR with the repository its head lives in (to tell forks apart before adopting a branch). */
export function toPullFrom(p: PullData): PullRequest & { repo?: string } {
  const repo = p.head.repo?.full_name;
  return { ...toPull(p), ...(repo ? { repo } : {}) };
}

export function toCheckRun(x: CheckRunData): CheckRun {
  return {
    id: x.id,
    name: x.name,
    headSha: x.head_sha,
    status: x.status as CheckRun['status'],
    conclusion: (x.conclusion ?? null) as CheckRun['conclusion'],
    startedAt: x.started_at ?? null,
    completedAt: x.completed_at ?? null,
    // Outside text: bounded here (neutralised where it is written, text.ts).
    ...((x.output?.title ?? x.output?.summary)
      ? { summary: truncate((x.output?.title ?? x.output?.summary)!, FIELD_MAX) }
      : {}),
    ...(x.html_url ? { url: x.html_url } : {}),
    app:
      x.app && typeof x.app.id === 'number' && typeof x.app.slug === 'string'
        ? { id: x.app.id, slug: x.app.slug }
        : null,
  };
}

export function toSummary(x: CommitData): CommitSummary {
  const byGitHub = x.commit.committer?.email === GITHUB_COMMITTER;
  return {
    sha: x.sha,
    message: x.commit.message,
    date: x.commit.committer?.date ?? x.commit.author?.date ?? '',
    ...(byGitHub ? { byGitHub } : {}),
  };
}
