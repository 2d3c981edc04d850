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
 * - Idle, connect, storm, baseline (issue 13; scenarios/idle.ts): heap and RSS
 *   per idle connection at 1,000 / 5,000 / 10,000 (after a full GC), the
 *   time until 10,000 are live, 2,000 clients dropped at once until all are
 *   live again (ours resuming; silent losses counted), and RSS before any
 *   client against an empty Nest app (baseline-server.ts), with their own
 *   load processes (connect-client.ts).
 * - Flow, crowd and ingest (issue 13; scenarios/flow.ts): server RSS while
 *   100,000 events of 1 KB pass to 2 reading clients (peak above the start,
 *   sampled every 10 ms, no forced GC, our default history); RSS with 5,000
 *   raw ws clients at 10 events/s (median and max over a window, no forced
 *   GC); 100,000 events of 1 KB through `POST /api/events`, 50 per request,
 *   4 in flight (plain: a bare route that JSON-parses and `nsp.emit`s).
 *
 * - Wide (8, bench/wide.ts): one event per publish to 5,000 clients,
 *   saturated as in (1); and the longest wait of an HTTP request and of a
 *   socket round trip while single events fan out to 10,000 clients.
 *
 * Files: settings.ts (the flags), processes.ts (servers, load clients, CPU
 * pinning), measurements.ts (deliveries/s, latency), scenarios/ (one file per
 * section above), rounds.ts (their order), figures.ts (medians, targets),
 * tables.ts (what is printed); server.ts and client.ts are the processes.
 *
 * Flags: --quick (fewer, shorter rounds), --rounds N (fan-out rounds, default
 * 5), --only sat,stall,worker,redis,metrics,guards,wide,flow,crowd,ingest,idle,connect,storm, --batch N (saturation batch, default 64),
 * --client-processes N, --no-pin, --history N (our historyMaxEvents instead
 * of the default), --redis-window N, --node-flags '<flags>' (for the
 * server processes, e.g. --trace-gc), --cpu-prof (CPU profiles of the server
 * processes in bench/results/profiles/).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { summarise } from './figures.js';
import { BenchError, killAllChildren, Peer } from './ipc.js';
import { canPin, clients, cores, share } from './processes.js';
import { runRounds } from './rounds.js';
import { only, out, repo, resultsDir, S } from './settings.js';
import { tables } from './tables.js';
import { metricsCostFigures, metricsCostReport } from './metrics-cost.js';
import { guardCostFigures, guardCostReport } from './guard-cost.js';
import { idleFigures, idleReport } from './idle-report.js';
import { wideFigures, wideReport } from './wide.js';
import { flowReport } from './flow-table.js';
import { assertRedisServerInstalled } from '../test/support/redis-server.js';

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
  clients.push(
    ...Array.from({ length: S.clientProcesses }, (_, i) =>
      Peer.fork(`client ${i + 1}`, './client.js'),
    ),
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
  const summary = summarise(results);
  const { figures, targets } = summary;
  const text = [
    tables(summary),
    metricsCostReport(results.metrics),
    guardCostReport(results.guards),
    results.idle ? idleReport(results.idle) : '',
    wideReport(results.wide),
    flowReport(results.flow),
  ]
    .filter(Boolean)
    .join('\n');
  out(text);

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
        guardCost:
          results.guards.guarded.length > 0
            ? guardCostFigures(results.guards)
            : null,
        idle: results.idle ? idleFigures(results.idle) : null,
        wide: results.wide.ours.length > 0 ? wideFigures(results.wide) : null,
      },
      targets,
      table: text,
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
