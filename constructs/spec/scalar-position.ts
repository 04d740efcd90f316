/**
 * Where a character inside a YAML string value is in the file, for problems found inside a value
 * (a signal's PromQL template): used by load.ts for intents and defaults.ts for templates.
 */
import type { Scalar } from 'yaml';

export type Position = { line: number; column: number };

/**
 * Position `inner` characters into the string of `scalar` (a signal's query template): exact for
 * plain and quoted one-line scalars without escapes and for `|` block scalars; else the scalar's start.
 */
export function insideScalar(scalar: Scalar, inner: number, text: string, at: (offset: number) => Position): Position {
  const start = scalar.range?.[0] ?? 0;
  const source = scalar.source ?? '';
  const value = String(scalar.value);
  if (scalar.type === 'PLAIN' && !value.includes('\n')) return at(start + inner);
  const quoted = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE';
  if (quoted && source === value && !/\\|''|\n/.test(text.slice(start, scalar.range?.[1] ?? start)))
    return at(start + 1 + inner);
  if (scalar.type === 'BLOCK_LITERAL') {
    // Content starts on the line after `|`, indented by its first non-blank line's indentation.
    const contentStart = text.indexOf('\n', start) + 1;
    const firstLine =
      text
        .slice(contentStart)
        .split('\n')
        .find((l) => l.trim() !== '') ?? '';
    const indent = firstLine.length - firstLine.trimStart().length;
    const before = value.slice(0, inner).split('\n');
    return { line: at(contentStart).line + before.length - 1, column: indent + before[before.length - 1]!.length + 1 };
  }
  return at(start);
}
