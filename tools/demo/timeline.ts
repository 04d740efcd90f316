/**
 * The demo's picture: one panel per rollout with the canary weight as a step line, canary and
 * stable error ratios on a second axis, and every promotion, verdict and rollback marked where
 * it happened. A self-contained SVG (no fonts, scripts or links to fetch), built as an element
 * tree and serialized in one place, so every piece of text is escaped the same way.
 */

export interface TimelinePoint {
  /** Seconds since the demo started. */
  readonly t: number;
  /** Canary percent of the default route (0–100). */
  readonly weight: number;
  readonly canaryErrorRatio?: number;
  readonly stableErrorRatio?: number;
}

export interface TimelineEvent {
  readonly t: number;
  readonly label: string;
  readonly kind: 'promote' | 'rollback' | 'verdict';
}

export interface TimelineRollout {
  readonly name: string;
  readonly points: readonly TimelinePoint[];
  readonly events: readonly TimelineEvent[];
}

export interface TimelineData {
  readonly rollouts: readonly TimelineRollout[];
  /** Heading above the panels. @default "stagegate demo" */
  readonly title?: string;
}

/** An SVG element: a name, attributes and children (elements or text). */
export interface SvgNode {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string | number | undefined>>;
  readonly children: readonly (SvgNode | string)[];
}

const WIDTH = 960;
const PANEL_HEIGHT = 260;
const HEADER = 40;
const MARGIN = { left: 64, right: 72, top: 36, bottom: 40 };
const COLORS = {
  weight: '#1f6feb',
  canary: '#d97706',
  stable: '#6b7280',
  promote: '#16a34a',
  rollback: '#dc2626',
  verdict: '#7c3aed',
  grid: '#e5e7eb',
  axis: '#374151',
} as const;

export function h(name: string, attrs: SvgNode['attrs'] = {}, children: SvgNode['children'] = []): SvgNode {
  return { name, attrs, children };
}

/** Escapes text and attribute values for XML (`&`, `<`, `>`, quotes). */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Serializes an element tree; attributes in the order given, undefined ones left out. */
export function serialize(node: SvgNode | string): string {
  if (typeof node === 'string') return escapeXml(node);
  const attrs = Object.entries(node.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? formatNumber(v) : String(v))}"`)
    .join('');
  if (node.children.length === 0) return `<${node.name}${attrs}/>`;
  return `<${node.name}${attrs}>${node.children.map(serialize).join('')}</${node.name}>`;
}

/** The timeline as a standalone SVG document. */
export function renderTimeline(data: TimelineData): string {
  const rollouts = data.rollouts;
  if (rollouts.length === 0) throw new Error('renderTimeline: no rollouts to draw; pass at least one with points');
  const allTimes = rollouts.flatMap((r) => [...r.points.map((p) => p.t), ...r.events.map((e) => e.t)]);
  const tMax = niceCeil(Math.max(1, ...allTimes));
  const height = HEADER + rollouts.length * PANEL_HEIGHT;
  const root = h(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width: WIDTH,
      height,
      viewBox: `0 0 ${WIDTH} ${height}`,
      'font-family': 'sans-serif',
      'font-size': 12,
    },
    [
      h('title', {}, [data.title ?? 'stagegate demo']),
      h('rect', { x: 0, y: 0, width: WIDTH, height, fill: '#ffffff' }),
      h('text', { x: MARGIN.left, y: 26, 'font-size': 18, 'font-weight': 'bold', fill: COLORS.axis }, [
        data.title ?? 'stagegate demo',
      ]),
      ...rollouts.map((r, i) => panel(r, HEADER + i * PANEL_HEIGHT, tMax)),
    ],
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serialize(root)}\n`;
}

function panel(rollout: TimelineRollout, top: number, tMax: number): SvgNode {
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = top + MARGIN.top;
  const y1 = top + PANEL_HEIGHT - MARGIN.bottom;
  const points = [...rollout.points].sort((a, b) => a.t - b.t);
  const errors = points
    .flatMap((p) => [p.canaryErrorRatio, p.stableErrorRatio])
    .filter((v): v is number => v !== undefined);
  const errMax = niceCeil(Math.max(0.01, ...errors) * 1.1);
  const x = (t: number) => x0 + ((x1 - x0) * t) / tMax;
  const yWeight = (w: number) => y1 - ((y1 - y0) * Math.min(100, Math.max(0, w))) / 100;
  const yError = (e: number) => y1 - ((y1 - y0) * Math.min(errMax, Math.max(0, e))) / errMax;

  const children: SvgNode[] = [
    h('text', { x: x0, y: top + 20, 'font-size': 14, 'font-weight': 'bold', fill: COLORS.axis }, [rollout.name]),
    legend(x1, top + 20),
  ];
  // Grid and axes: weight on the left (0–100 %), error ratio on the right.
  for (const w of [0, 25, 50, 75, 100]) {
    children.push(
      h('line', { x1: x0, y1: yWeight(w), x2: x1, y2: yWeight(w), stroke: COLORS.grid }),
      h('text', { x: x0 - 6, y: yWeight(w) + 4, 'text-anchor': 'end', fill: COLORS.weight }, [`${w} %`]),
      h('text', { x: x1 + 6, y: yWeight(w) + 4, fill: COLORS.canary }, [formatPercent((errMax * w) / 100)]),
    );
  }
  for (const t of ticks(tMax)) {
    children.push(
      h('line', { x1: x(t), y1: y1, x2: x(t), y2: y1 + 4, stroke: COLORS.axis }),
      h('text', { x: x(t), y: y1 + 18, 'text-anchor': 'middle', fill: COLORS.axis }, [formatSeconds(t)]),
    );
  }
  children.push(
    h('line', { x1: x0, y1: y1, x2: x1, y2: y1, stroke: COLORS.axis }),
    h('line', { x1: x0, y1: y0, x2: x0, y2: y1, stroke: COLORS.axis }),
    h('line', { x1: x1, y1: y0, x2: x1, y2: y1, stroke: COLORS.axis }),
  );

  if (points.length > 0) {
    // Weight changes in steps: hold each value until the next point, and to the end of the panel.
    const steps: string[] = [];
    points.forEach((p, i) => {
      steps.push(`${i === 0 ? 'M' : 'L'}${fmt(x(p.t))} ${fmt(yWeight(i === 0 ? p.weight : points[i - 1]!.weight))}`);
      if (i > 0) steps.push(`L${fmt(x(p.t))} ${fmt(yWeight(p.weight))}`);
    });
    steps.push(`L${fmt(x(Math.max(points.at(-1)!.t, tMax)))} ${fmt(yWeight(points.at(-1)!.weight))}`);
    children.push(
      h('path', { class: 'weight', d: steps.join(' '), fill: 'none', stroke: COLORS.weight, 'stroke-width': 2.5 }),
    );
  }
  for (const [field, color, dash] of [
    ['stableErrorRatio', COLORS.stable, '5 3'],
    ['canaryErrorRatio', COLORS.canary, undefined],
  ] as const) {
    const series = points.filter((p) => p[field] !== undefined);
    if (series.length === 0) continue;
    children.push(
      h('polyline', {
        class: field,
        fill: 'none',
        stroke: color,
        'stroke-width': 1.8,
        'stroke-dasharray': dash,
        points: series.map((p) => `${fmt(x(p.t))},${fmt(yError(p[field]!))}`).join(' '),
      }),
    );
  }
  const events = [...rollout.events].sort((a, b) => a.t - b.t);
  events.forEach((e, i) => {
    const color = COLORS[e.kind];
    // Stagger labels so neighbouring events stay readable.
    const labelY = y0 + 12 + (i % 3) * 14;
    children.push(
      h('g', { class: `event ${e.kind}` }, [
        h('line', {
          x1: x(e.t),
          y1: y0 - 4,
          x2: x(e.t),
          y2: y1,
          stroke: color,
          'stroke-width': e.kind === 'rollback' ? 2.5 : 1.2,
          'stroke-dasharray': e.kind === 'rollback' ? undefined : '4 3',
        }),
        h(
          'text',
          { x: x(e.t) + 4, y: labelY, fill: color, 'font-weight': e.kind === 'rollback' ? 'bold' : undefined },
          [e.label],
        ),
      ]),
    );
  });
  return h('g', { class: 'rollout', 'data-rollout': rollout.name }, children);
}

function legend(right: number, y: number): SvgNode {
  const items: [string, string, string | undefined][] = [
    ['canary weight', COLORS.weight, undefined],
    ['canary 5xx', COLORS.canary, undefined],
    ['stable 5xx', COLORS.stable, '5 3'],
  ];
  let x = right - 330;
  const out: SvgNode[] = [];
  for (const [label, color, dash] of items) {
    out.push(
      h('line', {
        x1: x,
        y1: y - 4,
        x2: x + 18,
        y2: y - 4,
        stroke: color,
        'stroke-width': 2.5,
        'stroke-dasharray': dash,
      }),
      h('text', { x: x + 22, y, fill: COLORS.axis }, [label]),
    );
    x += 110;
  }
  return h('g', { class: 'legend' }, out);
}

/** A round upper bound: 1, 2 or 5 × 10^k. */
function niceCeil(value: number): number {
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const m of [1, 2, 5, 10]) if (m * base >= value - 1e-12) return m * base;
  return 10 * base;
}

function ticks(tMax: number): number[] {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const step = steps.find((s) => tMax / s <= 10) ?? Math.ceil(tMax / 10);
  const out: number[] = [];
  for (let t = 0; t <= tMax + 1e-9; t += step) out.push(t);
  return out;
}

export function formatSeconds(t: number): string {
  if (t === 0) return '0';
  const hours = Math.floor(t / 3600);
  const minutes = Math.floor((t % 3600) / 60);
  const seconds = Math.round(t % 60);
  return [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', seconds ? `${seconds}s` : ''].join('');
}

function formatPercent(ratio: number): string {
  const pct = ratio * 100;
  return `${Number(pct.toPrecision(3))} %`;
}

function fmt(v: number): string {
  return formatNumber(Math.round(v * 10) / 10);
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}
