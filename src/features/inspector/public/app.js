// The inspector page: LivebusClient keeps the state in step with the server
// (hydrate, resume after reconnects, re-hydrate after gaps and resets); the
// model takes each event in a few array writes, and the views draw at most
// once per animation frame, only the rows on screen.
import { gapOnlyConflated, LivebusClient } from './client/index.js';
import { ServerRateChart, TypeRateChart } from './charts.js';
import { histogramDelta, quantile } from './format.js';
import { Model } from './model.js';
import {
  $,
  addTransition,
  LogView,
  notice,
  renderActivity,
  renderHeader,
  renderServer,
  showDetail,
  TypeTable,
} from './views.js';

const config = JSON.parse($('livebus-config').textContent);
const model = new Model(config.logSize);

// A server that requires a token gets it from the page's fragment
// (`/#token=...`: a fragment never reaches the server or its logs): the
// socket sends it in its handshake, the stats requests as a Bearer header.
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const authorization = token ? { authorization: `Bearer ${token}` } : {};

const client = new LivebusClient(location.origin, {
  namespace: config.namespace,
  auth: token ? { token } : {},
  socket: { transports: ['websocket', 'polling'], reconnectionDelayMax: 2000 },
});

// --- drawing, at most once per animation frame ------------------------------

let frameRequested = false;
let selectedType = null;
let shownEvent = null;
let activityChanged = true;
let latency = null;

function invalidate() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(frame);
}

function frame() {
  frameRequested = false;
  renderHeader(client, model, latency);
  if (model.dirty || model.typesAdded) {
    model.dirty = false;
    types.render();
    log.render();
  }
  if (selectedType) {
    const event = model.types.get(selectedType)?.event;
    if (event !== shownEvent) {
      shownEvent = event;
      showDetail(selectedType, event ?? '(no longer in the snapshot)');
    }
  }
  if (activityChanged) {
    activityChanged = false;
    renderActivity(client.state.status, client.state.monitor);
  }
}

const types = new TypeTable(model, (type) => {
  selectedType = type;
  shownEvent = undefined;
  model.dirty = true;
  invalidate();
});
const log = new LogView(model, (entry) => {
  selectedType = null;
  showDetail(
    entry.kind === 'event' ? `${entry.type} #${entry.seq}` : entry.kind,
    entry.kind === 'event' ? entry.event : entry.text,
  );
  invalidate();
});
for (const list of [types.list, log.list]) {
  list.onScroll = () => {
    model.dirty = true;
    invalidate();
  };
}
for (const id of ['type-search', 'log-filter', 'pause']) {
  $(id).addEventListener(id === 'pause' ? 'click' : 'input', () => {
    model.dirty = true;
    invalidate();
  });
}

// --- what the client tells ----------------------------------------------------

client.onEvent((type, event, meta) => {
  model.event(type, event, meta.seq);
  if (type === 'status' || type === 'monitor') activityChanged = true;
  invalidate();
});
client.on('transition', (event) => addTransition(event));
client.socket.on('snapshot', (_events, meta) => {
  // The client applied it first: its state is the snapshot now.
  model.hydrate(client.state, meta.seq);
  activityChanged = true;
  invalidate();
});
client.socket.on('resumed', (meta) => {
  model.note(
    'info',
    `resumed: ${meta.replayed} missed events replayed (seq ${meta.fromSeq}–${meta.toSeq})`,
  );
  invalidate();
});
client.onConnection((state) => {
  $('connection').textContent = state;
  $('connection').dataset.state = state;
  model.note('info', `connection ${state}`);
  invalidate();
});
client.onGap((gap) => {
  model.gaps++;
  // Conflated only: the latest of each type is on its way, nothing to fetch.
  const text = gapOnlyConflated(gap)
    ? `skipped ${gap.missed} superseded events (seq ${gap.fromSeq}–${gap.toSeq}); the latest of each type follows`
    : `missed ${gap.missed} events (seq ${gap.fromSeq}–${gap.toSeq}); re-hydrating`;
  model.note('gap', text, gap.toSeq);
  notice(text);
  invalidate();
});
client.onReset((reason) => {
  model.resets++;
  const text =
    reason === 'resume-failed'
      ? 'the server could not replay what was missed (it restarted, or the history was too short): state replaced'
      : `state re-hydrated (${reason})`;
  model.note('reset', text);
  // After a gap, its own notice already says it re-hydrates.
  if (reason !== 'gap') notice(text);
  invalidate();
});
client.onClose?.((closed) => {
  model.note(
    'info',
    `server closed the connection: ${closed.code} (${closed.message})`,
  );
  invalidate();
});

// --- once a second: charts, relative times, the server's counters -----------

const typeChart = new TypeRateChart($('chart-types'), model);
const serverChart = new ServerRateChart($('chart-server'));
const samples = [];

async function poll() {
  const started = performance.now();
  try {
    const response = await fetch(config.statsUrl, {
      cache: 'no-store',
      headers: authorization,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const sample = await response.json();
    const rtt = performance.now() - started;
    samples.push(sample);
    if (samples.length > 11) samples.shift();
    // Delivery latency over the last ~10 s, both transports.
    const window = histogramDelta(
      sample.clients.socketio.latency,
      samples[0].clients.socketio.latency,
    );
    latency = window?.count
      ? { p50: quantile(window, 0.5), p99: quantile(window, 0.99) }
      : latency;
    renderServer(sample, rtt);
    serverChart.add(sample);
    $('stats-state').textContent = '';
  } catch (error) {
    $('stats-state').textContent = `stats unavailable (${error.message})`;
  }
}

setInterval(() => {
  typeChart.update();
  model.dirty = true;
  invalidate();
}, 1000);
setInterval(poll, config.statsIntervalMs);
void poll();
invalidate();
