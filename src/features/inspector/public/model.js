// What the page knows, updated per event with a few array writes and drawn
// at most once per animation frame: the latest event of each type with its
// counts per second, a bounded log, and totals per second for the charts.

const SECONDS = 60;

/** A fixed-size ring of the newest entries; `at(0)` is the newest. */
class Ring {
  constructor(capacity) {
    this.items = new Array(capacity);
    this.capacity = capacity;
    this.total = 0;
  }
  get length() {
    return Math.min(this.total, this.capacity);
  }
  push(item) {
    this.items[this.total % this.capacity] = item;
    this.total++;
  }
  at(index) {
    return this.items[(this.total - 1 - index) % this.capacity];
  }
  clear() {
    this.items = new Array(this.capacity);
    this.total = 0;
  }
  toArray() {
    const out = new Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** Counts per second over the last minute. */
class PerSecond {
  constructor() {
    this.counts = new Float64Array(SECONDS);
    this.stamps = new Int32Array(SECONDS).fill(-1);
  }
  add(second, n = 1) {
    const slot = second % SECONDS;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot] += n;
  }
  get(second) {
    const slot = second % SECONDS;
    return this.stamps[slot] === second ? this.counts[slot] : 0;
  }
  /** Mean per second over the `window` whole seconds before `second`. */
  rate(second, window) {
    let sum = 0;
    for (let s = second - window; s < second; s++) sum += this.get(s);
    return sum / window;
  }
  total(second, window) {
    let sum = 0;
    for (let s = second - window; s < second; s++) sum += this.get(s);
    return sum;
  }
}

export const nowSecond = () => Math.floor(Date.now() / 1000);

export class Model {
  constructor(logSize) {
    /** type -> { type, count, seq, at, event, perSecond } */
    this.types = new Map();
    this.log = new Ring(logSize);
    this.all = new PerSecond();
    this.gaps = 0;
    this.resets = 0;
    // What changed since the last frame.
    this.typesAdded = true;
    this.dirty = true;
    // The log's view: filter and pause.
    this.filter = '';
    this.filtered = new Ring(logSize);
    this.frozen = null;
  }

  /** One live event. */
  event(type, event, seq) {
    const at = Date.now();
    const second = Math.floor(at / 1000);
    let info = this.types.get(type);
    if (!info) {
      info = {
        type,
        count: 0,
        seq: 0,
        at: 0,
        event,
        perSecond: new PerSecond(),
      };
      this.types.set(type, info);
      this.typesAdded = true;
    }
    info.count++;
    info.seq = seq;
    info.at = at;
    info.event = event;
    info.perSecond.add(second);
    this.all.add(second);
    this.append({ kind: 'event', type, event, seq, at, text: null });
  }

  /** A snapshot replaced the state: the types are exactly its keys now. */
  hydrate(state, seq) {
    const at = Date.now();
    for (const type of [...this.types.keys()]) {
      if (!Object.prototype.hasOwnProperty.call(state, type)) {
        this.types.delete(type);
        this.typesAdded = true;
      }
    }
    for (const [type, event] of Object.entries(state)) {
      const info = this.types.get(type);
      if (info) info.event = event;
      else {
        this.types.set(type, {
          type,
          count: 0,
          seq: 0,
          at: 0,
          event,
          perSecond: new PerSecond(),
        });
        this.typesAdded = true;
      }
    }
    this.append({
      kind: 'info',
      type: 'snapshot',
      event: null,
      seq,
      at,
      text: `snapshot: ${Object.keys(state).length} types at seq ${seq}`,
    });
  }

  /** A line of the bus's own (gap, reset, connection), shown in the log. */
  note(kind, text, seq = null) {
    this.append({ kind, type: kind, event: null, seq, at: Date.now(), text });
  }

  append(entry) {
    this.log.push(entry);
    if (this.matches(entry)) this.filtered.push(entry);
    this.dirty = true;
  }

  matches(entry) {
    return (
      this.filter === '' ||
      entry.kind !== 'event' ||
      entry.type.toLowerCase().includes(this.filter)
    );
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.filtered.clear();
    const entries = this.log.toArray().reverse();
    for (const entry of entries)
      if (this.matches(entry)) this.filtered.push(entry);
    if (this.frozen) this.frozen = this.filtered.toArray();
    this.dirty = true;
  }

  /** Pauses the log's view (events are still counted and kept). */
  pause() {
    this.frozen = this.filtered.toArray();
    this.dirty = true;
  }

  resume() {
    this.frozen = null;
    this.dirty = true;
  }

  get paused() {
    return this.frozen !== null;
  }

  /** The log as shown: newest first. */
  logLength() {
    return this.frozen ? this.frozen.length : this.filtered.length;
  }

  logAt(index) {
    return this.frozen ? this.frozen[index] : this.filtered.at(index);
  }

  /** The top `n` types by events in the last minute. */
  topTypes(n, second) {
    const scored = [];
    for (const info of this.types.values()) {
      const total = info.perSecond.total(second, SECONDS);
      if (total > 0) scored.push([total, info.type]);
    }
    scored.sort((a, b) => b[0] - a[0]);
    return scored.slice(0, n).map(([, type]) => type);
  }
}

export { SECONDS };
