/**
 * `npm run bench`: our gateway (EventBusModule in a real Nest app, in-memory
 * transport, default options) against a plain Socket.IO server
 * (`io.of('/predictions').emit(type, event)`, the socket.io in node_modules),
 * on this machine, in one run of a few minutes. Prints a table and writes
 * every round to bench/results/<timestamp>.json.
 *
 * Method
 * - Every server runs in its own process (server.ts), and so do the load
 *   clients (client.ts: raw `ws` connections that speak Engine.IO v4 /
 *   Socket.IO v5 themselves and look at a few bytes of each frame), one
 *   client process per CPU (at least 2). A fresh server process per round;
 *   rounds alternate which server goes first, after one unmeasured warm-up
 *   round each; each figure is the median over the rounds.
 * - Both servers run the same generator code in their own process and publish
 *   the same events (`{type:'tick', n, t, p}`, padded to the size asked); only
 *   the call differs: `bus.publish(event)` or `nsp.emit('tick', event)`.
 * - Saturation (1) is closed-loop: the generator publishes a batch of events
 *   in one turn of the event loop, then the next batch only once every
 *   client's writes have drained (nothing in the Engine.IO write buffer, no
 *   write in flight, nothing left in Node's TCP buffer: the same check for
 *   both servers). An open-loop generator faster than the server makes plain
 *   Socket.IO buffer without limit and ours drop the oldest events (as it is
 *   designed to), and deliveries/s would then measure the generator. Closed
 *   loop, neither buffers nor drops, and the `tick` events the clients count
 *   over a fixed window after a warm-up are what the server can deliver.
 *   Gap notices and drops are counted anyway and shown; they are never
 *   counted as deliveries. The same run with batches of one event shows the
 *   case where there is nothing to batch.
 * - Latency (2) is open-loop at 1,000 events/s (timer-paced), on a fresh
 *   server, each event stamped with `performance.timeOrigin +
 *   performance.now()` at publish and compared the same way in the client
 *   process. The servers are pinned to CPU 0 and the clients to the other
 *   CPUs meanwhile (taskset), so that a client woken by a write does not
 *   preempt the server in the middle of a fan-out. The server's own fan-out
 *   time per event is measured beside it, in the server process.
 * - Stalled client (3): a fast client, a warm-up of 20,000 events (so the
 *   server has reached its steady size: JIT, V8's young generation, our
 *   history of 10,000 events), then a second client joins and stops reading
 *   (its TCP socket paused), and 100,000 events of 1 KB go out at a rate the
 *   fast client keeps up with. RSS of the server process after a forced GC,
 *   before and after; the peak is sampled every 10 ms.
 * - Worker (4): MonitorService runs publisher.worker.ts, which publishes
 *   with the worker helper as fast as it lets it (awaiting `drained()` when
 *   `publish` returns false, the helper's own backpressure); one client
 *   counts, gap notices and drops beside the deliveries.
 * - Redis (5): two of our nodes share a redis-server started here; events
 *   are published on node A, the 100 clients are on node B, and A keeps at
 *   most a window of events that B has not delivered yet (B reports its
 *   progress over IPC). Latency as in (2).
 *
 * - Metrics (6, bench/metrics-cost.ts): figure 1's saturation on our server
 *   with Prometheus metrics off and on, alternating, same run.
 *
 * Flags: --quick (fewer, shorter rounds), --rounds N (fan-out rounds, default
 * 5), --only sat,stall,worker,redis,metrics, --batch N (saturation batch, default 64),
 * --client-processes N, --no-pin, --history N (our historyMaxEvents instead
 * of the default), --redis-window N, --cpu-prof (CPU profiles of the server
 * processes in bench/results/profiles/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BenchError, killAllChildren, Peer, trackChild } from './ipc.js';
import {
  medianOf,
  percentiles,
  processCpuMs,
  throughput,
  type Latency,
  type Throughput,
} from './measure.js';
import type {
  ClientMark,
  LatencySamples,
  PaceResult,
  ServerMark,
  ServerMemory,
  ServerSetup,
} from './protocol.js';
import {
  assertRedisServerInstalled,
  RedisServer,
} from '../test/support/redis-server.js';
import { int, mb, ms, pct, ratio, table } from './report.js';
import {
  metricsCostFigures,
  metricsCostReport,
  metricsCostRounds,
  type MetricsCost,
} from './metrics-cost.js';

// --- settings -----------------------------------------------------------------

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = flag('quick');
const only = new Set(
  (option('only') ?? 'sat,stall,worker,redis,metrics')
    .split(',')
    .filter(Boolean),
);

const S = {
  clients: 100,
  // One load process per CPU (at least 2): more processes than CPUs only
  // adds context switches.
  clientProcesses: Math.max(
    2,
    Number(option('client-processes') ?? availableParallelism()),
  ),
  fanoutRounds: Number(option('rounds') ?? (quick ? 2 : 5)),
  otherRounds: quick ? 1 : 3,
  eventBytes: 200,
  saturationBatch: Number(option('batch') ?? 64),
  warmupMs: quick ? 500 : 1000,
  windowMs: quick ? 1500 : 3000,
  latencyRate: 1000,
  latencyWarmupMs: 500,
  latencyMs: quick ? 1500 : 4000,
  stallEvents: 100_000,
  stallWarmupEvents: 20_000,
  stallEventBytes: 1024,
  stallRate: 25_000,
  redisWindow: Number(option('redis-window') ?? 2048),
  redisBatch: 64,
};

const repo = fileURLToPath(new URL('../../', import.meta.url));
const resultsDir = `${repo}bench/results/`;
const serverArgv = ['--expose-gc'];
if (flag('cpu-prof')) {
  mkdirSync(`${resultsDir}profiles`, { recursive: true });
  serverArgv.push('--cpu-prof', `--cpu-prof-dir=${resultsDir}profiles`);
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const progress = (line: string): void => {
  process.stderr.write(`  · ${line}\n`);
};
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

// --- processes ------------------------------------------------------------------

type Kind = 'ours' | 'plain';

interface ServerHandle {
  peer: Peer;
  port: number;
}

async function startServer(
  setup: ServerSetup,
  name: string,
): Promise<ServerHandle> {
  const history = option('history');
  if (setup.kind === 'ours' && history !== undefined) {
    setup = { ...setup, options: { historyMaxEvents: Number(history) } };
  }
  const peer = Peer.fork(
    name,
    './server.js',
    [JSON.stringify(setup)],
    serverArgv,
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within 20 s`)),
      20_000,
    );
    peer.on('listening', (data) => {
      clearTimeout(timer);
      resolve((data as { port: number }).port);
    });
    peer.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}) while starting`));
    });
  });
  return { peer, port };
}

let clients: Peer[] = [];

/** How many of the 100 clients client process `i` opens. */
function share(i: number): number {
  const { clients: n, clientProcesses: p } = S;
  return Math.floor(n / p) + (i < n % p ? 1 : 0);
}

async function connectAll(port: number): Promise<void> {
  await Promise.all(
    clients.map((c, i) => c.call({ cmd: 'connect', port, count: share(i) })),
  );
}

async function closeClients(peers: Peer[] = clients): Promise<void> {
  await Promise.all(peers.map((c) => c.call({ cmd: 'close' })));
}

function clientMarks(peers: Peer[] = clients): Promise<ClientMark[]> {
  return Promise.all(peers.map((c) => c.call<ClientMark>({ cmd: 'mark' })));
}

/**
 * Waits until `peers` have received `total` events (events + missed), or
 * until their counts have held still for `stillMs`.
 */
async function settle(
  peers: Peer[],
  total = Infinity,
  stillMs = 300,
  timeoutMs = 30_000,
): Promise<ClientMark[]> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stillSince = Date.now();
  for (;;) {
    const marks = await clientMarks(peers);
    const seen = marks.reduce((n, m) => n + m.events + m.missed, 0);
    if (seen !== last) stillSince = Date.now();
    last = seen;
    if (
      seen >= total ||
      Date.now() - stillSince >= stillMs ||
      Date.now() > deadline
    ) {
      return marks;
    }
    await sleep(100);
  }
}

// --- CPU affinity (latency rounds) ---------------------------------------------

const cores = cpus().length;
const canPin =
  process.platform === 'linux' &&
  cores >= 2 &&
  !flag('no-pin') &&
  !spawnSync('taskset', ['--version']).error;

/** Restricts every thread of `pid` to `list` (taskset syntax). */
function pin(pid: number, list: string): void {
  if (canPin) {
    spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], {
      stdio: 'ignore',
    });
  }
}

/** Runs `measure` with `servers` on CPU 0 and the clients on the others. */
async function pinned<T>(
  servers: Peer[],
  measure: () => Promise<T>,
): Promise<T> {
  for (const server of servers) pin(server.pid, '0');
  for (const client of clients) pin(client.pid, `1-${cores - 1}`);
  try {
    return await measure();
  } finally {
    for (const peer of [...servers, ...clients]) {
      pin(peer.pid, `0-${cores - 1}`);
    }
  }
}

// --- measurements ---------------------------------------------------------------

interface ThroughputRun {
  /** The server the clients are on. */
  server: Peer;
  /** The process that publishes (another node over Redis). */
  publisher?: Peer;
  start: () => Promise<unknown>;
  stop: () => Promise<unknown>;
  peers?: Peer[];
  clientCount?: number;
  warmupMs?: number;
  windowMs?: number;
  redisPid?: number;
}

async function measureThroughput(run: ThroughputRun): Promise<Throughput> {
  const { server, publisher = server, peers = clients } = run;
  await run.start();
  await sleep(run.warmupMs ?? S.warmupMs);
  const mark = (): Promise<[ServerMark, ServerMark, ClientMark[]]> =>
    Promise.all([
      server.call<ServerMark>({ cmd: 'mark' }),
      publisher.call<ServerMark>({ cmd: 'mark' }),
      clientMarks(peers),
    ]);
  const redis0 = processCpuMs(run.redisPid);
  const t0 = performance.now();
  const [s0, p0, c0] = await mark();
  await sleep(run.windowMs ?? S.windowMs);
  const [s1, p1, c1] = await mark();
  const redisCpu =
    ((processCpuMs(run.redisPid) - redis0) * 100) / (performance.now() - t0);
  await run.stop();
  await settle(peers);
  return {
    ...throughput([s0, s1], [p0, p1], c0, c1, run.clientCount ?? S.clients),
    redisCpu,
  };
}

async function measureLatency(
  publisher: Peer,
  timeFanout: boolean,
): Promise<Latency> {
  const paced = publisher.call<PaceResult>({
    cmd: 'pace',
    rate: S.latencyRate,
    bytes: S.eventBytes,
    maxPerTick: S.latencyRate,
    fanoutAfterMs: timeFanout ? S.latencyWarmupMs : undefined,
  });
  await sleep(S.latencyWarmupMs);
  await Promise.all(clients.map((c) => c.call({ cmd: 'latency', on: true })));
  await sleep(S.latencyMs);
  const parts = await Promise.all(
    clients.map((c) => c.call<LatencySamples>({ cmd: 'latency', on: false })),
  );
  await publisher.call({ cmd: 'stop' });
  const { fanout } = await paced;
  await settle(clients);
  const received = percentiles(parts.map((p) => p.samples));
  const server = percentiles([fanout]);
  return {
    p50: received.p50,
    p99: received.p99,
    max: received.max,
    samples: received.count,
    fanoutP50: timeFanout ? server.p50 : NaN,
    fanoutP99: timeFanout ? server.p99 : NaN,
  };
}

// --- rounds -----------------------------------------------------------------------

interface FanoutRound {
  saturation: Throughput;
  /** The same closed loop with batches of one event: nothing to batch. */
  unbatched: Throughput;
  latency: Latency;
}

async function fanoutRound(kind: Kind): Promise<FanoutRound> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    await connectAll(port);
    // Latency first, on a fresh server (before saturation leaves garbage).
    const latency = await pinned([peer], () => measureLatency(peer, true));
    const saturate = (batch: number) => () =>
      peer.call({ cmd: 'saturate', batch, bytes: S.eventBytes });
    const stop = () => peer.call({ cmd: 'stop' });
    const saturation = await measureThroughput({
      server: peer,
      start: saturate(S.saturationBatch),
      stop,
    });
    const unbatched = await measureThroughput({
      server: peer,
      start: saturate(1),
      stop,
      warmupMs: S.warmupMs / 2,
      windowMs: S.windowMs / 2,
    });
    await closeClients();
    return { saturation, unbatched, latency };
  } finally {
    await peer.stop();
  }
}

/**
 * One unmeasured round per server before the measured ones, so that the
 * first measured round does not pay for cold load clients (JIT) alone.
 */
async function warmUp(kind: Kind): Promise<void> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    await connectAll(port);
    const paced = peer.call({
      cmd: 'pace',
      rate: S.latencyRate,
      bytes: S.eventBytes,
      maxPerTick: S.latencyRate,
    });
    await Promise.all(clients.map((c) => c.call({ cmd: 'latency', on: true })));
    await sleep(1000);
    await Promise.all(
      clients.map((c) => c.call({ cmd: 'latency', on: false })),
    );
    await peer.call({ cmd: 'stop' });
    await paced;
    await peer.call({
      cmd: 'saturate',
      batch: S.saturationBatch,
      bytes: S.eventBytes,
    });
    await sleep(1000);
    await peer.call({ cmd: 'stop' });
    await settle(clients);
    await closeClients();
  } finally {
    await peer.stop();
  }
}

interface StallRound {
  /** RSS of the fresh server with the fast client only. */
  rssCold: number;
  /** RSS after the warm-up, with the stalled client joined and not reading. */
  rssBefore: number;
  rssAfter: number;
  growth: number;
  /** The highest RSS during the 100,000 events, above `rssBefore`. */
  peakGrowth: number;
  /** `rssAfter - rssCold`: a cold server's growth, warm-up included. */
  coldGrowth: number;
  heapBefore: number;
  heapAfter: number;
  publishSeconds: number;
  fastReceived: number;
  fastGaps: number;
  fastOutOfOrder: number;
  stalledReceived: number;
}

async function stallRound(kind: Kind): Promise<StallRound> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  const [fast, stalled] = clients;
  const publish = (total: number) =>
    peer.call<PaceResult>(
      {
        cmd: 'pace',
        rate: S.stallRate,
        bytes: S.stallEventBytes,
        maxPerTick: 128,
        total,
      },
      300_000,
    );
  const fastReaches = async (total: number): Promise<ClientMark> =>
    (await settle([fast], total, 1000))[0];
  try {
    await fast.call({ cmd: 'connect', port, count: 1, checkOrder: true });
    const cold = await peer.call<ServerMemory>({ cmd: 'mem' });
    await publish(S.stallWarmupEvents);
    const warm = await fastReaches(S.stallWarmupEvents);
    await stalled.call({ cmd: 'connect', port, count: 1 });
    await stalled.call({ cmd: 'stall' });
    await sleep(200);
    const before = await peer.call<ServerMemory>({ cmd: 'mem' });
    const paced = await publish(S.stallEvents);
    const done = await fastReaches(S.stallWarmupEvents + S.stallEvents);
    const after = await peer.call<ServerMemory>({ cmd: 'mem' });
    const [stalledMark] = await clientMarks([stalled]);
    await closeClients([fast, stalled]);
    return {
      rssCold: cold.rss,
      rssBefore: before.rss,
      rssAfter: after.rss,
      growth: after.rss - before.rss,
      peakGrowth: after.peakRss - before.rss,
      coldGrowth: after.rss - cold.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      publishSeconds: paced.ms / 1000,
      fastReceived: done.events - warm.events,
      fastGaps: done.gaps - warm.gaps,
      fastOutOfOrder: done.outOfOrder,
      stalledReceived: stalledMark.events,
    };
  } finally {
    await peer.stop();
  }
}

async function workerRound(): Promise<Throughput> {
  const { peer, port } = await startServer(
    {
      kind: 'ours',
      worker: { bytes: S.eventBytes },
    },
    'ours server (worker)',
  );
  const [client] = clients;
  try {
    await client.call({ cmd: 'connect', port, count: 1 });
    const result = await measureThroughput({
      server: peer,
      start: () => peer.call({ cmd: 'worker' }),
      stop: () => peer.call({ cmd: 'stop' }),
      peers: [client],
      clientCount: 1,
    });
    await closeClients([client]);
    return result;
  } finally {
    await peer.stop();
  }
}

interface RedisRound {
  saturation: Throughput;
  latency: Latency;
}

async function redisRound(url: string, redisPid: number): Promise<RedisRound> {
  const a = await startServer({ kind: 'ours', redisUrl: url }, 'node A');
  const b = await startServer({ kind: 'ours', redisUrl: url }, 'node B');
  try {
    await connectAll(b.port);
    b.peer.on('progress', (delivered) =>
      a.peer.post({ cmd: 'progress', delivered }),
    );
    const saturation = await measureThroughput({
      server: b.peer,
      publisher: a.peer,
      start: async () => {
        await b.peer.call({ cmd: 'report-progress', on: true });
        await a.peer.call({
          cmd: 'window',
          batch: S.redisBatch,
          bytes: S.eventBytes,
          window: S.redisWindow,
        });
      },
      stop: async () => {
        await a.peer.call({ cmd: 'stop' });
        await b.peer.call({ cmd: 'report-progress', on: false });
      },
      redisPid,
    });
    const latency = await pinned([a.peer, b.peer], () =>
      measureLatency(a.peer, false),
    );
    await closeClients();
    return { saturation, latency };
  } finally {
    await Promise.all([a.peer.stop(), b.peer.stop()]);
  }
}

// --- main -------------------------------------------------------------------------

interface Results {
  fanout: Record<Kind, FanoutRound[]>;
  stall: Record<Kind, StallRound[]>;
  worker: Throughput[];
  redis: RedisRound[];
  metrics: MetricsCost;
}

async function runRounds(): Promise<Results> {
  const results: Results = {
    fanout: { ours: [], plain: [] },
    stall: { ours: [], plain: [] },
    worker: [],
    redis: [],
    metrics: { off: [], on: [] },
  };
  const alternate = (r: number): Kind[] =>
    r % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
  if (only.has('sat')) {
    for (const kind of alternate(0)) await warmUp(kind);
    for (let r = 0; r < S.fanoutRounds; r++) {
      for (const kind of alternate(r)) {
        const round = await fanoutRound(kind);
        results.fanout[kind].push(round);
        const { saturation: sat, latency: lat } = round;
        progress(
          `fan-out ${r + 1}/${S.fanoutRounds} ${kind}: ${int(sat.deliveriesPerSec)} deliveries/s (CPU server ${pct(sat.serverCpu)}, clients ${pct(sat.clientCpu)}), latency p50 ${ms(lat.p50)} p99 ${ms(lat.p99)}`,
        );
      }
    }
  }
  if (only.has('stall')) {
    for (let r = 0; r < S.otherRounds; r++) {
      for (const kind of alternate(r)) {
        const round = await stallRound(kind);
        results.stall[kind].push(round);
        progress(
          `stall ${r + 1}/${S.otherRounds} ${kind}: RSS +${mb(round.growth)} (peak +${mb(round.peakGrowth)}), fast client ${int(round.fastReceived)}`,
        );
      }
    }
  }
  if (only.has('worker')) {
    for (let r = 0; r < S.otherRounds; r++) {
      const round = await workerRound();
      results.worker.push(round);
      progress(
        `worker ${r + 1}/${S.otherRounds}: ${int(round.deliveriesPerSec)} events/s to the client (CPU ${pct(round.serverCpu)})`,
      );
    }
  }
  if (only.has('redis')) {
    const redis = await RedisServer.start();
    trackChild(redis.process!);
    try {
      for (let r = 0; r < S.otherRounds; r++) {
        const round = await redisRound(redis.url, redis.process?.pid ?? 0);
        results.redis.push(round);
        progress(
          `redis ${r + 1}/${S.otherRounds}: ${int(round.saturation.deliveriesPerSec)} deliveries/s on B, latency p99 ${ms(round.latency.p99)}`,
        );
      }
    } finally {
      await redis.kill();
    }
  }
  if (only.has('metrics')) {
    results.metrics = await metricsCostRounds(
      S.fanoutRounds,
      saturationRound,
      progress,
    );
  }
  return results;
}

/** Figure 1's saturation alone, on a fresh server of ours (metrics on or off). */
async function saturationRound(metrics: boolean): Promise<Throughput> {
  const { peer, port } = await startServer(
    { kind: 'ours', metrics },
    `ours server (metrics ${metrics ? 'on' : 'off'})`,
  );
  try {
    await connectAll(port);
    const result = await measureThroughput({
      server: peer,
      start: () =>
        peer.call({
          cmd: 'saturate',
          batch: S.saturationBatch,
          bytes: S.eventBytes,
        }),
      stop: () => peer.call({ cmd: 'stop' }),
    });
    await closeClients();
    return result;
  } finally {
    await peer.stop();
  }
}

function report(results: Results) {
  const { fanout, stall, worker, redis } = results;
  const sat = (kind: Kind, pick: (t: Throughput) => number) =>
    medianOf(fanout[kind], (r) => pick(r.saturation));
  const unb = (kind: Kind) =>
    medianOf(fanout[kind], (r) => r.unbatched.deliveriesPerSec);
  const lat = (kind: Kind, pick: (l: Latency) => number) =>
    medianOf(fanout[kind], (r) => pick(r.latency));
  const st = (kind: Kind, pick: (s: StallRound) => number) =>
    medianOf(stall[kind], pick);
  const fewestFast = (kind: Kind) =>
    stall[kind].length > 0
      ? Math.min(...stall[kind].map((s) => s.fastReceived))
      : NaN;
  const rds = (pick: (r: RedisRound) => number) => medianOf(redis, pick);

  const figures = {
    deliveriesPerSec: {
      ours: sat('ours', (t) => t.deliveriesPerSec),
      plain: sat('plain', (t) => t.deliveriesPerSec),
    },
    unbatchedDeliveriesPerSec: { ours: unb('ours'), plain: unb('plain') },
    latencyP50: {
      ours: lat('ours', (l) => l.p50),
      plain: lat('plain', (l) => l.p50),
    },
    latencyP99: {
      ours: lat('ours', (l) => l.p99),
      plain: lat('plain', (l) => l.p99),
    },
    stallRssGrowth: {
      ours: st('ours', (s) => s.growth),
      plain: st('plain', (s) => s.growth),
    },
    stallFastReceivedFewest: {
      ours: fewestFast('ours'),
      plain: fewestFast('plain'),
    },
    workerEventsPerSec: medianOf(worker, (t) => t.deliveriesPerSec),
    redisDeliveriesPerSec: rds((r) => r.saturation.deliveriesPerSec),
    redisLatencyP50: rds((r) => r.latency.p50),
    redisLatencyP99: rds((r) => r.latency.p99),
  };
  const f = figures;
  const verdict = (ran: boolean, met: boolean): string =>
    ran ? (met ? 'met' : 'NOT met') : 'not run';
  const met = {
    deliveries: f.deliveriesPerSec.ours >= 2 * f.deliveriesPerSec.plain,
    latencyP99: f.latencyP99.ours <= f.latencyP99.plain,
    stallRss: f.stallRssGrowth.ours <= f.stallRssGrowth.plain / 10,
    stallFast: f.stallFastReceivedFewest.ours === S.stallEvents,
    worker: f.workerEventsPerSec >= 100_000,
  };
  const ranFanout = fanout.ours.length > 0 && fanout.plain.length > 0;
  const ranStall = stall.ours.length > 0 && stall.plain.length > 0;
  const pair = (kind: Kind, a: (t: Throughput) => number, b = a) =>
    `${pct(sat(kind, a))} / ${pct(sat(kind, b))}`;
  const both = (
    pick: (kind: Kind) => number,
    format: (n: number) => string,
  ) => [
    format(pick('ours')),
    format(pick('plain')),
    ratio(pick('ours'), pick('plain')),
  ];
  const N = S.clients;

  const main = table([
    ['#', 'figure', 'ours', 'plain Socket.IO', 'ours/plain', 'target', ''],
    [
      '1',
      `deliveries/s, ${N} clients, ${S.eventBytes} B events, saturation`,
      ...both((k) => f.deliveriesPerSec[k], int),
      '≥ 2.0× (aim 3×)',
      verdict(ranFanout, met.deliveries),
    ],
    [
      '',
      `  events published/s (closed loop, batches of ${S.saturationBatch})`,
      int(sat('ours', (t) => t.publishedPerSec)),
      int(sat('plain', (t) => t.publishedPerSec)),
    ],
    [
      '',
      '  gap notices / events dropped in the window',
      `${int(sat('ours', (t) => t.gaps))} / ${int(sat('ours', (t) => t.dropped))}`,
      `${int(sat('plain', (t) => t.gaps))} / –`,
    ],
    [
      '',
      `  CPU: server / ${S.clientProcesses} client processes (${cores} CPUs = ${cores * 100}%)`,
      pair(
        'ours',
        (t) => t.serverCpu,
        (t) => t.clientCpu,
      ),
      pair(
        'plain',
        (t) => t.serverCpu,
        (t) => t.clientCpu,
      ),
    ],
    [
      '',
      '  deliveries/s, batches of 1 (nothing to batch)',
      ...both((k) => f.unbatchedDeliveriesPerSec[k], int),
    ],
    [
      '2',
      `latency p50, ${int(S.latencyRate)} events/s to ${N} clients`,
      ...both((k) => f.latencyP50[k], ms),
    ],
    [
      '',
      'latency p99',
      ...both((k) => f.latencyP99[k], ms),
      '≤ plain',
      verdict(ranFanout, met.latencyP99),
    ],
    [
      '',
      `  server-side fan-out of one event to ${N} clients, p50`,
      ...both((k) => lat(k, (l) => l.fanoutP50), ms),
    ],
    [
      '',
      '  server-side fan-out, p99',
      ...both((k) => lat(k, (l) => l.fanoutP99), ms),
    ],
    [
      '3',
      `server RSS growth, 1 stalled + 1 fast client, ${int(S.stallEvents)} × 1 KB`,
      ...both((k) => f.stallRssGrowth[k], mb),
      '≤ 0.10×',
      verdict(ranStall, met.stallRss),
    ],
    [
      '',
      '  peak RSS growth during the run',
      ...both((k) => st(k, (s) => s.peakGrowth), mb),
    ],
    [
      '',
      '  events the fast client received (fewest in any round)',
      int(f.stallFastReceivedFewest.ours),
      int(f.stallFastReceivedFewest.plain),
      '',
      `all ${int(S.stallEvents)}`,
      verdict(ranStall, met.stallFast),
    ],
    [
      '4',
      'worker → 1 client, events/s (MonitorService relay)',
      int(f.workerEventsPerSec),
      '',
      '',
      '≥ 100,000',
      verdict(worker.length > 0, met.worker),
    ],
    [
      '',
      '  gap notices / events dropped in the window',
      worker.length > 0
        ? `${int(medianOf(worker, (t) => t.gaps))} / ${int(medianOf(worker, (t) => t.dropped))}`
        : '–',
    ],
  ]);

  const cross = table([
    [
      '5',
      `ours across nodes: published on A, ${N} clients on B`,
      'in memory',
      'over Redis',
      'Redis/memory',
    ],
    [
      '',
      `deliveries/s, ${S.eventBytes} B events, saturation`,
      int(f.deliveriesPerSec.ours),
      int(f.redisDeliveriesPerSec),
      ratio(f.redisDeliveriesPerSec, f.deliveriesPerSec.ours),
    ],
    [
      '',
      '  gap notices / events dropped on B in the window',
      `${int(sat('ours', (t) => t.gaps))} / ${int(sat('ours', (t) => t.dropped))}`,
      `${int(rds((r) => r.saturation.gaps))} / ${int(rds((r) => r.saturation.dropped))}`,
    ],
    [
      '',
      '  CPU: node B / node A / redis-server / clients',
      `${pct(sat('ours', (t) => t.serverCpu))} / – / – / ${pct(sat('ours', (t) => t.clientCpu))}`,
      [
        rds((r) => r.saturation.serverCpu),
        rds((r) => r.saturation.publisherCpu),
        rds((r) => r.saturation.redisCpu),
        rds((r) => r.saturation.clientCpu),
      ]
        .map(pct)
        .join(' / '),
    ],
    [
      '',
      `latency p50, ${int(S.latencyRate)} events/s`,
      ms(f.latencyP50.ours),
      ms(f.redisLatencyP50),
      ratio(f.redisLatencyP50, f.latencyP50.ours),
    ],
    [
      '',
      'latency p99',
      ms(f.latencyP99.ours),
      ms(f.redisLatencyP99),
      ratio(f.redisLatencyP99, f.latencyP99.ours),
    ],
  ]);
  const targets = {
    deliveries: {
      ratio: f.deliveriesPerSec.ours / f.deliveriesPerSec.plain,
      met: met.deliveries,
    },
    latencyP99: {
      ratio: f.latencyP99.ours / f.latencyP99.plain,
      met: met.latencyP99,
    },
    stall: {
      ratio: f.stallRssGrowth.ours / f.stallRssGrowth.plain,
      met: met.stallRss && met.stallFast,
    },
    worker: { met: met.worker },
  };
  return { text: `${main}\n\n${cross}`, figures, targets };
}

async function main(): Promise<void> {
  if (!existsSync(fileURLToPath(new URL('./server.js', import.meta.url)))) {
    throw new BenchError('dist/bench is not built: run `npm run bench`');
  }
  // Fail before anything runs rather than after minutes of measuring.
  if (only.has('redis')) {
    try {
      assertRedisServerInstalled();
    } catch (error) {
      throw new BenchError(
        `${(error as Error).message} Or leave the cross-node figures out: --only sat,stall,worker,metrics.`,
      );
    }
  }
  const socketIo = (
    JSON.parse(
      readFileSync(`${repo}node_modules/socket.io/package.json`, 'utf8'),
    ) as { version: string }
  ).version;
  const startedAt = new Date();
  clients = Array.from({ length: S.clientProcesses }, (_, i) =>
    Peer.fork(`client ${i + 1}`, './client.js'),
  );
  const shares = [...new Set(clients.map((_, i) => share(i)))];
  const header = [
    `nestjs-livebus bench · Node ${process.version} · socket.io ${socketIo} · ${cores} × ${cpus()[0]?.model ?? 'CPU'}`,
    `load: ${S.clientProcesses} client processes × ${shares.join(' or ')} raw ws connections (Engine.IO v4 / Socket.IO v5 spoken by hand); median of ${S.fanoutRounds} rounds (${S.otherRounds} for 3-5)`,
    canPin
      ? `latency: servers pinned to CPU 0, clients to CPU 1${cores > 2 ? `-${cores - 1}` : ''} (taskset); everything else unpinned`
      : 'latency: nothing pinned (needs Linux, taskset and 2+ CPUs)',
  ];
  out(header.join('\n'));
  out();

  const results = await runRounds();
  await Promise.all(clients.map((c) => c.stop()));
  const { text, figures, targets } = report(results);
  out(text);
  const metricsText = metricsCostReport(results.metrics);
  if (metricsText) out(metricsText);

  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  const json = JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      header,
      node: process.version,
      socketIo,
      cpus: cpus().map((c) => c.model),
      settings: { ...S, pinnedLatency: canPin },
      figures: {
        ...figures,
        metricsCost:
          results.metrics.on.length > 0
            ? metricsCostFigures(results.metrics)
            : null,
      },
      targets,
      table: metricsText ? `${text}\n${metricsText}` : text,
      rounds: results,
    },
    (_key, value: unknown) =>
      typeof value === 'number' && !Number.isFinite(value) ? null : value,
    2,
  );
  writeFileSync(file, `${json}\n`);
  out();
  out(`results: ${file.slice(repo.length)}`);
}

// Every child (servers, clients, redis-server) goes when this process does.
process.on('exit', killAllChildren);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping every bench process\n`);
    killAllChildren();
    process.exit(code);
  });
}

main().then(killAllChildren, (error: Error) => {
  process.stderr.write(
    `bench failed: ${error instanceof BenchError ? error.message : (error.stack ?? error.message)}\n`,
  );
  killAllChildren();
  process.exitCode = 1;
});
