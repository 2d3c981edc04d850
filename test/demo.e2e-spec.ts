import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { openSse, post, receive, record, until } from './utils.js';

/** Asks `url` every 50 ms until it answers `status`. */
async function answers(url: string, status: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(url)).status !== status) {
    if (Date.now() > deadline)
      throw new Error(`${url} never answered ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const MAIN = fileURLToPath(new URL('../dist/demo/main.js', import.meta.url));

/** Runs the built demo as `npm start` does, on a free port; resolves with its URL. */
function startDemo(
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      NO_COLOR: '1',
      ...env,
    },
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

  it('serves the inspector at /, /metrics, /health and /ready, and drains on SIGTERM: not ready, new sockets refused', async () => {
    const demo = await startDemo({ SHUTDOWN_DRAIN_MS: '1500' });
    child = demo.child;
    const page = await fetch(demo.url + '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('livebus <span>inspector</span>');
    const metrics = await fetch(demo.url + '/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(
      /^livebus_events_published_total \d+$/m,
    );
    expect((await fetch(demo.url + '/health')).status).toBe(200);
    // Ready once the activity worker runs.
    await answers(demo.url + '/ready', 200);

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    // Draining: not ready, and a new socket is refused with its code.
    await answers(demo.url + '/ready', 503, 5000);
    socket = io(demo.url + '/predictions', {
      transports: ['websocket'],
      reconnection: false,
    });
    const [refused] = await new Promise<[Error & { data?: { code: string } }]>(
      (resolve) => socket!.once('connect_error', (error) => resolve([error])),
    );
    expect(refused.data?.code).toBe('server_shutdown');
    await exited;
  });

  it('with AUTH_TOKEN, every entry point requires it: no unauthenticated socket or request gets an event or snapshot byte', async () => {
    const demo = await startDemo({ AUTH_TOKEN: 'secret' });
    child = demo.child;
    const { url } = demo;
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const marker = { type: 'prediction', label: 'only-for-token-holders' };
    const published = await fetch(url + '/api/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('secret') },
      body: JSON.stringify(marker),
    });
    expect(published.status).toBe(202);

    // Socket.IO, on both transports: refused before its stream starts.
    for (const [transport, auth] of [
      ['websocket', {}],
      ['websocket', { token: 'wrong' }],
      ['polling', {}],
      ['polling', { token: 'Secret' }],
    ] as const) {
      const refused = io(url + '/predictions', {
        transports: [transport],
        reconnection: false,
        forceNew: true,
        auth,
      });
      const got: string[] = [];
      refused.onAny((name: string) => got.push(name));
      const [error] = await new Promise<[Error & { data?: { code: string } }]>(
        (resolve) => refused.once('connect_error', (e) => resolve([e])),
      );
      refused.disconnect();
      expect([transport, error.data?.code, got]).toEqual([
        transport,
        'unauthorized',
        [],
      ]);
    }
    socket = io(url + '/predictions', {
      transports: ['websocket'],
      reconnection: false,
      auth: { token: 'secret' },
    });
    const received = record(socket);
    const [snapshot] = await receive(received, 1);
    expect(snapshot.name).toBe('snapshot');
    expect((snapshot.event as Record<string, unknown>).prediction).toEqual(
      marker,
    );

    // HTTP: 401 without the token or with another, and no event in the answer.
    const refusedBodies: string[] = [];
    const expectStatus = async (
      path: string,
      status: number,
      init: RequestInit = {},
    ) => {
      const response = await fetch(url + path, init);
      const body = await response.text();
      if (status !== 200 && status !== 202) refusedBodies.push(body);
      expect([path, response.status]).toEqual([path, status]);
      return body;
    };
    const postMarker = (headers: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(marker),
    });
    await expectStatus('/api/ws/snapshot', 401);
    await expectStatus('/api/ws/snapshot', 401, { headers: bearer('wrong') });
    await expectStatus('/api/ws/snapshot?access_token=secret', 401);
    expect(
      JSON.parse(
        await expectStatus('/api/ws/snapshot', 200, {
          headers: bearer('secret'),
        }),
      ).prediction,
    ).toEqual(marker);
    await expectStatus('/api/events', 401, postMarker({}));
    await expectStatus('/api/events', 401, postMarker(bearer('wrong')));
    await expectStatus('/api/events/stream', 401);
    await expectStatus('/api/events/stream?access_token=wrong', 401);
    await expectStatus('/metrics', 401);
    await expectStatus('/_inspector/stats.json', 401);
    expect(
      await expectStatus('/metrics', 200, { headers: bearer('secret') }),
    ).toMatch(/^livebus_events_published_total \d+$/m);
    for (const body of refusedBodies) {
      expect(body).not.toContain('only-for-token-holders');
      expect(body).not.toContain('"type"');
    }
    // SSE with the header, or with ?access_token= (EventSource sends no header).
    for (const [path, headers] of [
      ['/api/events/stream', bearer('secret')],
      ['/api/events/stream?access_token=secret', {}],
    ] as const) {
      const sse = await openSse(url + path, headers);
      expect(sse.status).toBe(200);
      await until(() => sse.messages.some((m) => m.event === 'snapshot'));
      await sse.close();
    }
    // What carries no events stays open: the page, its files, health.
    await expectStatus('/', 200);
    await expectStatus('/health', 200);
  });
});
