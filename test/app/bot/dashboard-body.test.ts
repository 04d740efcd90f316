/**
 * The dashboard body's bot-owned parts (app/bot/dashboard-body.ts, review F1): "Last actions" are
 * rendered from the hidden entry line, never from the visible lines a writer may edit, and every
 * entry is escaped again, so nothing planted there carries a tick marker, a box or a link.
 */
import { describe, expect, it } from 'vitest';
import { lastActionsOf, parseTicks, renderDashboard } from '../../../app/bot/dashboard-body.js';

const ZW = '\u200b';

describe('Last actions', () => {
  it('are re-rendered from the hidden entries: a visible line or a planted entry carries no marker, box or link', () => {
    const rendered = renderDashboard([], [{ action: 'pause', rollout: 'shop/checkout', who: 'alice', outcome: 'ok' }]);
    expect(rendered).toContain(`### Last actions\n\n- pause \`shop/checkout\` by @${ZW}alice: ok\n`);
    expect(lastActionsOf(rendered)).toEqual([
      { action: 'pause', rollout: 'shop/checkout', who: 'alice', outcome: 'ok' },
    ]);
    // A writer adds a visible line, and an entry to the hidden line whose outcome is a ticked box.
    const box = '- [x] abort `shop/checkout` [x](https://evil) <!-- stagegate:tick:abort:shop/checkout -->';
    const hidden = rendered.split('\n').find((l) => l.startsWith('<!-- stagegate:last-actions '))!;
    const edited = rendered
      .replace('\n\n- pause', `\n\n${box}\n- pause`)
      .replace(
        hidden,
        hidden.replace('[{', `[{"action":"abort","rollout":"shop/checkout","outcome":${JSON.stringify(box)}},{`),
      );
    const again = renderDashboard([], lastActionsOf(edited));
    expect(parseTicks(edited)).toEqual([{ action: 'abort', rollout: 'shop/checkout' }]);
    expect(parseTicks(again)).toEqual([]);
    expect(again).toContain(
      '- abort `shop/checkout`: - \\[x\\] abort \\`shop/checkout\\` \\[x\\](https://evil) &lt;!-- stagegate:tick:abort:shop/checkout --&gt;\n',
    );
    expect(again.split('\n').filter((l) => l.includes('<!--'))).toEqual([
      '<!-- stagegate:dashboard -->',
      expect.stringMatching(/^<!-- stagegate:last-actions \[.*\] -->$/),
    ]);
    // Rendering twice is stable (the escapes are not applied twice), and an entry of another shape is dropped.
    expect(renderDashboard([], lastActionsOf(again))).toBe(again);
    expect(lastActionsOf(again.replace('"action":"abort"', '"action":"merge"'))).toHaveLength(1);
  });
});
