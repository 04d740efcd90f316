/**
 * A small line chart as SVG text, written here (no charting dependency): two polylines (stable,
 * canary) over time, y axis from 0 to the peak with three ticks, x axis in minutes since the
 * first point, and dashed vertical lines where stages began.
 */
import type { Points } from './model.js';

export interface ChartInput {
  readonly title: string;
  readonly stable: Points;
  readonly canary: Points;
  /** [unix seconds, label] of stage starts. */
  readonly marks: ReadonlyArray<readonly [number, string]>;
  readonly format: (v: number) => string;
}

const W = 640;
const H = 220;
const PAD = { left: 64, right: 16, top: 28, bottom: 36 };
const COLORS = { stable: '#1f77b4', canary: '#d62728' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fix = (n: number) => (Math.round(n * 10) / 10).toString();

export function lineChart(c: ChartInput): string {
  const all = [...c.stable, ...c.canary];
  const times = [...all.map(([t]) => t), ...c.marks.map(([t]) => t)];
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 1;
  const span = Math.max(1, t1 - t0);
  const peak = Math.max(0, ...all.map(([, v]) => v));
  const yMax = peak > 0 ? peak * 1.1 : 1;
  const x = (t: number) => PAD.left + ((t - t0) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" role="img">`,
    `<title>${esc(c.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${PAD.left}" y="16" font-size="13" font-weight="bold">${esc(c.title)}</text>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#333"/>`,
  ];
  for (const frac of [0, 0.5, 1]) {
    const v = frac * yMax;
    out.push(
      `<line x1="${PAD.left - 4}" y1="${fix(y(v))}" x2="${W - PAD.right}" y2="${fix(y(v))}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${fix(y(v) + 4)}" text-anchor="end">${esc(c.format(v))}</text>`,
    );
  }
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    const t = t0 + frac * span;
    out.push(
      `<text x="${fix(x(t))}" y="${H - PAD.bottom + 16}" text-anchor="${frac === 1 ? 'end' : 'middle'}">${fix((t - t0) / 60)} min</text>`,
    );
  }
  for (const [t, label] of c.marks) {
    out.push(
      `<line x1="${fix(x(t))}" y1="${PAD.top}" x2="${fix(x(t))}" y2="${H - PAD.bottom}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${fix(x(t) + 3)}" y="${PAD.top + 10}" fill="#555">${esc(label)}</text>`,
    );
  }
  for (const role of ['stable', 'canary'] as const) {
    const pts = c[role];
    if (pts.length === 0) continue;
    const path = pts.map(([t, v]) => `${fix(x(t))},${fix(y(v))}`).join(' ');
    out.push(`<polyline fill="none" stroke="${COLORS[role]}" stroke-width="1.5" points="${path}"/>`);
  }
  const lx = W - PAD.right - 130;
  for (const [i, role] of (['stable', 'canary'] as const).entries()) {
    out.push(
      `<line x1="${lx + i * 70}" y1="12" x2="${lx + i * 70 + 18}" y2="12" stroke="${COLORS[role]}" stroke-width="2"/>`,
      `<text x="${lx + i * 70 + 22}" y="16">${role}</text>`,
    );
  }
  out.push(
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 4}" text-anchor="middle">time since the first stage</text>`,
  );
  out.push('</svg>', '');
  return out.join('\n');
}
