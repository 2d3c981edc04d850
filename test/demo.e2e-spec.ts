import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { post, receive, record } from './utils.js';

const MAIN = fileURLToPath(new URL('../dist/demo/main.js', import.meta.url));

/** Runs the built demo as `npm start` does, on a free port; resolves with its URL. */
function startDemo(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /live page on (http:\/\/\S+?)\/ /.exec(output);
      if (match) resolve({ child, url: match[1] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(
        new Error(`demo exited with ${code} before listening:\n${output}`),
      ),
    );
  });
}

describe('the demo (npm start), as a real process', () => {
  let child: ChildProcess | undefined;
  let socket: Socket | undefined;

  afterEach(() => {
    socket?.disconnect();
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  });

  it('serves snapshot then worker status events, ingests, and shuts down on SIGTERM', async () => {
    const demo = await startDemo();
    child = demo.child;
    socket = io(demo.url + '/predictions', {
      transports: ['websocket'],
      reconnection: false,
    });
    const received = record(socket);
    // The default activity worker publishes `status` at once and every 2 s.
    const [first, status] = await receive(
      received,
      2,
      (m) => m.name === 'snapshot' || m.name === 'status',
      5000,
    );
    expect(first.name).toBe('snapshot');
    expect(status.name).toBe('status');
    expect(status.event).toMatchObject({
      type: 'status',
      provider: { name: process.platform === 'linux' ? 'proc' : 'ps' },
    });

    const snapshot = await (await fetch(demo.url + '/api/ws/snapshot')).json();
    expect(snapshot.status).toMatchObject({ type: 'status' });

    const event = { type: 'prediction', label: 'Build' };
    expect((await post(demo.url, event)).status).toBe(202);
    const [prediction] = await receive(
      received,
      1,
      (m) => m.name === 'prediction',
    );
    expect(prediction.event).toEqual(event);
    expect(
      (await (await fetch(demo.url + '/api/ws/snapshot')).json()).prediction,
    ).toEqual(event);

    // Graceful shutdown: the client is told, the process ends by itself.
    const disconnected = new Promise((resolve) =>
      socket!.once('disconnect', resolve),
    );
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child!.once('exit', (code, signal) => resolve([code, signal])),
    );
    child.kill('SIGTERM');
    expect(await disconnected).toBe('io server disconnect');
    const [code, signal] = await exited;
    // Nest re-raises the signal once its shutdown hooks have run.
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
  });
});
