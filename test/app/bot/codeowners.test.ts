/**
 * CODEOWNERS patterns as GitHub documents them (docs.github.com, "About code owners", example
 * syntax), for the bot's reading (app/bot/approval.ts) and the emulator's (tools/emulator/rules.ts).
 */
import { describe, expect, it } from 'vitest';
import { codeOwnersOf } from '../../../app/bot/approval.js';
import { matches } from '../../../tools/emulator/rules.js';

// [pattern, path, owned] from the documented examples.
const DOCUMENTED: ReadonlyArray<readonly [string, string, boolean]> = [
  ['docs/*', 'docs/getting-started.md', true],
  ['docs/*', 'docs/build-app/troubleshooting.md', false],
  ['/docs/', 'docs/build-app/troubleshooting.md', true],
  ['apps/', 'services/apps/web/main.ts', true],
  ['/build/logs/', 'build/logs/deep/x.log', true],
  ['*.js', 'src/deep/app.js', true],
  ['*', 'rollouts/team/checkout.yaml', true],
  ['/scripts/**', 'scripts/a/b/c.sh', true],
];

describe('CODEOWNERS patterns', () => {
  it.each(DOCUMENTED)('%s owns %s: %s (bot and emulator agree with the docs)', (pattern, path, owned) => {
    expect(codeOwnersOf(`${pattern} @owner`, path)).toEqual(owned ? ['@owner'] : []);
    expect(matches(pattern, path)).toBe(owned);
  });

  it('a later "rollouts/*" does not take a nested team folder from its earlier owner (last match wins)', () => {
    const text = 'rollouts/team/ @bob\nrollouts/* @alice\n';
    expect(codeOwnersOf(text, 'rollouts/team/checkout.yaml')).toEqual(['@bob']);
    expect(codeOwnersOf(text, 'rollouts/checkout.yaml')).toEqual(['@alice']);
  });
});
