import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { once, post } from './utils.js';

const APP = fileURLToPath(
  new URL('../dist/test/support/throttler-app.js', import.meta.url),
);

/**
 * Runs an app with `@nestjs/throttler`'s guard (`APP_GUARD`) beside the
 * module's limits, as its own process (see the app's file for why).
 */
function startThrottled(settings: {
  throttle: { ttl: number; limit: number };
  requestsPerSecond: number;
}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [APP, JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`app exited with ${code}:\n${output}`)),
    );
  });
}

describe('beside @nestjs/throttler', () => {
  let child: ChildProcess | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.disconnect();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the throttler answers first when it is the stricter: its 429, its Retry-After', async () => {
    const app = await startThrottled({
      throttle: { ttl: 60_000, limit: 3 },
      requestsPerSecond: 50,
    });
    child = app.child;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(app.url + '/api/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'x' }),
      });
      statuses.push(last.status);
      await last.text();
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('the module answers when it is the stricter: rate_limited with retryAfterMs; subscribe passes the throttler too', async () => {
    const app = await startThrottled({
      throttle: { ttl: 60_000, limit: 1000 },
      requestsPerSecond: 1,
    });
    child = app.child;
    const statuses: number[] = [];
    let limited: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) {
      const response = await post(app.url, { type: 'x' });
      statuses.push(response.status);
      if (response.status === 429) limited = response.body;
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(limited).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: expect.any(Number),
    });
    socket = io(app.url + '/predictions', {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    await once(socket, 'snapshot');
    expect(await socket.emitWithAck('subscribe', {})).toEqual({
      seq: expect.any(Number),
    });
  });
});
