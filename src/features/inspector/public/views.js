// Draws the model: each function touches only the DOM it owns, and the
// lists only their rows on screen.
import { ago, bytes, clock, int, ms, oneLine, quantile } from './format.js';
import { nowSecond } from './model.js';
import { VirtualList } from './virtual-list.js';

export const $ = (id) => document.getElementById(id);

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** The latest event of each type: searchable, virtualised. */
export class TypeTable {
  constructor(model, onSelect) {
    this.model = model;
    this.search = '';
    this.names = [];
    this.selected = null;
    this.list = new VirtualList($('types'), {
      rowClass: 'type-row',
      fill: (row, index, fresh) => this.fill(row, index, fresh),
      onSelect: (index) => {
        this.selected = this.names[index];
        onSelect(this.selected);
      },
    });
    this.list.onScroll = () => (this.scrolled = true);
    $('type-search').addEventListener('input', (event) => {
      this.search = event.target.value.trim().toLowerCase();
      this.model.typesAdded = true;
    });
  }

  fill(row, index, fresh) {
    const info = this.model.types.get(this.names[index]);
    if (fresh || row.childElementCount === 0) {
      row.replaceChildren(
        ...['name', 'count', 'rate', 'changed'].map((c) => {
          const span = document.createElement('span');
          span.className = c;
          return span;
        }),
      );
    }
    if (!info) return;
    const [name, count, rate, changed] = row.children;
    row.dataset.type = info.type;
    row.setAttribute('aria-selected', String(info.type === this.selected));
    setText(name, info.type);
    name.title = info.type;
    setText(count, int(info.count));
    setText(rate, info.perSecond.rate(this.second, 5).toFixed(1));
    setText(changed, info.at ? ago(info.at, this.now) : 'snapshot');
  }

  render() {
    this.now = Date.now();
    this.second = nowSecond();
    if (this.model.typesAdded) {
      this.model.typesAdded = false;
      const all = [...this.model.types.keys()].sort();
      this.names = this.search
        ? all.filter((type) => type.toLowerCase().includes(this.search))
        : all;
      setText(
        $('type-count'),
        this.search
          ? `${this.names.length} of ${all.length}`
          : String(all.length),
      );
    }
    this.list.render(this.names.length);
  }
}

/** The event log: newest first, bounded, virtualised; pause and filter. */
export class LogView {
  constructor(model, onSelect) {
    this.model = model;
    this.selected = null;
    this.list = new VirtualList($('log'), {
      rowClass: 'log-row',
      fill: (row, index, fresh) => this.fill(row, index, fresh),
      onSelect: (index) => {
        this.selected = this.model.logAt(index);
        onSelect(this.selected);
        this.model.dirty = true;
      },
    });
    this.list.onScroll = () => (this.model.dirty = true);
    $('log-filter').addEventListener('input', (event) =>
      model.setFilter(event.target.value),
    );
    $('pause').addEventListener('click', () => {
      if (model.paused) model.resume();
      else model.pause();
      $('pause').textContent = model.paused ? 'Resume' : 'Pause';
      $('pause').setAttribute('aria-pressed', String(model.paused));
    });
  }

  fill(row, index, fresh) {
    const entry = this.model.logAt(index);
    if (!entry) return;
    if (fresh || row.childElementCount === 0) {
      row.replaceChildren(
        ...['time', 'seq', 'type', 'text'].map((c) => {
          const span = document.createElement('span');
          span.className = c;
          return span;
        }),
      );
    }
    if (row.entry === entry) return;
    row.entry = entry;
    row.className = `row log-row ${entry.kind}`;
    row.dataset.seq = entry.seq ?? '';
    row.dataset.type = entry.type;
    row.setAttribute('aria-selected', String(entry === this.selected));
    const [time, seq, type, text] = row.children;
    time.textContent = clock(entry.at);
    seq.textContent = entry.seq === null ? '' : `#${entry.seq}`;
    type.textContent = entry.type;
    entry.text ??= oneLine(entry.event);
    text.textContent = entry.text;
  }

  render() {
    const length = this.model.logLength();
    setText(
      $('log-count'),
      `${int(length)}${this.model.paused ? ' (paused)' : ''}`,
    );
    this.list.render(length);
  }
}

/** The header: connection, epoch, seq, rate, latency, gaps, resets. */
export function renderHeader(client, model, latency) {
  setText($('seq'), String(client.lastSeq));
  const epoch = client.epoch ?? '–';
  setText($('epoch'), epoch.slice(0, 8));
  $('epoch').title = epoch;
  setText($('transport'), client.socket.io.engine?.transport?.name ?? '–');
  setText($('rate'), model.all.rate(nowSecond(), 5).toFixed(1));
  setText($('gaps'), String(model.gaps));
  setText($('resets'), String(model.resets));
  setText(
    $('latency'),
    latency ? `${ms(latency.p50)} / ${ms(latency.p99)}` : '–',
  );
}

export function showDetail(title, value) {
  setText($('detail-title'), title);
  $('detail').textContent =
    typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

export function notice(text) {
  $('notice').textContent = text;
  $('notice').hidden = false;
}

/** The server's counters from the stats endpoint. */
export function renderServer(sample, rttMs) {
  const rows = [];
  const section = (title) => rows.push([title]);
  const row = (label, value, bad = false) => rows.push([label, value, bad]);
  const { socketio, sse } = sample.clients;
  section('clients');
  row('Socket.IO / SSE', `${socketio.connected} / ${sse.connected}`);
  row(
    'queued (max one)',
    `${int(socketio.queued + sse.queued)} (${socketio.queueMax})`,
  );
  row('delivered', int(socketio.delivered + sse.delivered));
  row(
    'dropped',
    int(socketio.dropped + sse.dropped),
    socketio.dropped + sse.dropped > 0,
  );
  row('gap notices', int(socketio.gapNotices + sse.gapNotices));
  row(
    'resumes replayed / reset',
    `${socketio.resumes.replayed + sse.resumes.replayed} / ${['epoch', 'ahead', 'history'].reduce((n, r) => n + socketio.resumes[r] + sse.resumes[r], 0)}`,
  );
  const refused =
    Object.values(socketio.refused).reduce((a, b) => a + b, 0) +
    Object.values(sse.refused).reduce((a, b) => a + b, 0);
  row('refused', int(refused), refused > 0);
  section('bus');
  row('published', int(sample.bus.published));
  row(
    'refused (invalid, closed)',
    `${sample.bus.rejected}, ${sample.bus.refusedClosed + sample.bus.refusedNotReady}`,
  );
  row(
    'snapshot',
    `${sample.sizes.snapshotTypes} types, ${bytes(sample.sizes.snapshotBytes)}`,
  );
  row(
    'history',
    `${int(sample.sizes.historyEvents)} events, ${bytes(sample.sizes.historyBytes)}`,
  );
  row('draining', sample.draining ? 'yes' : 'no', sample.draining);
  section('worker');
  row(
    'state',
    sample.worker.configured ? sample.worker.state : 'none',
    sample.worker.state === 'failed',
  );
  row('restarts', int(sample.worker.restarts), sample.worker.restarts > 0);
  row(
    'relayed / dropped',
    `${int(sample.worker.relayed)} / ${int(sample.worker.droppedInWorker)}`,
  );
  section('transport');
  row(
    'kind, state',
    `${sample.transport.kind}, ${sample.transport.state}`,
    sample.transport.state !== 'ready',
  );
  row(
    'reader lag',
    sample.transport.readerLag === null
      ? '–'
      : `${int(sample.transport.readerLag)} events`,
    (sample.transport.readerLag ?? 0) > 0,
  );
  if (sample.transport.stats) {
    const h = sample.transport.stats.commandLatency;
    row(
      'append p50 / p99',
      `${ms(quantile(h, 0.5))} / ${ms(quantile(h, 0.99))}`,
    );
    row('epoch changes', int(sample.transport.stats.epochChanges));
  }
  row('stats round trip', ms(rttMs));
  const dl = $('server-stats');
  const nodes = [];
  for (const [label, value, bad] of rows) {
    if (value === undefined) {
      const head = document.createElement('dt');
      head.className = 'section';
      head.textContent = label;
      nodes.push(head);
      continue;
    }
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.bad = String(Boolean(bad));
    nodes.push(dt, dd);
  }
  dl.replaceChildren(...nodes);
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
const seconds = (n) => `${(n / 1000).toFixed(1)} s`;

/** The activity worker's status, when it runs (its `status` events). */
export function renderActivity(status, monitor) {
  const shown = Boolean(status && 'currentApp' in status);
  $('activity').hidden = !shown;
  if (!shown) return;
  setText($('current-app'), status.currentApp ?? 'nothing yet');
  setText(
    $('current-since'),
    status.currentSince ? `since ${time(status.currentSince)}` : '',
  );
  setText($('candidate-app'), status.candidateApp ?? 'none');
  $('candidate-held').max = status.transitionThresholdMs;
  $('candidate-held').value = status.candidateHeldMs;
  setText(
    $('candidate-text'),
    status.candidateApp
      ? `${seconds(status.candidateHeldMs)} of ${seconds(status.transitionThresholdMs)}`
      : '',
  );
  const provider = status.provider ?? {};
  setText(
    $('monitor-line'),
    [
      `${status.state}`,
      `poll #${status.pollCount} every ${seconds(status.pollIntervalMs)}`,
      `provider ${provider.name}: ${provider.state}${provider.message ? ` (${provider.message})` : ''}`,
      status.failures ? `${status.failures} failures in a row` : '',
      monitor
        ? `worker ${monitor.state}${monitor.reason ? ` (${monitor.reason})` : ''}`
        : '',
    ]
      .filter(Boolean)
      .join(' · '),
  );
}

const transitions = [];
export function addTransition(t) {
  transitions.unshift(t);
  transitions.length = Math.min(transitions.length, 5);
  $('transitions').replaceChildren(
    ...transitions.map((item) => {
      const li = document.createElement('li');
      li.textContent = `${time(item.at)}: ${item.from} → ${item.to} (${item.from} from ${time(item.blockStart)} to ${time(item.blockEnd)})`;
      return li;
    }),
  );
}
