import { MessageChannel } from 'node:worker_threads';
import { WorkerWatchdog, type WatchdogTrip } from './worker-watchdog.js';

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

function watch(times: {
  heartbeatIntervalMs: number;
  hangTimeoutMs: number;
  startTimeoutMs: number;
}) {
  const trips: string[] = [];
  const trip: WatchdogTrip = (reason) => trips.push(reason);
  return { watchdog: new WorkerWatchdog(times, trip), trips };
}

describe('WorkerWatchdog', () => {
  const times = {
    heartbeatIntervalMs: 20,
    hangTimeoutMs: 100,
    startTimeoutMs: 100,
  };

  it('trips start_timeout when nothing arrived in time, once', async () => {
    const { watchdog, trips } = watch(times);
    watchdog.spawned();
    // Heartbeats alone are not a start.
    watchdog.beat();
    await sleep(250);
    expect(trips).toEqual(['start_timeout']);
    watchdog.stop();
  });

  it('trips hung when heartbeats stop after the start, and not while they come', async () => {
    const { watchdog, trips } = watch(times);
    watchdog.spawned();
    watchdog.message();
    const beating = setInterval(() => watchdog.beat(), 20);
    await sleep(300);
    expect(trips).toEqual([]);
    clearInterval(beating);
    await sleep(250);
    expect(trips).toEqual(['hung']);
    watchdog.stop();
  });

  it('never trips hung for a worker that sent no heartbeat (no helper), nor after stop', async () => {
    const quiet = watch(times);
    quiet.watchdog.spawned();
    quiet.watchdog.message();
    const stopped = watch(times);
    stopped.watchdog.spawned();
    stopped.watchdog.beat();
    stopped.watchdog.stop();
    await sleep(300);
    expect([quiet.trips, stopped.trips]).toEqual([[], []]);
    quiet.watchdog.stop();
  });

  it('reads the messages waiting in the port before its verdict: a blocked parent does not condemn a healthy worker', async () => {
    const { watchdog, trips } = watch(times);
    const { port1, port2 } = new MessageChannel();
    port2.on('message', (kind: string) =>
      kind === 'ready' ? watchdog.message() : watchdog.beat(),
    );
    try {
      watchdog.spawned();
      port1.postMessage('ready');
      port1.postMessage('beat');
      await sleep(50);
      // The worker's heartbeat waits in the port while this thread is
      // blocked for longer than the hang timeout.
      port1.postMessage('beat');
      const until = Date.now() + 250;
      while (Date.now() < until);
      await sleep(30);
      expect(trips).toEqual([]);
    } finally {
      watchdog.stop();
      port1.close();
    }
  });
});
