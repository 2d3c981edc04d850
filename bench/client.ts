/**
 * A load-client process: raw `ws` connections that speak Engine.IO v4 /
 * Socket.IO v5 themselves, so that a client costs less than the server per
 * message. Each connection opens the WebSocket transport, answers the open
 * packet by joining the namespace (`40/predictions,`), answers pings, and
 * counts `42/predictions,["tick",...]` frames by looking at a few bytes;
 * only gap notices are parsed, and the publish time only while latency is
 * being recorded.
 */
import type { Socket as NetSocket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { NAMESPACE, wallClockMs } from './events.js';
import { serve } from './ipc.js';
import { startProbe, stopProbe } from './probe.js';
import type { ClientCommand, ClientMark, LatencySamples } from './protocol.js';

// Engine.IO packet types (first character) and Socket.IO packet types (second).
const EIO_OPEN = 0x30; // '0'
const EIO_CLOSE = 0x31; // '1'
const EIO_PING = 0x32; // '2'
const EIO_MESSAGE = 0x34; // '4'
const SIO_CONNECT = 0x30; // '0'
const SIO_EVENT = 0x32; // '2'
const SIO_CONNECT_ERROR = 0x34; // '4'

/** `42/predictions,["` : the event name starts right after it. */
const EVENT_PREFIX = `42${NAMESPACE},["`;
const NAME_AT = EVENT_PREFIX.length;
const TICK = 0x74; // 't': only `tick` starts with it (snapshot, gap, monitor, resumed)
const GAP = 0x67; // 'g'
const SNAPSHOT = 0x73; // 's'
const T_KEY = Buffer.from('"t":');
const N_KEY = Buffer.from('"n":');
const COMMA = 0x2c;

let latencyOn = false;
let latencies = new Float64Array(1 << 16);
let latencyCount = 0;

function recordLatency(data: Buffer): void {
  const key = data.indexOf(T_KEY, NAME_AT);
  if (key < 0) return;
  const end = data.indexOf(COMMA, key + T_KEY.length);
  const sent = Number(data.toString('latin1', key + T_KEY.length, end));
  if (latencyCount === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[latencyCount++] = wallClockMs() - sent;
}

function numberAfter(data: Buffer, key: Buffer): number {
  const at = data.indexOf(key, NAME_AT);
  if (at < 0) return NaN;
  return Number(
    data.toString('latin1', at + key.length, data.indexOf(COMMA, at)),
  );
}

class Connection {
  events = 0;
  gaps = 0;
  missed = 0;
  snapshots = 0;
  outOfOrder = 0;
  private lastN = 0;
  private readonly ws: WebSocket;
  readonly joined: Promise<void>;

  constructor(
    url: string,
    private readonly checkOrder: boolean,
    auth?: Record<string, unknown>,
  ) {
    this.ws = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    this.joined = new Promise((resolve, reject) => {
      // Before joining, a failure to connect; after, the server went away.
      this.ws.on('error', reject);
      this.ws.on('message', (raw: RawData) => {
        const data = raw as Buffer;
        if (data[0] === EIO_MESSAGE) {
          if (data[1] === SIO_EVENT) this.onEvent(data);
          else if (data[1] === SIO_CONNECT) resolve();
          else if (data[1] === SIO_CONNECT_ERROR) {
            reject(new Error(`namespace refused: ${data.toString()}`));
          }
        } else if (data[0] === EIO_PING) {
          this.ws.send('3');
        } else if (data[0] === EIO_OPEN) {
          this.ws.send(`40${NAMESPACE},${auth ? JSON.stringify(auth) : ''}`);
        } else if (data[0] === EIO_CLOSE) {
          this.ws.terminate();
        }
      });
    });
  }

  private onEvent(data: Buffer): void {
    const name = data[NAME_AT];
    if (name === TICK) {
      this.events++;
      if (latencyOn) recordLatency(data);
      if (this.checkOrder) {
        const n = numberAfter(data, N_KEY);
        if (n !== this.lastN + 1) this.outOfOrder++;
        this.lastN = n;
      }
    } else if (name === GAP) {
      const [, gap] = JSON.parse(data.toString('utf8', NAME_AT - 2)) as [
        string,
        { missed: number; toSeq: number },
      ];
      this.gaps++;
      this.missed += gap.missed;
      // The n of the events after a gap continues past what was missed.
      this.lastN += gap.missed;
    } else if (name === SNAPSHOT) {
      this.snapshots++;
    }
  }

  /** Stops reading: the server's writes to this client back up. */
  stall(): void {
    (this.ws as unknown as { _socket: NetSocket })._socket.pause();
  }

  close(): void {
    this.ws.terminate();
  }
}

let connections: Connection[] = [];

/** Connections opened at once by `connect`, one step after the other. */
const CONNECT_STEP = 250;

function mark(): ClientMark {
  const result: ClientMark = {
    at: performance.now(),
    cpu: process.cpuUsage(),
    events: 0,
    minEvents: connections.length > 0 ? Infinity : 0,
    gaps: 0,
    missed: 0,
    outOfOrder: 0,
    snapshots: 0,
    connections: connections.length,
  };
  for (const c of connections) {
    result.events += c.events;
    result.minEvents = Math.min(result.minEvents, c.events);
    result.gaps += c.gaps;
    result.missed += c.missed;
    result.outOfOrder += c.outOfOrder;
    result.snapshots += c.snapshots;
  }
  return result;
}

serve(async (body) => {
  const command = body as ClientCommand;
  switch (command.cmd) {
    case 'connect': {
      const url = `ws://127.0.0.1:${command.port}/socket.io/?EIO=4&transport=websocket`;
      // In steps, so thousands of handshakes do not overflow the server's
      // listen backlog (a dropped SYN is retried a second later).
      for (let at = 0; at < command.count; at += CONNECT_STEP) {
        const opened: Connection[] = [];
        const n = Math.min(CONNECT_STEP, command.count - at);
        for (let i = 0; i < n; i++) {
          opened.push(
            new Connection(url, command.checkOrder ?? false, command.auth),
          );
        }
        connections.push(...opened);
        await Promise.all(opened.map((c) => c.joined));
      }
      return connections.length;
    }
    case 'probe':
      if (command.on) {
        startProbe(command.port);
        return null;
      }
      return stopProbe();
    case 'stall':
      for (const c of connections) c.stall();
      return null;
    case 'mark':
      return mark();
    case 'latency': {
      latencyOn = command.on;
      if (command.on) {
        latencyCount = 0;
        return null;
      }
      const result: LatencySamples = {
        samples: latencies.slice(0, latencyCount),
      };
      return result;
    }
    case 'close':
      for (const c of connections) c.close();
      connections = [];
      return null;
    case 'exit':
      for (const c of connections) c.close();
      setTimeout(() => process.exit(0), 20);
      return null;
  }
});
