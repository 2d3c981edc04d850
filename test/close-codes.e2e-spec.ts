import { LivebusClient } from '../src/client/index.js';
import {
  CLOSE_MESSAGE,
  EventBusService,
  LivebusDrain,
  type CloseNotice,
} from '../src/index.js';
import { openSse, startApp, until, type TestApp } from './utils.js';

describe('close codes: told to the client, acted on by LivebusClient', () => {
  const apps: TestApp[] = [];
  const clients: LivebusClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const app of apps.splice(0)) await app.close();
  });
  const start = async (): Promise<TestApp> => {
    const app = await startApp({ worker: false });
    apps.push(app);
    return app;
  };
  const client = (url: string, types?: string[]): LivebusClient => {
    const c = new LivebusClient(url, {
      types,
      socket: {
        transports: ['websocket'],
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
      },
    });
    clients.push(c);
    return c;
  };

  it('on shutdown: Socket.IO clients get server_shutdown before the disconnect, SSE streams a livebus:close event', async () => {
    const app = await start();
    const c = client(app.url);
    const notices: CloseNotice[] = [];
    c.onClose((notice) => notices.push(notice));
    await until(() => c.epoch !== null, 5000, 'hydrated');
    const sse = await openSse(app.url + '/api/events/stream');
    await until(() => sse.messages.some((m) => m.event === 'snapshot'));

    apps.splice(apps.indexOf(app), 1);
    await app.close();
    await until(() => c.connection === 'reconnecting', 5000, 'reconnecting');
    expect(notices.map((n) => n.code)).toEqual(['server_shutdown']);
    expect(c.closeNotice?.code).toBe('server_shutdown');
    const close = sse.messages.find((m) => m.event === CLOSE_MESSAGE);
    expect(JSON.parse(close!.data!)).toMatchObject({ code: 'server_shutdown' });
    await sse.close();
  });

  it('gives up where the code says not to come back as is (bad_request)', async () => {
    const app = await start();
    const c = client(app.url, ['']);
    await until(() => c.connection === 'closed', 5000, 'closed');
    expect(c.closeNotice?.code).toBe('bad_request');
    expect(c.closeNotice?.message).toMatch(/types/);
  });

  it('retries where the code says to (a draining server refuses with server_shutdown)', async () => {
    const app = await start();
    app.app.get(LivebusDrain).start();
    const c = client(app.url);
    let refusals = 0;
    c.socket.on('connect_error', () => refusals++);
    await until(() => refusals >= 3, 5000, 'three attempts');
    expect(c.connection).toBe('reconnecting');
    expect(c.closeNotice?.code).toBe('server_shutdown');
    // Existing clients of a draining node are still served.
    expect(app.app.get(EventBusService).isClosed).toBe(false);
  });
});
