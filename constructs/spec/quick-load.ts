/**
 * The fast path of `parseIntent`: most intents are plain block YAML — `key: value` lines, `- `
 * items, single-line scalars and flow collections — and for those the data can be built
 * straight from the lines, about twenty times faster than the positioned parse (which keeps a
 * node with a source range for every value) and several times faster than a general parser.
 *
 * It is only a shortcut for documents that are clearly ordinary: every line must match a small
 * grammar (no anchors, aliases, tags, directives, document markers, block or multi-line scalars,
 * escapes, tabs, explicit keys or duplicate keys — the places where YAML parsers and versions
 * differ), every block's entries must start in one column, and scalars resolve by the YAML 1.2
 * core schema exactly as the `yaml` package's default does. Anything else returns undefined;
 * the caller also uses the result only when the document is then fully valid. Everything else,
 * and every document with a problem, goes through the positioned parse, which alone writes
 * messages. test/constructs/spec/quick-load.test.ts compares both paths over the benchmark
 * corpus, the fixtures, YAML 1.1/1.2 look-alike scalars and thousands of mutated intents.
 */
const KEY = '[A-Za-z_][A-Za-z0-9_]*';
/** A single-line plain scalar in block context: no indicators first, no `: ` or ` #` inside. */
const BLOCK_PLAIN = '[A-Za-z0-9_./](?:[A-Za-z0-9_./+@=%(),-]|:(?=[A-Za-z0-9_./+@=%(),-])| (?=[A-Za-z0-9_./+@=%(),-]))*';
/** In flow context commas, colons and brackets are structure, so they never appear in a scalar. */
const FLOW_PLAIN = /^[A-Za-z0-9_./](?:[A-Za-z0-9_./+@=%-]| (?=[A-Za-z0-9_./+@=%-]))*/;
/** Quoted scalars without escapes (`\` or `''`): their content is the text between the quotes. */
const DOUBLE = '"[ !#-\\[\\]-~]*"';
const SINGLE = "'[ -&(-~]*'";
const FLOW_QUOTED = new RegExp(`^(?:${DOUBLE}|${SINGLE})`);
const FLOW_KEY = new RegExp(`^(${KEY}): +`);

const BLANK_OR_COMMENT = /^ *(?:#.*)?$/;
/** `  - - key: value  # comment`, `  - value`; the value part is checked separately. */
const ENTRY = new RegExp(`^( *)((?:- )*)(?:(${KEY}):(?: +(?!#)(.*?))?|(.*?))(?: +#.*)? *$`);
const SCALAR_VALUE = new RegExp(`^(?:${BLOCK_PLAIN}|${DOUBLE}|${SINGLE})$`);
/** Characters that are line breaks, byte order marks or controls in one YAML version and not another. */
const AWKWARD_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;
/** Integers past 2^53 are where parsers start to round differently. */
const LONG_DIGITS = /[0-9]{16}/;

/** One significant line: `dashes` sequence items open at `indent`, `indent + 2`, …, then a key or a scalar. */
interface Line {
  readonly indent: number;
  readonly dashes: number;
  readonly key?: string;
  /** The raw scalar or flow collection; undefined after a key with nothing on its line. */
  readonly value?: string;
}

/** Gives up on the fast path. */
class NotOrdinary extends Error {}

/** The intent's data when `text` is ordinary block YAML with a mapping on top; else undefined. */
export function quickLoad(text: string): Record<string, unknown> | undefined {
  if (AWKWARD_CHARS.test(text) || LONG_DIGITS.test(text)) return undefined;
  const lines = ordinaryLines(text);
  if (!lines || lines.length === 0 || lines[0]!.dashes > 0) return undefined;
  try {
    const reader = new Reader(lines);
    const value = reader.map(lines[0]!.indent);
    return reader.done() ? value : undefined;
  } catch (err) {
    if (err instanceof NotOrdinary) return undefined;
    throw err;
  }
}

function ordinaryLines(text: string): Line[] | undefined {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (BLANK_OR_COMMENT.test(raw)) continue;
    const m = ENTRY.exec(raw);
    if (!m) return undefined;
    const [, spaces, dashes, key, keyed, bare] = m;
    const indent = spaces!.length;
    const items = dashes!.length / 2;
    if (key !== undefined) {
      if (keyed !== undefined && keyed !== '' && !isValue(keyed)) return undefined;
      lines.push({ indent, dashes: items, key, ...(keyed ? { value: keyed } : {}) });
    } else {
      // A bare scalar line is only an item of a sequence; anywhere else it continues a multi-line scalar.
      if (items === 0 || !bare || !isValue(bare)) return undefined;
      lines.push({ indent, dashes: items, value: bare });
    }
  }
  return lines;
}

/**
 * Reads blocks by column. The cursor is a line plus how many of its `- ` markers are used up, so
 * `- - a` and `- key: v` open nested nodes on one line as YAML's compact forms do.
 */
class Reader {
  private at = 0;
  private used = 0;

  constructor(private readonly lines: readonly Line[]) {}

  done(): boolean {
    return this.at === this.lines.length;
  }

  /** Column and kind of the next unread token, or undefined at the end. */
  private peek(): { col: number; kind: 'dash' | 'key' | 'scalar' } | undefined {
    const line = this.lines[this.at];
    if (!line) return undefined;
    const col = line.indent + 2 * this.used;
    return { col, kind: this.used < line.dashes ? 'dash' : line.key !== undefined ? 'key' : 'scalar' };
  }

  private next(): void {
    this.at++;
    this.used = 0;
  }

  /** A block mapping whose keys all start at `col`. */
  map(col: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let t = this.peek(); t && t.col === col && t.kind === 'key'; t = this.peek()) {
      const line = this.lines[this.at]!;
      const key = line.key!;
      if (Object.hasOwn(out, key) || key === '__proto__') throw new NotOrdinary();
      this.next();
      if (line.value !== undefined) {
        out[key] = scalarOrFlow(line.value);
        continue;
      }
      const child = this.peek();
      if (child && child.col > col) out[key] = this.node(child);
      // A sequence may start in the key's own column (`key:` then `- item`).
      else if (child && child.col === col && child.kind === 'dash') out[key] = this.seq(col);
      else out[key] = null;
    }
    this.endOfBlock(col);
    return out;
  }

  /** A block sequence whose dashes all stand at `col`. */
  private seq(col: number): unknown[] {
    const out: unknown[] = [];
    for (let t = this.peek(); t && t.col === col && t.kind === 'dash'; t = this.peek()) {
      this.used++;
      const item = this.peek()!;
      if (item.kind === 'scalar') {
        out.push(scalarOrFlow(this.lines[this.at]!.value!));
        this.next();
      } else {
        out.push(this.node(item));
      }
    }
    this.endOfBlock(col);
    return out;
  }

  private node(t: { col: number; kind: 'dash' | 'key' | 'scalar' }): unknown {
    if (t.kind === 'dash') return this.seq(t.col);
    if (t.kind === 'key') return this.map(t.col);
    // A scalar on a line of its own is never produced by ordinaryLines.
    throw new NotOrdinary();
  }

  /** After a block, the next token must belong to an enclosing block (further left). */
  private endOfBlock(col: number): void {
    const t = this.peek();
    if (t && t.col >= col) throw new NotOrdinary();
  }
}

function isValue(value: string): boolean {
  if (value[0] === '[' || value[0] === '{') return flowEnd(value, 0) === value.length;
  return SCALAR_VALUE.test(value);
}

function scalarOrFlow(value: string): unknown {
  if (value[0] === '[' || value[0] === '{') {
    const out: unknown[] = [];
    flowEnd(value, 0, out);
    return out[0];
  }
  return scalar(value);
}

/** A scalar as the `yaml` package's YAML 1.2 core schema resolves it (yaml/dist/schema/core). */
function scalar(s: string): unknown {
  if (s[0] === '"' || s[0] === "'") return s.slice(1, -1);
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s)) return s[0] === 't' || s[0] === 'T';
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
    return s.slice(-3).toLowerCase() === 'nan'
      ? NaN
      : s[0] === '-'
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s))
    return parseFloat(s);
  return s;
}

/**
 * End index of the flow collection starting at `i` (single line, no trailing commas), or -1.
 * With `into`, the collection's value is pushed there.
 */
function flowEnd(s: string, i: number, into?: unknown[]): number {
  const close = s[i] === '[' ? ']' : '}';
  const mapping = close === '}';
  const list: unknown[] = [];
  const map: Record<string, unknown> = {};
  into?.push(mapping ? map : list);
  i = skipSpaces(s, i + 1);
  if (s[i] === close) return i + 1;
  for (;;) {
    let key: string | undefined;
    if (mapping) {
      const m = FLOW_KEY.exec(s.slice(i));
      if (!m) return -1;
      key = m[1]!;
      if (into && (Object.hasOwn(map, key) || key === '__proto__')) throw new NotOrdinary();
      i += m[0].length;
    }
    const item: unknown[] = [];
    i = flowItemEnd(s, i, into ? item : undefined);
    if (i < 0) return -1;
    if (into) {
      if (mapping) map[key!] = item[0];
      else list.push(item[0]);
    }
    i = skipSpaces(s, i);
    if (s[i] === close) return i + 1;
    if (s[i] !== ',') return -1;
    i = skipSpaces(s, i + 1);
  }
}

function flowItemEnd(s: string, i: number, into?: unknown[]): number {
  if (s[i] === '[' || s[i] === '{') return flowEnd(s, i, into);
  const rest = s.slice(i);
  const token = FLOW_QUOTED.exec(rest) ?? FLOW_PLAIN.exec(rest);
  if (!token) return -1;
  into?.push(scalar(token[0]));
  return i + token[0].length;
}

function skipSpaces(s: string, i: number): number {
  while (s[i] === ' ') i++;
  return i;
}
