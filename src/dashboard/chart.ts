// The loss chart: uPlot (loaded by the page from its own copy, dashboard/uPlot.iife.min.js, as the
// global `uPlot`; its types come from the uplot package). The container carries the number of
// points drawn in data-points, which the browser test reads (a canvas has no DOM to count).
import type uPlot from 'uplot';
import { alignedData, type LossSeries } from './model.js';

declare global {
  interface Window {
    readonly uPlot: typeof uPlot;
  }
}

const COLORS = ['#2563eb', '#dc2626', '#059669'];
const HEIGHT = 260;

/** Draws the series into `host` (emptied first); redraws at the new width when the window resizes. */
export function drawLossChart(host: HTMLElement, series: readonly LossSeries[]): () => void {
  host.replaceChildren();
  const points = series.reduce((n, s) => n + s.points.length, 0);
  host.dataset.points = `${points}`;
  const width = () => Math.max(240, host.clientWidth);
  const chart = new window.uPlot(
    {
      width: width(),
      height: HEIGHT,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: 'loss' }],
      series: [
        { label: 'step' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length] ?? '#000',
          width: 2,
          spanGaps: true,
          points: { show: s.points.length < 40 },
        })),
      ],
    },
    alignedData(series),
    host,
  );
  const resize = () => chart.setSize({ width: width(), height: HEIGHT });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    chart.destroy();
  };
}
