import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  eventPacketPrefix,
  eventWireFrame,
  sharedWireFrame,
  wireFrame,
} from './wire.js';

describe('wire frames', () => {
  it('builds Socket.IO event packet prefixes', () => {
    expect(eventPacketPrefix('/predictions')).toBe('2/predictions,');
    expect(eventPacketPrefix('/')).toBe('2');
  });

  it.each([10, 200, 70_000])(
    'a real WebSocket client decodes concatenated frames of %i-char payloads as separate messages',
    async (size) => {
      const texts = ['a', 'é'.repeat(size), 'b'.repeat(size)].map(
        (body) => `2/ns,["t",${JSON.stringify(body)}]`,
      );
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      server.once('connection', (socket) => {
        // One raw write holding three frames, as the gateway batches them.
        const raw = (
          socket as unknown as { _socket: { write(b: Buffer): void } }
        )._socket;
        raw.write(Buffer.concat(texts.map((text) => wireFrame(text).ws)));
      });
      const { port } = server.address() as { port: number };
      const client = new WebSocket(`ws://127.0.0.1:${port}`);
      const received: string[] = [];
      await new Promise<void>((resolve) =>
        client.on('message', (data: RawData) => {
          received.push(data.toString());
          if (received.length === 3) resolve();
        }),
      );
      client.close();
      await new Promise((resolve) => server.close(resolve));
      expect(received).toEqual(texts.map((text) => `4${text}`));
    },
  );

  it.each([10, 200, 70_000])(
    'a shared frame of a %i-char payload has the same bytes, and decodes its text on demand',
    (size) => {
      const text = `2/ns,["snapshot",${JSON.stringify('é'.repeat(size))}]`;
      const shared = sharedWireFrame(text);
      expect(shared.ws.equals(wireFrame(text).ws)).toBe(true);
      expect(shared.text).toBe(text);
    },
  );

  it.each([10, 200, 70_000])(
    'an event frame of a %i-char event is the frame of its packet text',
    (size) => {
      const json = JSON.stringify({ type: 'tick', p: 'é😀'.repeat(size) });
      const text = `2/ns,["tick",${json},{"seq":42}]`;
      const frame = eventWireFrame('2/ns,', 'tick', json, 42);
      expect(frame.ws.equals(wireFrame(text).ws)).toBe(true);
      expect(frame.text).toBe(text);
    },
  );
});
