/**
 * The bench's processes: a server per round (server.ts), the load client
 * processes (client.ts) that every round shares, and the CPU pinning used
 * while latency is measured.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { Peer } from './ipc.js';
import type { ClientMark, ServerSetup } from './protocol.js';
import { flag, option, S, serverArgv, sleep } from './settings.js';

export type Kind = 'ours' | 'plain';

export interface ServerHandle {
  peer: Peer;
  port: number;
}

export async function startServer(
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

/** The load client processes, started by run.ts before the first round. */
export const clients: Peer[] = [];

/** How many of the 100 clients client process `i` opens. */
export function share(i: number): number {
  const { clients: n, clientProcesses: p } = S;
  return Math.floor(n / p) + (i < n % p ? 1 : 0);
}

export async function connectAll(
  port: number,
  auth?: Record<string, unknown>,
): Promise<void> {
  await Promise.all(
    clients.map((c, i) =>
      c.call({ cmd: 'connect', port, count: share(i), auth }),
    ),
  );
}

export async function closeClients(peers: Peer[] = clients): Promise<void> {
  await Promise.all(peers.map((c) => c.call({ cmd: 'close' })));
}

export function clientMarks(peers: Peer[] = clients): Promise<ClientMark[]> {
  return Promise.all(peers.map((c) => c.call<ClientMark>({ cmd: 'mark' })));
}

/**
 * Waits until `peers` have received `total` events (events + missed), or
 * until their counts have held still for `stillMs`.
 */
export async function settle(
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

export const cores = cpus().length;
export const canPin =
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
export async function pinned<T>(
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
