/**
 * What people and CI do to the bot bench's repository between passes (tools/bench/bot.ts): a push
 * to main, CI's check runs on every open PR, the list of open heads. Through the emulator's REST API
 * with CI's token, as GitHub would see them.
 */
import { CHECK_HEALTH, CHECK_VERIFY } from '../../constructs/conventions.js';
import type { Emulator } from '../emulator/index.js';

export const OWNER = 'bench';
export const REPO = 'platform';
export const CI_TOKEN = 'bench-ci-token';

/** A person's commit on main that touches no intent (a README edit), through the Git Data API. */
export async function pushUnrelated(emulator: Emulator, now: Date): Promise<void> {
  const headers = { authorization: `token ${CI_TOKEN}`, 'content-type': 'application/json' };
  const api = `${emulator.url}/repos/${OWNER}/${REPO}`;
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${api}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (res.status >= 300) throw new Error(`bench push: ${method} ${path} answered HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const parent = ((await call('GET', '/git/ref/heads/main')).object as { sha: string }).sha;
  const base = ((await call('GET', `/git/commits/${parent}`)).tree as { sha: string }).sha;
  const tree = (
    await call('POST', '/git/trees', {
      base_tree: base,
      tree: [
        { path: 'README.md', mode: '100644', type: 'blob', content: `# platform\n\nedited ${now.toISOString()}\n` },
      ],
    })
  ).sha;
  const commit = (await call('POST', '/git/commits', { message: 'docs: readme', tree, parents: [parent] })).sha;
  await call('PATCH', '/git/refs/heads/main', { sha: commit });
}

/** Head branches of the open PRs. */
export async function openHeads(emulator: Emulator): Promise<string[]> {
  const headers = { authorization: `token ${CI_TOKEN}` };
  const res = await fetch(`${emulator.url}/repos/${OWNER}/${REPO}/pulls?state=open&per_page=100`, { headers });
  return ((await res.json()) as Array<{ head: { ref: string } }>).map((p) => p.head.ref);
}

export async function greenEverything(emulator: Emulator, now: Date): Promise<void> {
  const headers = { authorization: `token ${CI_TOKEN}`, 'content-type': 'application/json' };
  const api = `${emulator.url}/repos/${OWNER}/${REPO}`;
  for (let page = 1; ; page += 1) {
    const pulls = (await (
      await fetch(`${api}/pulls?state=open&per_page=100&page=${page}`, { headers })
    ).json()) as Array<{ head: { sha: string } }>;
    for (const pr of pulls) {
      for (const name of [CHECK_VERIFY, CHECK_HEALTH]) {
        const at = now.toISOString();
        const res = await fetch(`${api}/check-runs`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            name,
            head_sha: pr.head.sha,
            status: 'completed',
            conclusion: 'success',
            started_at: at,
            completed_at: at,
            output: { title: `${name}: success`, summary: 'bench CI' },
          }),
        });
        if (res.status !== 201) throw new Error(`bench CI could not post ${name}: HTTP ${res.status}`);
      }
    }
    if (pulls.length < 100) return;
  }
}

export const PERSON_TOKEN = 'bench-person-token';
export const PERSON = 'bench-person';

/** A person (write access) ticks the first `action` box of the bot's dashboard issue: one body edit. */
export async function tickFirst(emulator: Emulator, action: string): Promise<void> {
  const headers = { authorization: `token ${PERSON_TOKEN}`, 'content-type': 'application/json' };
  const api = `${emulator.url}/repos/${OWNER}/${REPO}`;
  const issues = (await (await fetch(`${api}/issues?state=open&per_page=100`, { headers })).json()) as Array<{
    number: number;
    body: string | null;
  }>;
  const issue = issues.find((i) => (i.body ?? '').startsWith('<!-- stagegate:dashboard -->'));
  const line = issue?.body?.split('\n').find((l) => l.includes(`stagegate:tick:${action}:`));
  if (!issue || !line) throw new Error(`bench: no ${action} box on the dashboard issue`);
  const body = issue.body!.replace(line, line.replace('- [ ]', '- [x]'));
  const res = await fetch(`${api}/issues/${issue.number}`, {
    method: 'PATCH',
    headers,
    body: JSON.stringify({ body }),
  });
  if (res.status !== 200) throw new Error(`bench: ticking ${action} answered HTTP ${res.status}`);
}
