/**
 * Idle connections, connect rate, reconnect storm and the baseline before
 * any client (`--only idle,connect,storm`), ours against plain Socket.IO
 * (server.ts's two modes) in the same run.
 *
 * - Idle: a fresh server, its memory after a full GC, then N clients opened
 *   at once (half per load process) and live (ours: hydrated), then its
 *   memory after a full GC again: heap and RSS per connection. The time
 *   until the last of 10,000 is live is the connect row.
 * - Storm: 2,000 live clients while 2 events/s are published; every
 *   client drops its connection at once and reopens it (ours resuming from
 *   its last seq and epoch; plain Socket.IO has nothing to resume with):
 *   the time until every one is live again, and what each lost without
 *   being told (the `n` of the events it got skipped with no gap notice).
 * - Baseline: RSS of a fresh server before any client (baseline-server.ts:
 *   each kind loads only what it runs), ours with the default options
 *   against an empty Nest app with the Socket.IO adapter.
 */
import { Peer } from '../ipc.js';
import { startServer, type Kind } from '../processes.js';
import type { ServerMark, ServerMemory } from '../protocol.js';
import { progress, S, serverArgv, sleep } from '../settings.js';
import type { BaselineKind } from '../baseline-server.js';
import type {
  ConnectClientCommand,
  ConnectClientMark,
} from '../connect-client.js';
import { int, mb, ms } from '../report.js';

export const IDLE_SIZES = [1000, 5000, 10_000];
export const CONNECT_SIZE = 10_000;
export const STORM_CLIENTS = 2000;
// Low enough that delivery is not what the storm measures (2,000 × 2 = 4,000
// deliveries/s), high enough that events go out while clients are away.
const STORM_RATE = 2;
const STORM_SETTLE_MS = 1500;

export interface IdleRound {
  connections: number;
  heapPerConnection: number;
  rssPerConnection: number;
  connectMs: number;
  /** Server CPU (all threads) spent while they connected, per connection. */
  cpuMsPerConnection: number;
}

export interface StormRound {
  clients: number;
  liveAgainMs: number;
  silentlyLost: number;
  duplicates: number;
  missedWithGap: number;
  resets: number;
}

export interface IdleResults {
  idle: Record<Kind, IdleRound[]>;
  storm: Record<Kind, StormRound[]>;
  baseline: Record<BaselineKind, number[]>;
}

type Call = <T>(peer: Peer, command: ConnectClientCommand) => Promise<T>;
const call: Call = (peer, command) => peer.call(command, 120_000);

/** The load processes of these rows: their own, one per CPU (at least 2). */
function startClients(): Peer[] {
  return Array.from({ length: S.clientProcesses }, (_, i) =>
    Peer.fork(`connect client ${i + 1}`, './connect-client.js'),
  );
}

function split(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

async function openAll(
  loads: Peer[],
  port: number,
  total: number,
  hydrate: boolean,
): Promise<number> {
  const times = await Promise.all(
    loads.map((peer, i) =>
      call<number>(peer, {
        cmd: 'connect',
        port,
        count: split(total, loads.length, i),
        hydrate,
      }),
    ),
  );
  return Math.max(...times);
}

async function idleRound(
  loads: Peer[],
  kind: Kind,
  connections: number,
): Promise<IdleRound> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    const before = await peer.call<ServerMemory>({ cmd: 'mem' });
    const cpu0 = (await peer.call<ServerMark>({ cmd: 'mark' })).cpu;
    const connectMs = await openAll(loads, port, connections, kind === 'ours');
    const cpu1 = (await peer.call<ServerMark>({ cmd: 'mark' })).cpu;
    await sleep(200);
    const after = await peer.call<ServerMemory>({ cmd: 'mem' }, 120_000);
    await Promise.all(loads.map((c) => call(c, { cmd: 'close' })));
    return {
      connections,
      heapPerConnection: (after.heapUsed - before.heapUsed) / connections,
      rssPerConnection: (after.rss - before.rss) / connections,
      connectMs,
      cpuMsPerConnection:
        (cpu1.user - cpu0.user + cpu1.system - cpu0.system) /
        1000 /
        connections,
    };
  } finally {
    await peer.stop();
  }
}

async function stormRound(loads: Peer[], kind: Kind): Promise<StormRound> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    const hydrate = kind === 'ours';
    await openAll(loads, port, STORM_CLIENTS, hydrate);
    const paced = peer.call(
      { cmd: 'pace', rate: STORM_RATE, bytes: S.eventBytes, maxPerTick: 8 },
      120_000,
    );
    // Every client has had a few events (so that a skipped one shows)
    // before they drop, and gets a few more after.
    await sleep(STORM_SETTLE_MS);
    const times = await Promise.all(
      loads.map((c) => call<number>(c, { cmd: 'storm' })),
    );
    await sleep(STORM_SETTLE_MS);
    await peer.call({ cmd: 'stop' });
    await paced;
    await sleep(300);
    const marks = await Promise.all(
      loads.map((c) => call<ConnectClientMark>(c, { cmd: 'mark' })),
    );
    await Promise.all(loads.map((c) => call(c, { cmd: 'close' })));
    const sum = (pick: (m: ConnectClientMark) => number) =>
      marks.reduce((n, m) => n + pick(m), 0);
    return {
      clients: STORM_CLIENTS,
      liveAgainMs: Math.max(...times),
      silentlyLost: sum((m) => m.silentlyLost),
      duplicates: sum((m) => m.duplicates),
      missedWithGap: sum((m) => m.missed),
      resets: sum((m) => m.resets),
    };
  } finally {
    await peer.stop();
  }
}

async function baselineRound(kind: BaselineKind): Promise<number> {
  const peer = Peer.fork(
    `${kind} baseline`,
    './baseline-server.js',
    [kind],
    serverArgv,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      peer.on('listening', () => resolve());
      peer.child.once('exit', (code) =>
        reject(new Error(`${kind} baseline exited (code ${code})`)),
      );
    });
    await sleep(300);
    return (await peer.call<ServerMemory>({ cmd: 'mem' })).rss;
  } finally {
    await peer.stop();
  }
}

export async function idleRounds(sections: Set<string>): Promise<IdleResults> {
  const results: IdleResults = {
    idle: { ours: [], plain: [] },
    storm: { ours: [], plain: [] },
    baseline: { plain: [], nest: [], ours: [], demo: [] },
  };
  const sizes = sections.has('idle')
    ? IDLE_SIZES
    : sections.has('connect')
      ? [CONNECT_SIZE]
      : [];
  const order = (r: number): Kind[] =>
    r % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
  const loads = startClients();
  try {
    for (let r = 0; r < S.otherRounds; r++) {
      for (const size of sizes) {
        for (const kind of order(r)) {
          const round = await idleRound(loads, kind, size);
          results.idle[kind].push(round);
          progress(
            `idle ${int(size)} ${r + 1}/${S.otherRounds} ${kind}: heap ${(round.heapPerConnection / 1024).toFixed(1)} KB/conn, RSS ${(round.rssPerConnection / 1024).toFixed(1)} KB/conn, connected in ${ms(round.connectMs)}`,
          );
        }
      }
      if (sections.has('storm')) {
        for (const kind of order(r)) {
          const round = await stormRound(loads, kind);
          results.storm[kind].push(round);
          progress(
            `storm ${r + 1}/${S.otherRounds} ${kind}: ${int(STORM_CLIENTS)} live again in ${ms(round.liveAgainMs)}, silently lost ${int(round.silentlyLost)}, gap-told ${int(round.missedWithGap)}, resets ${int(round.resets)}`,
          );
        }
      }
      if (sections.has('idle')) {
        for (const kind of ['nest', 'ours', 'plain', 'demo'] as const) {
          const rss = await baselineRound(kind);
          results.baseline[kind].push(rss);
          progress(
            `baseline ${r + 1}/${S.otherRounds} ${kind}: RSS ${mb(rss)}`,
          );
        }
      }
    }
  } finally {
    await Promise.all(loads.map((c) => c.stop()));
  }
  return results;
}
