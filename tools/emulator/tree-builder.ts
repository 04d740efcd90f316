/**
 * Builds a new tree from a base tree plus path changes with one `git mktree --batch` spawn.
 * Untouched subtrees are reused by sha; only directories on a changed path are rewritten,
 * bottom-up. Tree shas are computed here too (git's tree format is tiny) so a parent can name
 * its children within the same batch; git's answer is checked against them.
 */
import { createHash } from 'node:crypto';

export interface TreeItem {
  mode: string;
  name: string;
  sha: string;
}
export interface TreeChangeInput {
  path: string;
  mode: string;
  sha: string | null;
}

interface Dir {
  base: string | null;
  entries?: Map<string, TreeItem | Dir>;
  dirty: boolean;
}

export interface TreeIo {
  /** Entries of an existing tree object. */
  entries(sha: string): TreeItem[];
  /** Writes trees (each a list of entries) in order with one mktree --batch; returns their shas. */
  mktree(trees: readonly TreeItem[][]): string[];
}

const isDir = (x: TreeItem | Dir): x is Dir => 'dirty' in x;

export function buildTree(io: TreeIo, base: string | null, changes: readonly TreeChangeInput[]): string {
  const root: Dir = { base, dirty: true };
  const load = (dir: Dir): Map<string, TreeItem | Dir> => {
    dir.entries ??= new Map((dir.base ? io.entries(dir.base) : []).map((e) => [e.name, e]));
    return dir.entries;
  };

  for (const change of changes) {
    const parts = change.path.split('/');
    const leaf = parts.pop()!;
    let dir: Dir | undefined = root;
    for (const part of parts) {
      const entries = load(dir);
      const entry = entries.get(part);
      let next: Dir | undefined;
      if (entry && isDir(entry)) next = entry;
      else if (entry && entry.mode === '040000') next = { base: entry.sha, dirty: false };
      else if (change.sha !== null) next = { base: null, dirty: false };
      if (!next) {
        dir = undefined;
        break;
      }
      entries.set(part, next);
      dir.dirty = true;
      dir = next;
    }
    // Deleting below a path that does not exist changes nothing, as on GitHub.
    if (!dir) continue;
    dir.dirty = true;
    if (change.sha === null) load(dir).delete(leaf);
    else load(dir).set(leaf, { mode: change.mode, name: leaf, sha: change.sha });
  }

  const batch: TreeItem[][] = [];
  const expected: string[] = [];
  const write = (dir: Dir): string | null => {
    if (!dir.dirty && dir.base) return dir.base;
    const items: TreeItem[] = [];
    for (const [name, entry] of load(dir)) {
      if (isDir(entry)) {
        const sha = write(entry);
        if (sha) items.push({ mode: '040000', name, sha });
      } else {
        items.push(entry);
      }
    }
    // git keeps no empty directories; an emptied one disappears from its parent.
    if (items.length === 0 && dir !== root) return null;
    batch.push(items);
    expected.push(treeSha(items));
    return expected[expected.length - 1];
  };
  const sha = write(root)!;
  if (batch.length === 0) return sha;
  const written = io.mktree(batch);
  if (written.join() !== expected.join()) {
    throw new Error(`git mktree wrote ${written.join(',')} where ${expected.join(',')} was computed`);
  }
  return sha;
}

/** git's tree order: byte order of names, a directory compared as if its name ended in "/". */
export function sortTree(items: readonly TreeItem[]): TreeItem[] {
  const key = (e: TreeItem): Buffer => Buffer.from(e.mode === '040000' ? `${e.name}/` : e.name, 'utf8');
  return [...items].sort((a, b) => Buffer.compare(key(a), key(b)));
}

function treeSha(items: readonly TreeItem[]): string {
  const body = Buffer.concat(
    sortTree(items).map((e) =>
      Buffer.concat([Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.name}\0`, 'utf8'), Buffer.from(e.sha, 'hex')]),
    ),
  );
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}
