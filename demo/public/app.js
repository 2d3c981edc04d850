// The live page: the typed client keeps `state` in step with the server
// (hydrate, resume after reconnects, re-hydrate after gaps and resets); this
// file only draws it.
// The client as one ES module (socket.io-client inside), served by the
// module's `clientPath` route.
import { LivebusClient } from '/livebus/client.js';

const $ = (id) => document.getElementById(id);
$('curl').textContent =
  `curl -XPOST -H 'content-type: application/json' -d '{"type":"prediction","label":"Build"}' ${location.origin}/api/events`;

const client = new LivebusClient(location.origin, {
  socket: { transports: ['websocket'], reconnectionDelayMax: 2000 },
});

const cards = new Map();
function render(state) {
  for (const [type, event] of Object.entries(state)) {
    let card = cards.get(type);
    if (!card) {
      card = document.createElement('article');
      card.dataset.type = type;
      card.append(document.createElement('h2'), document.createElement('pre'));
      card.querySelector('h2').textContent = type;
      $('events').append(card);
      cards.set(type, card);
    }
    const text = JSON.stringify(event, null, 2);
    const pre = card.querySelector('pre');
    if (pre.textContent === text) continue;
    pre.textContent = text;
    card.classList.remove('flash');
    void card.offsetWidth; // restart the animation
    card.classList.add('flash');
  }
  for (const [type, card] of cards) {
    if (!(type in state)) {
      card.remove();
      cards.delete(type);
    }
  }
  $('seq').textContent = String(client.lastSeq);
}

function notice(text) {
  $('notice').textContent = text;
  $('notice').hidden = false;
}

// Events per second over the last 5 s.
const arrivals = [];
client.onEvent(() => arrivals.push(performance.now()));
setInterval(() => {
  const cutoff = performance.now() - 5000;
  while (arrivals.length && arrivals[0] < cutoff) arrivals.shift();
  $('rate').textContent = (arrivals.length / 5).toFixed(1);
}, 500);

// The activity worker's status, readable at a glance; the raw events stay
// in the cards below.
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
function renderActivity(state) {
  const status = state.status;
  $('activity').hidden = !status || !('currentApp' in status);
  if ($('activity').hidden) return;
  $('current-app').textContent = status.currentApp ?? 'nothing yet';
  $('current-since').textContent = status.currentSince
    ? `since ${time(status.currentSince)}`
    : '';
  $('candidate-app').textContent = status.candidateApp ?? 'none';
  $('candidate-held').max = status.transitionThresholdMs;
  $('candidate-held').value = status.candidateHeldMs;
  $('candidate-text').textContent = status.candidateApp
    ? `${seconds(status.candidateHeldMs)} of ${seconds(status.transitionThresholdMs)}`
    : '';
  const provider = status.provider;
  $('monitor-line').textContent = [
    `${status.state}`,
    `poll #${status.pollCount} every ${seconds(status.pollIntervalMs)}`,
    `provider ${provider.name}: ${provider.state}${provider.message ? ` (${provider.message})` : ''}`,
    status.failures ? `${status.failures} failures in a row` : '',
    state.monitor ? `worker ${state.monitor.state}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}
const transitions = [];
client.on('transition', (event) => {
  transitions.unshift(event);
  transitions.length = Math.min(transitions.length, 5);
  $('transitions').replaceChildren(
    ...transitions.map((t) => {
      const item = document.createElement('li');
      item.textContent = `${time(t.at)}: ${t.from} → ${t.to} (${t.from} from ${time(t.blockStart)} to ${time(t.blockEnd)})`;
      return item;
    }),
  );
});

client.onState((state) => {
  render(state);
  renderActivity(state);
});
client.onConnection((state) => {
  $('connection').textContent = state;
  $('connection').dataset.state = state;
});
client.onGap((gap) => {
  $('gaps').textContent = String(client.gapCount);
  notice(
    `missed ${gap.missed} events (seq ${gap.fromSeq}–${gap.toSeq}); re-hydrated`,
  );
});
let resets = 0;
client.onReset((reason) => {
  $('resets').textContent = String(++resets);
  notice(
    reason === 'resume-failed'
      ? 'the server could not replay what was missed (it restarted, or the history was too short): state replaced'
      : `state re-hydrated (${reason})`,
  );
});
