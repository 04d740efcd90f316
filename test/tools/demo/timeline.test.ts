import { describe, expect, it } from 'vitest';
import { escapeXml, formatSeconds, renderTimeline, type TimelineData } from '../../../tools/demo/timeline.js';

/**
 * A small well-formedness check: tags balance, attributes are quoted, and text holds no raw
 * `<` or bare `&` (only the five XML entities).
 */
function checkWellFormed(xml: string): { elements: string[] } {
  const body = xml.replace(/^<\?xml[^?]*\?>\n/, '');
  const stack: string[] = [];
  const elements: string[] = [];
  const token = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let consumed = 0;
  for (const m of body.matchAll(token)) {
    consumed += m[0].length;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`bare & in text: ${m[5]}`);
      if (m[5].trim() !== '' && stack.length === 0) throw new Error(`text outside the root: ${m[5]}`);
      continue;
    }
    const [, closing, name, attrs, selfClosing] = m;
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(attrs!)) throw new Error(`bare & in attributes of <${name}>`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
    } else {
      elements.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  if (consumed !== body.length)
    throw new Error(`not XML after offset ${consumed}: ${body.slice(consumed, consumed + 40)}`);
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  return { elements };
}

const data: TimelineData = {
  rollouts: [
    {
      name: 'checkout',
      points: [
        { t: 0, weight: 0, canaryErrorRatio: 0.002, stableErrorRatio: 0.002 },
        { t: 120, weight: 1, canaryErrorRatio: 0.003, stableErrorRatio: 0.002 },
        { t: 300, weight: 10, canaryErrorRatio: 0.002, stableErrorRatio: 0.002 },
        { t: 600, weight: 100 },
      ],
      events: [
        { t: 120, label: 'promote → one-percent', kind: 'promote' },
        { t: 290, label: 'gate: pass', kind: 'verdict' },
        { t: 600, label: 'promote → full', kind: 'promote' },
      ],
    },
    {
      name: 'search <v42> & friends',
      points: [
        { t: 0, weight: 1, canaryErrorRatio: 0.002, stableErrorRatio: 0.002 },
        { t: 200, weight: 1, canaryErrorRatio: 0.2, stableErrorRatio: 0.002 },
        { t: 260, weight: 0, canaryErrorRatio: 0.2, stableErrorRatio: 0.002 },
      ],
      events: [
        { t: 230, label: 'gate: fail (canary 20 % vs stable 0.2 %)', kind: 'verdict' },
        { t: 260, label: 'rollback <PR #7> & abort', kind: 'rollback' },
      ],
    },
  ],
};

describe('renderTimeline', () => {
  it('produces one well-formed, self-contained SVG document', () => {
    const svg = renderTimeline(data);
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(
      true,
    );
    const { elements } = checkWellFormed(svg);
    expect(elements.filter((e) => e === 'svg')).toHaveLength(1);
    // Nothing to fetch: no images, scripts, links or external fonts.
    expect(svg).not.toMatch(/<image|<script|href=|url\(|@import/);
  });

  it('draws a panel per rollout with a weight step line and both error lines', () => {
    const svg = renderTimeline(data);
    expect(svg.match(/<g class="rollout"/g)).toHaveLength(2);
    expect(svg.match(/class="weight"/g)).toHaveLength(2);
    expect(svg.match(/class="canaryErrorRatio"/g)).toHaveLength(2);
    expect(svg.match(/class="stableErrorRatio"/g)).toHaveLength(2);
    // Step line: between the points at t=0 (0 %) and t=120 (1 %) the path goes flat, then up.
    const d = /class="weight" d="([^"]+)"/.exec(svg)![1]!;
    expect(d.split(' L').length).toBeGreaterThan(data.rollouts[0]!.points.length);
  });

  it('marks the rollback with a red vertical line and its label', () => {
    const svg = renderTimeline(data);
    const rollback = /<g class="event rollback"><line ([^>]*)\/><text [^>]*>([^<]*)<\/text><\/g>/.exec(svg);
    expect(rollback).not.toBeNull();
    expect(rollback![1]).toContain('stroke="#dc2626"');
    const x1 = /x1="([\d.]+)"/.exec(rollback![1]!)![1];
    const x2 = /x2="([\d.]+)"/.exec(rollback![1]!)![1];
    expect(x1).toBe(x2);
    expect(rollback![2]).toBe('rollback &lt;PR #7&gt; &amp; abort');
  });

  it('escapes < and & in every piece of text', () => {
    const svg = renderTimeline({ ...data, title: 'a < b & c' });
    expect(svg).toContain('search &lt;v42&gt; &amp; friends');
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg).not.toContain('<v42>');
    expect(() => checkWellFormed(svg)).not.toThrow();
  });

  it('is deterministic for the same data', () => {
    expect(renderTimeline(data)).toBe(renderTimeline(data));
  });

  it('refuses an empty timeline with what to pass instead', () => {
    expect(() => renderTimeline({ rollouts: [] })).toThrow(
      'renderTimeline: no rollouts to draw; pass at least one with points',
    );
  });
});

describe('timeline helpers', () => {
  it('escapes all five XML special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('formats tick times compactly', () => {
    expect([0, 45, 90, 3600, 5430].map(formatSeconds)).toEqual(['0', '45s', '1m30s', '1h', '1h30m30s']);
  });
});
