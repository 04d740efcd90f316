/**
 * Check runs and commit statuses: the signals the bot gates merges on. The "latest run per
 * name" and combined-status rules are GitHub's, so the bot meets the same ambiguities here.
 */
import {
  bodyOf,
  iso,
  notFound,
  optionalString,
  paginate,
  requireString,
  validationFailed,
  type Ctx,
  type Route,
} from './http.js';
import { EPOCH, nodeId, stableId } from './shapes.js';
import type { CheckRunRecord, RepoState, StatusRecord } from './state.js';

const R = '/repos/{owner}/{repo}';
const STATUSES = new Set(['queued', 'in_progress', 'completed']);
const CONCLUSIONS = new Set(['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required']);
const STATES = new Set(['error', 'failure', 'pending', 'success']);

/** Latest status per context, in the order contexts first appeared. */
export function latestStatuses(s: RepoState, sha: string): StatusRecord[] {
  const latest = new Map<string, StatusRecord>();
  for (const st of s.statuses) if (st.sha === sha) latest.set(st.context, st);
  return [...latest.values()];
}

/** GitHub's combined state: no statuses at all reads "pending". */
export function combinedState(statuses: readonly StatusRecord[]): 'failure' | 'pending' | 'success' {
  if (statuses.length === 0) return 'pending';
  if (statuses.some((st) => st.state === 'error' || st.state === 'failure')) return 'failure';
  if (statuses.some((st) => st.state === 'pending')) return 'pending';
  return 'success';
}

/** The latest check run of each name on a commit (highest id wins, as the newest does on GitHub). */
export function latestCheckRuns(s: RepoState, sha: string): CheckRunRecord[] {
  const latest = new Map<string, CheckRunRecord>();
  for (const run of s.checkRuns)
    if (run.headSha === sha && (latest.get(run.name)?.id ?? -1) < run.id) latest.set(run.name, run);
  return [...latest.values()];
}

export function checkRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;

  const app = (login: string): Record<string, unknown> => {
    const slug = login.replace(/\[bot\]$/, '');
    const id = stableId(`app:${slug}`);
    return {
      id,
      slug,
      node_id: nodeId('App', id),
      owner: s.shapes.user(s.owner),
      name: slug,
      description: null,
      external_url: `${s.shapes.baseUrl}/apps/${encodeURIComponent(slug)}`,
      html_url: `${s.shapes.baseUrl}/apps/${encodeURIComponent(slug)}`,
      created_at: EPOCH,
      updated_at: EPOCH,
      permissions: { checks: 'write', contents: 'write', pull_requests: 'write', statuses: 'write' },
      events: [],
    };
  };

  const runJson = (run: CheckRunRecord): Record<string, unknown> => {
    const repoRef = { id: stableId(`${s.owner}/${s.repo}`), url: api, name: s.repo };
    const pulls = s.pulls
      .filter((p) => p.state === 'open' && p.headSha === run.headSha)
      .map((p) => ({
        id: p.id,
        number: p.number,
        url: `${api}/pulls/${p.number}`,
        head: { ref: p.head, sha: p.headSha, repo: repoRef },
        base: { ref: p.base, sha: s.git.resolve(`refs/heads/${p.base}`) ?? p.headSha, repo: repoRef },
      }));
    return {
      id: run.id,
      head_sha: run.headSha,
      node_id: nodeId('CheckRun', run.id),
      external_id: run.externalId,
      url: `${api}/check-runs/${run.id}`,
      html_url: `${html}/runs/${run.id}`,
      details_url: run.detailsUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt ? iso(run.startedAt) : null,
      completed_at: run.completedAt ? iso(run.completedAt) : null,
      output: { ...run.output, annotations_count: 0, annotations_url: `${api}/check-runs/${run.id}/annotations` },
      name: run.name,
      check_suite: { id: stableId(`suite:${run.headSha}:${run.login}`) },
      app: app(run.login),
      pull_requests: pulls,
    };
  };

  /** Applies the writable fields of a create/update body; `completed` needs a conclusion, as on GitHub. */
  const apply = (run: CheckRunRecord, body: Record<string, unknown>, ctx: Ctx): void => {
    const status = optionalString(body, 'status');
    const conclusion = optionalString(body, 'conclusion');
    if (status !== undefined && !STATUSES.has(status))
      throw validationFailed(
        `Invalid request.\n\n${JSON.stringify(status)} is not a member of ["queued","in_progress","completed"].`,
      );
    if (conclusion !== undefined && !CONCLUSIONS.has(conclusion))
      throw validationFailed(`Invalid request.\n\n${JSON.stringify(conclusion)} is not a valid conclusion.`);
    if (status === 'completed' && conclusion === undefined && run.conclusion === null) {
      throw validationFailed('Invalid request.\n\nNo subschema in "anyOf" matched.\n"conclusion" wasn\'t supplied.');
    }
    const name = optionalString(body, 'name');
    if (name !== undefined) run.name = name;
    const date = (field: string): Date | undefined => {
      const value = optionalString(body, field);
      if (value === undefined) return undefined;
      const d = new Date(value);
      if (Number.isNaN(d.getTime()))
        throw validationFailed(`Invalid request.\n\n${JSON.stringify(value)} is not a valid date-time for "${field}".`);
      return d;
    };
    run.startedAt = date('started_at') ?? run.startedAt;
    if (conclusion !== undefined) {
      run.conclusion = conclusion;
      run.status = 'completed';
    } else if (status !== undefined) {
      run.status = status;
      if (status !== 'completed') run.conclusion = null;
    }
    run.completedAt = date('completed_at') ?? (run.status === 'completed' ? (run.completedAt ?? ctx.now) : null);
    run.detailsUrl = optionalString(body, 'details_url') ?? run.detailsUrl;
    run.externalId = optionalString(body, 'external_id') ?? run.externalId;
    const output = body.output as Record<string, unknown> | undefined;
    if (output && typeof output === 'object') {
      run.output = {
        title: typeof output.title === 'string' ? output.title : run.output.title,
        summary: typeof output.summary === 'string' ? output.summary : run.output.summary,
        text: typeof output.text === 'string' ? output.text : run.output.text,
      };
    }
  };

  const findRun = (id: string): CheckRunRecord => {
    const run = s.checkRuns.find((r) => r.id === Number(id));
    if (!run) throw notFound();
    return run;
  };

  return [
    {
      method: 'POST',
      template: `${R}/check-runs`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        const name = requireString(body, 'name');
        const headSha = requireString(body, 'head_sha');
        if (!/^[0-9a-f]{40}$/.test(headSha) || s.git.objectType(headSha) !== 'commit')
          throw validationFailed(`No commit found for SHA: ${headSha}`);
        const run: CheckRunRecord = {
          id: s.id(),
          name,
          headSha,
          status: 'queued',
          conclusion: null,
          startedAt: ctx.now,
          completedAt: null,
          detailsUrl: null,
          externalId: '',
          output: { title: null, summary: null, text: null },
          login: ctx.login,
        };
        apply(run, body, ctx);
        s.checkRuns.push(run);
        return { status: 201, body: runJson(run) };
      },
    },
    {
      method: 'GET',
      template: `${R}/check-runs/{check_run_id}`,
      handler: (ctx) => ({ status: 200, body: runJson(findRun(ctx.params.check_run_id)) }),
    },
    {
      method: 'PATCH',
      template: `${R}/check-runs/{check_run_id}`,
      handler: (ctx) => {
        const run = findRun(ctx.params.check_run_id);
        apply(run, bodyOf(ctx), ctx);
        return { status: 200, body: runJson(run) };
      },
    },
    {
      method: 'GET',
      template: `${R}/commits/{ref}/check-runs`,
      handler: (ctx) => {
        const sha = s.commitSha(ctx.params.ref);
        const filter = ctx.query.get('filter') ?? 'latest';
        if (filter !== 'latest' && filter !== 'all')
          throw validationFailed(`filter must be one of latest, all (got ${filter})`);
        let runs = filter === 'latest' ? latestCheckRuns(s, sha) : s.checkRuns.filter((r) => r.headSha === sha);
        const name = ctx.query.get('check_name');
        if (name) runs = runs.filter((r) => r.name === name);
        const status = ctx.query.get('status');
        if (status) runs = runs.filter((r) => r.status === status);
        runs = [...runs].sort((a, b) => b.id - a.id);
        const { page, headers } = paginate(
          ctx,
          runs,
          `/repos/${s.owner}/${s.repo}/commits/${encodeURIComponent(ctx.params.ref)}/check-runs`,
        );
        return { status: 200, headers, body: { total_count: runs.length, check_runs: page.map(runJson) } };
      },
    },

    {
      method: 'POST',
      template: `${R}/statuses/{sha}`,
      handler: (ctx) => {
        const body = bodyOf(ctx);
        const sha = ctx.params.sha;
        if (!/^[0-9a-f]{40}$/.test(sha) || s.git.objectType(sha) !== 'commit')
          throw validationFailed(`No commit found for SHA: ${sha}`);
        const state = requireString(body, 'state');
        if (!STATES.has(state))
          throw validationFailed('Validation Failed', [
            { resource: 'Status', code: 'custom', field: 'state', message: `state is not included in the list` },
          ]);
        const status: StatusRecord = {
          id: s.id(),
          sha,
          state: state as StatusRecord['state'],
          context: optionalString(body, 'context') ?? 'default',
          description: optionalString(body, 'description') ?? null,
          targetUrl: optionalString(body, 'target_url') ?? null,
          createdAt: ctx.now,
          login: ctx.login,
        };
        s.statuses.push(status);
        return { status: 201, body: statusJson(status), headers: { location: `${api}/statuses/${sha}` } };
      },
    },
    {
      method: 'GET',
      template: `${R}/commits/{ref}/status`,
      handler: (ctx) => {
        const sha = s.commitSha(ctx.params.ref);
        const statuses = latestStatuses(s, sha);
        const { page, headers } = paginate(
          ctx,
          statuses,
          `/repos/${s.owner}/${s.repo}/commits/${encodeURIComponent(ctx.params.ref)}/status`,
          100,
        );
        return {
          status: 200,
          headers,
          body: {
            state: combinedState(statuses),
            statuses: page.map((st) => {
              const { creator: _creator, ...simple } = statusJson(st);
              return simple;
            }),
            sha,
            total_count: statuses.length,
            repository: s.repositoryJson(),
            commit_url: `${api}/commits/${sha}`,
            url: `${api}/commits/${sha}/status`,
          },
        };
      },
    },
    {
      method: 'GET',
      template: `${R}/commits/{ref}/statuses`,
      handler: (ctx) => {
        const sha = s.commitSha(ctx.params.ref);
        const all = s.statuses.filter((st) => st.sha === sha).reverse();
        const { page, headers } = paginate(
          ctx,
          all,
          `/repos/${s.owner}/${s.repo}/commits/${encodeURIComponent(ctx.params.ref)}/statuses`,
        );
        return { status: 200, headers, body: page.map(statusJson) };
      },
    },
  ];

  function statusJson(st: StatusRecord): Record<string, unknown> {
    return {
      url: `${api}/statuses/${st.sha}`,
      avatar_url: null,
      id: st.id,
      node_id: nodeId('StatusContext', st.id),
      state: st.state,
      description: st.description,
      target_url: st.targetUrl,
      context: st.context,
      created_at: iso(st.createdAt),
      updated_at: iso(st.createdAt),
      creator: s.shapes.user(st.login),
    };
  }
}
