import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startApp, until, type TestApp } from './utils.js';

/**
 * A new WebSocket client gets its first bytes in two TCP writes: the HTTP
 * 101 answer with Engine.IO's `open` packet, then Socket.IO's CONNECT
 * packet with the hydration. Each write the server's TCP socket makes (one
 * `_write` or `_writev`, one system call) is recorded as it is made: a
 * reader in this process would see the two writes of one turn as one chunk.
 */
describe('the handshake writes (raw TCP client)', () => {
  let t: TestApp;
  let tcp: Socket | undefined;

  beforeEach(async () => {
    t = await startApp({ worker: false });
  });

  afterEach(async () => {
    tcp?.destroy();
    await t.close();
  });

  /** Records each write `socket` makes, its chunks joined, as latin1 text. */
  function recordWrites(socket: Socket, writes: string[]): void {
    type Chunk = { chunk: Buffer | string };
    const stream = socket as unknown as {
      _write(chunk: Buffer | string, encoding: string, cb: () => void): void;
      _writev(chunks: Chunk[], cb: () => void): void;
    };
    const text = (chunk: Buffer | string) =>
      typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const write = stream._write.bind(socket);
    const writev = stream._writev.bind(socket);
    stream._write = (chunk, encoding, cb) => {
      writes.push(text(chunk));
      write(chunk, encoding, cb);
    };
    stream._writev = (chunks, cb) => {
      writes.push(chunks.map((c) => text(c.chunk)).join(''));
      writev(chunks, cb);
    };
  }

  /** A client frame (text, masked with a zero key: the payload as is). */
  function clientFrame(text: string): Buffer {
    const payload = Buffer.from(text);
    return Buffer.concat([
      Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]),
      payload,
    ]);
  }

  it('sends the 101 answer with the open packet, then CONNECT with the snapshot, each pair in one write', async () => {
    t.bus.publish({ type: 'status', state: 'idle' });
    const { port } = new URL(t.url);
    const chunks: string[] = [];
    const server = t.app.getHttpServer() as Server;
    server.prependOnceListener('connection', (socket: Socket) => {
      recordWrites(socket, chunks);
    });
    tcp = connect(Number(port), '127.0.0.1');
    tcp.write(
      [
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    );
    await until(() => chunks.length > 0, 5000, 'the 101 answer');
    expect(chunks[0]).toMatch(/^HTTP\/1\.1 101 /);
    expect(chunks[0]).toContain('0{"sid":');

    tcp.write(clientFrame('40/predictions,'));
    await until(() => chunks.length > 1, 5000, 'the CONNECT packet');
    expect(chunks[1]).toContain('40/predictions,{"sid":');
    expect(chunks[1]).toContain('42/predictions,["snapshot",');
    expect(chunks[1]).toContain('"state":"idle"');
  });
});
