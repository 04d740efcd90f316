/**
 * The text formats the emulator's git store reads and writes, apart from the process that runs git
 * (git-store.ts): its object shapes, commit objects, diff-tree listings and mktree input.
 */

export interface GitPerson {
  name: string;
  email: string;
  date: Date;
}
export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}
export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
  path: string;
}
/** One change to a tree: a blob/tree/submodule sha at a path, or null to delete the path. */
export interface TreeChange {
  path: string;
  mode: string;
  sha: string | null;
}
export interface DiffFile {
  status: 'added' | 'removed' | 'modified' | 'renamed';
  path: string;
  sha: string;
  additions: number;
  deletions: number;
  patch?: string;
}

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** A commit object's text (headers, blank line, message) → its fields. */
export function parseCommit(sha: string, raw: string): GitCommit {
  const split = raw.indexOf('\n\n');
  const header = split >= 0 ? raw.slice(0, split) : raw;
  const message = split >= 0 ? raw.slice(split + 2) : '';
  const commit: GitCommit = {
    sha,
    tree: '',
    parents: [],
    author: undefined as never,
    committer: undefined as never,
    message,
  };
  for (const line of header.split('\n')) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parents.push(value);
    else if (key === 'author') commit.author = parsePerson(value);
    else if (key === 'committer') commit.committer = parsePerson(value);
  }
  return commit;
}

/** What `git diff-tree -r --raw --numstat -z` printed: the raw records and each path's line counts. */
export interface DiffListing {
  readonly raw: ReadonlyArray<{ letter: string; oldSha: string; newSha: string; path: string }>;
  readonly counts: ReadonlyMap<string, [number, number]>;
}

export function parseDiffListing(output: string): DiffListing {
  const records = output.split('\0');
  const raw: Array<{ letter: string; oldSha: string; newSha: string; path: string }> = [];
  const counts = new Map<string, [number, number]>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    if (rec.startsWith(':')) {
      const [, , oldSha, newSha, letter] = rec.slice(1).split(' ');
      raw.push({ letter, oldSha, newSha, path: records[++i] });
    } else if (rec.includes('\t')) {
      const [add, del, path] = rec.split('\t');
      counts.set(path, [Number(add) || 0, Number(del) || 0]);
    }
  }
  return { raw, counts };
}

/** The listing and its patches (in the listing's path order) → GitHub's per-file changes. */
export function diffFiles({ raw, counts }: DiffListing, patches: readonly string[]): DiffFile[] {
  return raw.map((r, i) => {
    const status = r.letter === 'A' ? 'added' : r.letter === 'D' ? 'removed' : 'modified';
    const [additions, deletions] = counts.get(r.path) ?? [0, 0];
    const file: DiffFile = {
      status,
      path: r.path,
      sha: status === 'removed' ? r.oldSha : r.newSha,
      additions,
      deletions,
    };
    const chunk = patches[i];
    const hunk = chunk?.indexOf('\n@@') ?? -1;
    if (chunk !== undefined && hunk >= 0) file.patch = chunk.slice(hunk + 1).replace(/\n$/, '');
    return file;
  });
}

export function modeType(mode: string): string {
  return mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
}

/** git's C-style quoting, which mktree undoes for names that start with a double quote. */
export function quoteName(name: string): string {
  if (!/["\\\n\t]/.test(name)) return name;
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

export function gitDate(date: Date): string {
  return `@${Math.floor(date.getTime() / 1000)} +0000`;
}

function parsePerson(value: string): GitPerson {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(value);
  if (!match) return { name: value, email: '', date: new Date(0) };
  return { name: match[1], email: match[2], date: new Date(Number(match[3]) * 1000) };
}
