/**
 * A load-client process for the idle, connect and storm rows: raw `ws`
 * connections (Engine.IO v4 / Socket.IO v5 by hand, as client.ts) that can
 * be opened all at once, timed until every one is live, and dropped and
 * reopened all at once (a reconnect storm), resuming where each left off.
 *
 * "Live" is the namespace's CONNECT answer and, for ours (`hydrate`), the
 * first hydration message (`snapshot` or `resumed`) behind it. Each
 * connection follows the `n` of the `tick` events it receives: an event
 * skipped without a `gap` notice or a `reset` snapshot is a silent loss.
 */
import { WebSocket, type RawData } from 'ws';
import { NAMESPACE } from './events.js';
import { serve } from './ipc.js';

export type ConnectClientCommand =
  | { cmd: 'connect'; port: number; count: number; hydrate: boolean }
  /** Drops every connection at once and reopens it (resuming if `hydrate`). */
  | { cmd: 'storm' }
  | { cmd: 'mark' }
  | { cmd: 'close' }
  | { cmd: 'exit' };

export interface ConnectClientMark {
  connections: number;
  events: number;
  /** Events a gap notice accounted for. */
  missed: number;
  /** Snapshots marked `reset` after a resume (the client is told to start over). */
  resets: number;
  /** Events skipped with no gap notice and no reset. */
  silentlyLost: number;
  duplicates: number;
}

const EVENT_PREFIX = `42${NAMESPACE},["`;
const NAME_AT = EVENT_PREFIX.length;
const TICK = 0x74; // 't'
const GAP = 0x67; // 'g'
const SNAPSHOT = 0x73; // 's'
const RESUMED = 0x72; // 'r'
const N_KEY = Buffer.from('"n":');
const SEQ_KEY = Buffer.from('{"seq":');
/** Handshakes in flight per load process. */
const IN_FLIGHT = 128;

function numberAt(data: Buffer, at: number): number {
  let end = at;
  while (data[end] >= 0x30 && data[end] <= 0x39) end++;
  return Number(data.toString('latin1', at, end));
}

class Connection {
  events = 0;
  missed = 0;
  resets = 0;
  silentlyLost = 0;
  duplicates = 0;
  private lastN = 0;
  private lastSeq = -1;
  private epoch = '';
  private ws: WebSocket | null = null;

  constructor(
    private readonly url: string,
    private readonly hydrate: boolean,
  ) {}

  /** Opens (or reopens, resuming) and resolves once live. */
  open(): Promise<void> {
    const resume =
      this.hydrate && this.epoch
        ? JSON.stringify({ lastSeq: this.lastSeq, epoch: this.epoch })
        : '';
    const ws = new WebSocket(this.url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    this.ws = ws;
    return new Promise((resolve, reject) => {
      let connected = false;
      ws.on('error', reject);
      ws.on('close', () => reject(new Error('closed before it was live')));
      ws.on('message', (raw: RawData) => {
        const data = raw as Buffer;
        const type = data[0];
        if (type === 0x34 /* message */) {
          if (data[1] === 0x32 /* event */) {
            const hydration = this.onEvent(data);
            if (connected && hydration) resolve();
          } else if (data[1] === 0x30 /* connect */) {
            connected = true;
            if (!this.hydrate) resolve();
          } else if (data[1] === 0x34 /* connect_error */) {
            reject(new Error(`namespace refused: ${data.toString()}`));
          }
        } else if (type === 0x32 /* ping */) {
          ws.send('3');
        } else if (type === 0x30 /* open */) {
          ws.send(`40${NAMESPACE},${resume}`);
        }
      });
    });
  }

  /** Handles one event packet; true for a hydration message. */
  private onEvent(data: Buffer): boolean {
    const name = data[NAME_AT];
    if (name === TICK) {
      this.events++;
      const n = numberAt(data, data.indexOf(N_KEY, NAME_AT) + N_KEY.length);
      if (this.lastN > 0 && n > this.lastN + 1) {
        this.silentlyLost += n - this.lastN - 1;
      } else if (this.lastN > 0 && n <= this.lastN) {
        this.duplicates++;
      }
      if (n > this.lastN) this.lastN = n;
      if (this.hydrate) {
        const seq = data.lastIndexOf(SEQ_KEY);
        if (seq > 0) this.lastSeq = numberAt(data, seq + SEQ_KEY.length);
      }
      return false;
    }
    if (name === GAP) {
      const [, gap] = JSON.parse(data.toString('utf8', NAME_AT - 2)) as [
        string,
        { missed: number },
      ];
      this.missed += gap.missed;
      this.lastN += gap.missed;
      return false;
    }
    if (name === RESUMED) {
      // The replay follows, each event with its seq.
      return true;
    }
    if (name === SNAPSHOT) {
      const [, , meta] = JSON.parse(data.toString('utf8', NAME_AT - 2)) as [
        string,
        unknown,
        { seq: number; epoch: string; reset: boolean },
      ];
      this.epoch = meta.epoch;
      this.lastSeq = meta.seq;
      // A reset starts the count again: the client was told.
      if (meta.reset) {
        this.resets++;
        this.lastN = 0;
      }
      return true;
    }
    return false;
  }

  drop(): void {
    this.ws?.terminate();
    this.ws = null;
  }
}

let connections: Connection[] = [];

/**
 * Opens `list`, at most {@link IN_FLIGHT} handshakes at a time (a listen
 * backlog is 511 by default: more at once and the kernel drops SYNs, which
 * then wait a second for their retry); the time until the last is live.
 */
async function openAll(list: Connection[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < list.length) await list[next++].open();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return performance.now() - t0;
}

serve(async (body) => {
  const command = body as ConnectClientCommand;
  switch (command.cmd) {
    case 'connect': {
      const url = `ws://127.0.0.1:${command.port}/socket.io/?EIO=4&transport=websocket`;
      const opened = Array.from(
        { length: command.count },
        () => new Connection(url, command.hydrate),
      );
      connections.push(...opened);
      return openAll(opened);
    }
    case 'storm':
      for (const c of connections) c.drop();
      return openAll(connections);
    case 'mark': {
      const mark: ConnectClientMark = {
        connections: connections.length,
        events: 0,
        missed: 0,
        resets: 0,
        silentlyLost: 0,
        duplicates: 0,
      };
      for (const c of connections) {
        mark.events += c.events;
        mark.missed += c.missed;
        mark.resets += c.resets;
        mark.silentlyLost += c.silentlyLost;
        mark.duplicates += c.duplicates;
      }
      return mark;
    }
    case 'close':
    case 'exit':
      for (const c of connections) c.drop();
      connections = [];
      if (command.cmd === 'exit') setTimeout(() => process.exit(0), 20);
      return null;
  }
});
