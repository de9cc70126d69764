import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { UsageGroup } from './api';
import { fmtAmount } from './ui';

const DAY = 86_400;

/**
 * Credits charged per UTC day from the server's aggregates (`GET /me/usage?groupBy=day`, keys
 * `YYYY-MM-DD`), with every day of the span present: at least the last `minDays` days.
 */
export function dailyUsage(groups: UsageGroup[], now = Date.now(), minDays = 14): Array<{ day: number; credits: number }> {
  const totals = new Map<number, number>();
  for (const g of groups) totals.set(Date.parse(`${g.key}T00:00:00Z`) / 1000, g.credits);
  if (totals.size === 0 || [...totals.values()].every((c) => c === 0)) return [];
  const today = Math.floor(now / 1000 / DAY) * DAY;
  const days = [...totals.keys()];
  const first = Math.min(...days, today - (minDays - 1) * DAY);
  const last = Math.max(...days, today);
  const out = [];
  for (let day = first; day <= last; day += DAY) out.push({ day, credits: totals.get(day) ?? 0 });
  return out;
}

/** The usage chart (uPlot, a small canvas chart library) with a text equivalent for screen readers. */
export function UsageChart({ groups }: { groups: UsageGroup[] }) {
  const box = useRef<HTMLDivElement>(null);
  const usage = dailyUsage(groups);
  useEffect(() => {
    const el = box.current;
    if (!el || usage.length === 0) return;
    const width = () => Math.max(260, el.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 200,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { label: 'credits', size: 60 }],
        series: [{}, { label: 'credits used', stroke: '#1f4e8c', fill: 'rgba(31,78,140,0.15)', width: 2, points: { show: true } }],
      },
      [usage.map((u) => u.day), usage.map((u) => u.credits)],
      el,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [JSON.stringify(usage)]);
  if (usage.length === 0) return <p class="muted">No credits used yet: the chart appears after your first charged turn or API call.</p>;
  const total = usage.reduce((s, u) => s + u.credits, 0);
  return (
    <figure class="chart">
      <div ref={box} aria-hidden="true" class="chart-canvas" />
      <figcaption>
        Credits used per day: {fmtAmount(total)} over the last {usage.length} days
        <span class="visually-hidden">
          : {usage.filter((u) => u.credits > 0).map((u) => `${new Date(u.day * 1000).toISOString().slice(0, 10)}: ${u.credits}`).join(', ')}
        </span>
      </figcaption>
    </figure>
  );
}
