import { useEffect, useRef } from "react";
import uPlot from "uplot";
import { usd } from "../protocol/money.ts";
import type { BreakdownRow } from "../protocol/report.ts";

// One cost breakdown as a uPlot chart: a filled line over days, or bars over categories (models, features; the
// largest first, the rest summed as "other"). It follows its container's width.

interface CostChartProps {
  testId: string;
  title: string;
  rows: readonly BreakdownRow[];
  axis: "time" | "category";
}

const HEIGHT = 220;
const MAX_BARS = 8;
const MAX_LABEL = 16;
const DAY_S = 86_400;
/** Tick steps of the day axis: whole days and weeks, never hours (the rows are days). */
const DAY_STEPS = [DAY_S, 2 * DAY_S, 7 * DAY_S, 14 * DAY_S, 28 * DAY_S];
const ACCENT = "#4f46e5";
const ACCENT_FILL = "rgba(79, 70, 229, 0.18)";
const GRID = { stroke: "#eceef2", width: 1 };
const TICKS = { stroke: "#d8dbe2", width: 1 };
const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";

/** The largest rows, with the remainder folded into one "other" bar. */
function topRows(rows: readonly BreakdownRow[]): { key: string; cost: number }[] {
  const sorted = [...rows].sort((a, b) => b.cost_usd - a.cost_usd);
  const top = sorted.slice(0, MAX_BARS).map((r) => ({ key: r.key === "" ? "(none)" : r.key, cost: r.cost_usd }));
  const rest = sorted.slice(MAX_BARS).reduce((sum, r) => sum + r.cost_usd, 0);
  return rest > 0 ? [...top, { key: `other (${sorted.length - MAX_BARS})`, cost: rest }] : top;
}

function dayLabel(seconds: number): string {
  const date = uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");
  return `${date.getMonth() + 1}/${date.getDate()}`;
}

function shorten(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}

function shortMoney(value: number): string {
  if (Math.abs(value) >= 1000) return `$${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)}k`;
  return usd(value);
}

function options(axis: CostChartProps["axis"], width: number, labels: string[]): uPlot.Options {
  const category = axis === "category";
  const money: uPlot.Axis = { stroke: "#6b7280", font: FONT, grid: GRID, ticks: TICKS, size: 60, values: (_u, values) => values.map(shortMoney) };
  const x: uPlot.Axis = category
    ? {
        stroke: "#374151",
        font: FONT,
        grid: { show: false },
        ticks: TICKS,
        size: 76,
        rotate: labels.some((l) => l.length > 8) ? -30 : 0,
        splits: () => labels.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => shorten(labels[i] ?? "")),
      }
    : { stroke: "#6b7280", font: FONT, grid: GRID, ticks: TICKS, space: 50, incrs: DAY_STEPS, values: (_u, splits) => splits.map(dayLabel) };
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    // the rows are UTC days: ticks and labels in UTC too, whatever the browser's zone
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
    // room on the right for the last slanted category label
    padding: [12, category ? 80 : 24, 0, 0],
    cursor: { drag: { x: false, y: false }, points: { size: 8 } },
    scales: {
      x: category ? { time: false, range: [-0.5, labels.length - 0.5] } : { time: true },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [x, money],
    series: [
      {},
      {
        label: "Cost",
        stroke: ACCENT,
        width: category ? 0 : 2,
        fill: category ? ACCENT : ACCENT_FILL,
        points: { show: !category },
        value: (_u, v) => (v === null ? "" : usd(v)),
        ...(category ? { paths: uPlot.paths.bars?.({ size: [0.6, 64], align: 0 }) } : {}),
      },
    ],
  };
}

export function CostChart({ testId, title, rows, axis }: CostChartProps) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    let data: uPlot.AlignedData;
    let labels: string[] = [];
    if (axis === "category") {
      const top = topRows(rows);
      labels = top.map((r) => r.key);
      data = [top.map((_, i) => i), top.map((r) => r.cost)];
    } else {
      const days = [...rows].sort((a, b) => a.key.localeCompare(b.key));
      data = [days.map((r) => Date.parse(r.key) / 1000), days.map((r) => r.cost_usd)];
    }
    const chart = new uPlot(options(axis, Math.max(element.clientWidth, 240), labels), data, element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 240), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [rows, axis]);

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-canvas" />
    </figure>
  );
}
