import { Fetch, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { LivebusStatsService } from '../src/index.js';
import { demoModule } from '../demo/demo-app.js';
import { once, startApp, type TestApp } from './utils.js';
import { Test } from '@nestjs/testing';

/** How a socket's connection attempt ended: connected, or refused with an error. */
function outcome(socket: Socket): Promise<'connected' | Error> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error));
  });
}

/** A response's headers as a plain object. */
function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return headers;
}

/** A raw Engine.IO long-polling handshake with `origin`. */
async function pollingHandshake(
  url: string,
  origin?: string,
): Promise<Response> {
  return fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
    headers: origin ? { origin } : {},
  });
}

/** A raw WebSocket upgrade with `origin`: its HTTP status when refused, or 101. */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  const ws = new WebSocket(
    `${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`,
    origin ? { origin } : {},
  );
  return new Promise((resolve, reject) => {
    ws.once('upgrade', (response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => {
        expect(body).toMatch(/^origin_not_allowed: /);
        resolve(response.statusCode ?? 0);
      });
    });
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe('origins: the defaults (same-origin pages and non-browser clients)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(() => t.close());

  it('refuses another origin on a WebSocket and on long-polling, and says why', async () => {
    const evil = 'https://evil.example';
    const ws = t.connect('/predictions', {
      transports: ['websocket'],
      extraHeaders: { origin: evil },
    });
    expect(await outcome(ws)).toBeInstanceOf(Error);
    const polling = t.connect('/predictions', {
      transports: [Fetch],
      extraHeaders: { origin: evil },
    });
    const refused = await outcome(polling);
    expect(refused).toBeInstanceOf(Error);

    const handshake = await pollingHandshake(t.url, evil);
    expect(handshake.status).toBe(403);
    expect(handshake.headers.get('access-control-allow-origin')).toBeNull();
    expect((await handshake.json()).message).toMatch(
      /^origin_not_allowed: origin "https:\/\/evil\.example" is not allowed/,
    );
    expect(await upgradeStatus(t.url, evil)).toBe(400);

    const stats = (await t.app.get(LivebusStatsService).sample()).origins;
    expect(stats.socketio).toBeGreaterThanOrEqual(4);
  });

  it('lets a client without an Origin, and a page of this same host, connect on both transports', async () => {
    const plain = t.connect();
    expect(await outcome(plain)).toBe('connected');
    const self = t.url; // http://127.0.0.1:<port>
    const ws = t.connect('/predictions', {
      transports: ['websocket'],
      extraHeaders: { origin: self },
    });
    expect(await outcome(ws)).toBe('connected');
    const polling = t.connect('/predictions', {
      transports: [Fetch],
      extraHeaders: { origin: self },
    });
    expect(await outcome(polling)).toBe('connected');
    await once(polling, 'snapshot');
    expect(await upgradeStatus(t.url, self)).toBe(101);
  });

  it('answers the HTTP routes 403 origin_not_allowed for another origin, and serves the same host', async () => {
    for (const path of ['/api/ws/snapshot', '/api/events/stream']) {
      const response = await fetch(t.url + path, {
        headers: { origin: 'https://evil.example' },
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({
        code: 'origin_not_allowed',
      });
    }
    const ingest = await fetch(t.url + '/api/events', {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ type: 'x' }),
    });
    expect(ingest.status).toBe(403);
    expect(t.bus.lastSeq).toBe(0);
    const same = await fetch(t.url + '/api/ws/snapshot', {
      headers: { origin: t.url },
    });
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
    const stats = (await t.app.get(LivebusStatsService).sample()).origins;
    expect(stats.http).toBe(3);
  });
});

describe('origins: an allowlist', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startApp({
      origins: ['https://a.example', /^https:\/\/.*\.b\.example$/],
    });
  });
  afterEach(() => t.close());

  it('admits a listed origin on both transports, with CORS for long-polling, and refuses the rest', async () => {
    const ws = t.connect('/predictions', {
      transports: ['websocket'],
      extraHeaders: { origin: 'https://a.example' },
    });
    expect(await outcome(ws)).toBe('connected');
    const polling = t.connect('/predictions', {
      transports: [Fetch],
      extraHeaders: { origin: 'https://x.b.example' },
    });
    expect(await outcome(polling)).toBe('connected');
    const handshake = await pollingHandshake(t.url, 'https://a.example');
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('access-control-allow-origin')).toBe(
      'https://a.example',
    );
    expect(handshake.headers.get('vary')).toMatch(/Origin/);
    const other = t.connect('/predictions', {
      transports: ['websocket'],
      extraHeaders: { origin: 'https://c.example' },
    });
    expect(await outcome(other)).toBeInstanceOf(Error);
  });

  it('answers the CORS preflight of the HTTP routes and of long-polling', async () => {
    const preflight = await fetch(t.url + '/api/events', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://a.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(headersOf(preflight)).toMatchObject({
      'access-control-allow-origin': 'https://a.example',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'content-type,authorization',
      'access-control-max-age': '600',
    });
    const pollingPreflight = await fetch(
      `${t.url}/socket.io/?EIO=4&transport=polling`,
      {
        method: 'OPTIONS',
        headers: {
          origin: 'https://a.example',
          'access-control-request-method': 'POST',
        },
      },
    );
    expect(pollingPreflight.status).toBe(204);
    expect(pollingPreflight.headers.get('access-control-allow-origin')).toBe(
      'https://a.example',
    );
    const refused = await fetch(t.url + '/api/events', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://c.example',
        'access-control-request-method': 'POST',
      },
    });
    expect(refused.status).toBe(403);

    const post = await fetch(t.url + '/api/events', {
      method: 'POST',
      headers: {
        origin: 'https://a.example',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ type: 'prediction' }),
    });
    expect(post.status).toBe(202);
    expect(post.headers.get('access-control-allow-origin')).toBe(
      'https://a.example',
    );
    expect(post.headers.get('access-control-expose-headers')).toMatch(
      /Retry-After/,
    );
  });
});

describe("origins: '*' opens it", () => {
  it('admits any origin', async () => {
    const t = await startApp({ origins: '*' });
    try {
      const ws = t.connect('/predictions', {
        transports: ['websocket'],
        extraHeaders: { origin: 'https://anyone.example' },
      });
      expect(await outcome(ws)).toBe('connected');
    } finally {
      await t.close();
    }
  });
});

describe('the demo: ALLOWED_ORIGINS', () => {
  it('restricts the origins to the listed ones', async () => {
    process.env.ALLOWED_ORIGINS = 'https://a.example, https://b.example';
    let module;
    try {
      module = demoModule({ worker: false });
    } finally {
      delete process.env.ALLOWED_ORIGINS;
    }
    const moduleRef = await Test.createTestingModule({
      imports: [module],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    try {
      for (const [origin, status] of [
        ['https://b.example', 200],
        ['https://c.example', 403],
      ] as const) {
        expect((await pollingHandshake(url, origin)).status).toBe(status);
      }
      expect(await upgradeStatus(url, 'https://a.example')).toBe(101);
    } finally {
      await app.close();
    }
  });
});
