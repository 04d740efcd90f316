/**
 * Reads git objects and refs of the bare repository in-process. Every request reads far more
 * than it writes, and on a busy 2-core machine one `git` spawn costs 10–40 ms: reading the
 * loose objects git wrote (zlib + a tiny parser) keeps a request to a few spawns, all of them
 * writes or merges. Objects are immutable, so parsed ones are cached forever. An object that
 * is not loose (packed by a gc, or a reused dataDir) falls back to `git cat-file`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

export interface RawObject {
  type: string;
  content: Buffer;
}

export class ObjectReader {
  private readonly cache = new Map<string, RawObject | null>();

  constructor(
    private readonly gitDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The object, or null when the repository has no object with that full sha. */
  read(sha: string): RawObject | null {
    if (!/^[0-9a-f]{40}$/.test(sha)) return null;
    const cached = this.cache.get(sha);
    if (cached !== undefined) return cached;
    const object = this.readLoose(sha) ?? this.readPacked(sha);
    // Only hits are cached: a missing object may be written by the next request.
    if (object) this.cache.set(sha, object);
    return object;
  }

  private readLoose(sha: string): RawObject | null {
    let data: Buffer;
    try {
      data = inflateSync(readFileSync(join(this.gitDir, 'objects', sha.slice(0, 2), sha.slice(2))));
    } catch {
      return null;
    }
    const nul = data.indexOf(0);
    const [type] = data.subarray(0, nul).toString('latin1').split(' ');
    return { type, content: data.subarray(nul + 1) };
  }

  private readPacked(sha: string): RawObject | null {
    // Nothing here packs objects (gc.auto is off); only a reused dataDir might hold packs.
    let packed = false;
    try {
      packed = readdirSync(join(this.gitDir, 'objects', 'pack')).some((f) => f.endsWith('.pack'));
    } catch {
      packed = false;
    }
    if (!packed) return null;
    const type = spawnSync('git', ['cat-file', '-t', sha], { env: this.env });
    if (type.status !== 0) return null;
    const kind = type.stdout.toString().trim();
    const content = spawnSync('git', ['cat-file', kind, sha], { env: this.env, maxBuffer: 512 * 1024 * 1024 });
    return content.status === 0 ? { type: kind, content: content.stdout } : null;
  }

  /** Every ref with its sha, loose ones winning over packed ones, sorted by name. */
  listRefs(): Array<{ ref: string; sha: string }> {
    const refs = new Map<string, string>();
    try {
      for (const line of readFileSync(join(this.gitDir, 'packed-refs'), 'utf8').split('\n')) {
        const m = /^([0-9a-f]{40}) (refs\/\S+)$/.exec(line);
        if (m) refs.set(m[2], m[1]);
      }
    } catch {
      // no packed-refs
    }
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(this.gitDir, dir), { withFileTypes: true })) {
        const name = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(name);
        else if (!entry.name.endsWith('.lock')) {
          const sha = this.readRef(name);
          if (sha) refs.set(name, sha);
        }
      }
    };
    walk('refs');
    return [...refs].map(([ref, sha]) => ({ ref, sha })).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  }

  /** A full ref name (refs/heads/x) → sha, reading loose refs then packed-refs. */
  readRef(ref: string): string | null {
    if (!ref.startsWith('refs/') || ref.includes('..')) return null;
    try {
      const value = readFileSync(join(this.gitDir, ref), 'utf8').trim();
      if (/^[0-9a-f]{40}$/.test(value)) return value;
      if (value.startsWith('ref: ')) return this.readRef(value.slice(5));
    } catch {
      // not loose; maybe packed
    }
    try {
      for (const line of readFileSync(join(this.gitDir, 'packed-refs'), 'utf8').split('\n')) {
        if (line.endsWith(` ${ref}`) && /^[0-9a-f]{40} /.test(line)) return line.slice(0, 40);
      }
    } catch {
      // no packed-refs
    }
    return null;
  }
}

/** Entries of a tree object: `<mode> <name>\0<20-byte sha>` repeated. */
export function parseTree(content: Buffer): Array<{ mode: string; name: string; sha: string }> {
  const entries: Array<{ mode: string; name: string; sha: string }> = [];
  let i = 0;
  while (i < content.length) {
    const space = content.indexOf(0x20, i);
    const nul = content.indexOf(0, space);
    const mode = content.subarray(i, space).toString('latin1');
    entries.push({
      mode: mode.padStart(6, '0'),
      name: content.subarray(space + 1, nul).toString('utf8'),
      sha: content.subarray(nul + 1, nul + 21).toString('hex'),
    });
    i = nul + 21;
  }
  return entries;
}
