/**
 * Check runs and commit statuses: the signals the bot gates merges on. The "latest run per
 * name" and combined-status rules are GitHub's, so the bot meets the same ambiguities here.
 */
import {
  ApiError,
  bodyOf,
  DOCS,
  iso,
  notFound,
  optionalString,
  paginate,
  requireString,
  validationFailed,
  type Ctx,
  type Route,
} from './http.js';
import type { App, Identity } from './identity.js';
import { checkRunOutput } from './limits.js';
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

/**
 * The latest check run of each name per App on a commit. OA checks/list-for-ref `filter`:
 * "Filters check runs by their `completed_at` timestamp. `latest` returns the most recent check
 * runs." So the run that completed last wins; a run not completed yet counts as the newest (it
 * was started after the completed ones, as a re-run is); equal times fall back to the id.
 */
export function latestCheckRuns(s: RepoState, sha: string): CheckRunRecord[] {
  const latest = new Map<string, CheckRunRecord>();
  const rank = (r: CheckRunRecord): number => r.completedAt?.getTime() ?? Number.POSITIVE_INFINITY;
  for (const run of s.checkRuns) {
    if (run.headSha !== sha) continue;
    const key = `${run.app.id}\u0000${run.name}`;
    const seen = latest.get(key);
    if (!seen || rank(run) > rank(seen) || (rank(run) === rank(seen) && run.id > seen.id)) latest.set(key, run);
  }
  return [...latest.values()];
}

const isOutput = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function checkRoutes(s: RepoState): Route[] {
  const { api, html } = s.shapes;

  /** The `integration` object of an App (OA `nullable-integration`; its required fields). */
  const appJson = (a: App): Record<string, unknown> => ({
    id: a.id,
    slug: a.slug,
    node_id: nodeId('App', a.id),
    client_id: `Iv1.${a.id.toString(16).padStart(16, '0')}`,
    owner: s.shapes.user(a.slug === 'github-actions' ? 'github' : s.owner),
    name: a.name,
    description: null,
    external_url: `${s.shapes.baseUrl}/apps/${encodeURIComponent(a.slug)}`,
    html_url: `${s.shapes.baseUrl}/apps/${encodeURIComponent(a.slug)}`,
    created_at: EPOCH,
    updated_at: EPOCH,
    permissions: { checks: 'write', contents: 'write', pull_requests: 'write', statuses: 'write' },
    events: [],
  });

  /**
   * The App a check run is created under. Only Apps may create check runs: a personal token gets
   * 403 "You must authenticate via a GitHub App." (EnricoMi/publish-unit-test-result-action#53,
   * github/rest-api-description#234; OA checks/create: "Your GitHub App must have the
   * checks:write permission"). With `checkRunsByUsers` (compatibility) a person's run is filed
   * under an App named after the login.
   */
  const creatorApp = (who: Identity, operation: string): App => {
    if (who.app) return who.app;
    if (!s.options.checkRunsByUsers) {
      throw new ApiError(403, 'You must authenticate via a GitHub App.', `${DOCS}/checks/runs#${operation}`);
    }
    const slug = who.login.replace(/\[bot\]$/, '');
    const id = stableId(`app:${slug}`);
    return { id, slug, name: slug, botLogin: `${slug}[bot]`, botUserId: stableId(`${slug}[bot]`) };
  };

  const runJson = (run: CheckRunRecord): Record<string, unknown> => {
    const repoRef = { id: stableId(`${s.owner}/${s.repo}`), url: api, name: s.repo };
    const pulls = s.pulls
      // OA check-run pull_requests: fork PRs are not listed ("Pushes to a branch in a forked
      // repository are not detected").
      .filter((p) => p.state === 'open' && p.headSha === run.headSha && p.headOwner === undefined)
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
      // "A check suite is a collection of the check runs created by a single GitHub App for a
      // specific commit" (docs "Getting started with the Checks API").
      check_suite: { id: stableId(`suite:${run.headSha}:${run.app.id}`) },
      app: appJson(run.app),
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
        const app = creatorApp(ctx.identity, 'create-a-check-run');
        if (isOutput(body.output)) checkRunOutput(body.output, 'create-a-check-run');
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
          app,
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
        // OA checks/update: "OAuth apps and personal access tokens (classic) cannot use this
        // endpoint" (the same 403 text as create, assumed); another App gets GitHub's 403 naming
        // the creator's id (databricks/cli#4563, OP5dev/TF-via-PR#538, int128/argocd-commenter#631).
        const app = creatorApp(ctx.identity, 'update-a-check-run');
        if (app.id !== run.app.id) {
          throw new ApiError(
            403,
            `Invalid app_id \`${run.app.id}\` - check run can only be modified by the GitHub App that created it.`,
            `${DOCS}/checks/runs#update-a-check-run`,
          );
        }
        const body = bodyOf(ctx);
        if (isOutput(body.output)) checkRunOutput(body.output, 'update-a-check-run');
        apply(run, body, ctx);
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
        // OA checks/list-for-ref `app_id`: only the runs of that App.
        const appId = ctx.query.get('app_id');
        if (appId) runs = runs.filter((r) => String(r.app.id) === appId);
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
