// Live charts with uPlot (a small maintained chart library, served from
// the installed package): events/s per type, and the server's delivered,
// dropped and gap notices per second. Redrawn once a second, not per event.
import uPlot from 'uplot';
import { nowSecond, SECONDS } from './model.js';

const COLORS = [
  '#1d2430',
  '#2563eb',
  '#16a34a',
  '#d97706',
  '#9333ea',
  '#db2777',
];
const TOP = 4;

function size(element) {
  return { width: Math.max(200, element.clientWidth - 8), height: 150 };
}

function makeChart(element, labels) {
  const series = [
    {},
    ...labels.map((label, i) => ({
      label,
      stroke: COLORS[i % COLORS.length],
      width: i === 0 ? 2 : 1.5,
      points: { show: false },
    })),
  ];
  const empty = [[], ...labels.map(() => [])];
  return new uPlot(
    {
      ...size(element),
      series,
      scales: {
        x: { time: true },
        y: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
      axes: [{}, { size: 48 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    },
    empty,
    element,
  );
}

/** Events per second, all and the busiest types of the last minute. */
export class TypeRateChart {
  constructor(element, model) {
    this.element = element;
    this.model = model;
    this.types = [];
    this.chart = makeChart(element, ['all']);
    new ResizeObserver(() => this.chart.setSize(size(element))).observe(
      element,
    );
  }

  update() {
    const second = nowSecond();
    const top = this.model.topTypes(TOP, second);
    if (top.join('\n') !== this.types.join('\n')) {
      this.types = top;
      this.chart.destroy();
      this.chart = makeChart(this.element, ['all', ...top]);
    }
    const xs = [];
    const all = [];
    const perType = top.map(() => []);
    for (let s = second - SECONDS; s < second; s++) {
      xs.push(s);
      all.push(this.model.all.get(s));
      top.forEach((type, i) => {
        perType[i].push(this.model.types.get(type)?.perSecond.get(s) ?? 0);
      });
    }
    this.chart.setData([xs, all, ...perType]);
  }
}

/** The server's delivered, dropped and gap notices per second (from its stats). */
export class ServerRateChart {
  constructor(element) {
    this.points = [];
    this.last = null;
    this.chart = makeChart(element, ['delivered', 'dropped', 'gap notices']);
    new ResizeObserver(() => this.chart.setSize(size(element))).observe(
      element,
    );
  }

  add(sample) {
    const totals = ['delivered', 'dropped', 'gapNotices'].map(
      (key) => sample.clients.socketio[key] + sample.clients.sse[key],
    );
    if (this.last && sample.at > this.last.at) {
      const seconds = (sample.at - this.last.at) / 1000;
      this.points.push([
        Math.round(sample.at / 1000),
        ...totals.map((n, i) => Math.max(0, n - this.last.totals[i]) / seconds),
      ]);
      if (this.points.length > SECONDS) this.points.shift();
      this.chart.setData([0, 1, 2, 3].map((i) => this.points.map((p) => p[i])));
    }
    this.last = { at: sample.at, totals };
  }
}
