import { Inject, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Server, Socket } from 'socket.io';
import type { Envelope } from '../../core/envelope.js';
import type { FrameEncoder, FrameSink } from '../../delivery/client-pump.js';
import {
  parseClientRequest,
  parseTypes,
  type ClientRequest,
} from '../../delivery/client-request.js';
import { awaitResumePoint, ClientSession } from '../../delivery/session.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import { eventPacketPrefix, wireFrame, type WireFrame } from './wire.js';
import {
  GAP_MESSAGE,
  RESUMED_MESSAGE,
  SNAPSHOT_MESSAGE,
  SUBSCRIBE_MESSAGE,
  type Gap,
  type ResumedMeta,
  type SnapshotMeta,
} from '../../protocol/messages.js';

const TEXT_WRITE = { compress: false };

/** The parts of Engine.IO's WebSocket transport the batched write relies on. */
interface EngineTransport {
  name: string;
  perMessageDeflate?: unknown;
  socket?: { _sender?: { sendFrame?: unknown } };
}

/**
 * The Socket.IO gateway on the `namespace` option (default `/predictions`).
 *
 * Every client gets its own bounded subscription, opened on connect and
 * closed on disconnect. It first receives one `snapshot` message (the latest
 * event of each type, with the `seq` and `epoch` it reflects) or, when it
 * resumes, a `resumed` message and the events it missed; then every later
 * event as a Socket.IO event named by its `type`, whose first argument is
 * the event as published and whose second is `{ seq }`. Events move from the
 * queue to the socket only while the client's transport keeps up, so a
 * client that stops reading costs at most its queue; what it lost is told by
 * a `gap` message before the next event.
 */
@WebSocketGateway()
export class PredictionsGateway
  implements OnGatewayInit, BeforeApplicationShutdown
{
  private readonly logger = new Logger('PredictionsGateway');
  private readonly namespaceName: string;
  private readonly encoder: FrameEncoder<WireFrame>;
  private namespace: Namespace | undefined;
  private readonly shutdownGraceMs: number;
  // Engine.IO connections not yet closed, also those closing: shutdown
  // waits for their last packets to leave.
  private readonly connections = new Set<Socket['conn']>();

  constructor(
    private readonly bus: EventBusService,
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
  ) {
    this.namespaceName = options.namespace;
    this.shutdownGraceMs = options.shutdownGraceMs;
    const prefix = eventPacketPrefix(this.namespaceName);
    // One encoder for all clients: each event's frame is cached on it.
    const control = (name: string, args: string): WireFrame =>
      wireFrame(`${prefix}["${name}",${args}]`);
    this.encoder = {
      event: (message: Envelope) =>
        wireFrame(
          `${prefix}[${JSON.stringify(message.type)},${message.json},{"seq":${message.seq}}]`,
        ),
      gap: (gap: Gap) => control(GAP_MESSAGE, JSON.stringify(gap)),
      snapshot: (eventsJson: string, meta: SnapshotMeta) =>
        control(SNAPSHOT_MESSAGE, `${eventsJson},${JSON.stringify(meta)}`),
      resumed: (meta: ResumedMeta) =>
        control(RESUMED_MESSAGE, JSON.stringify(meta)),
    };
  }

  /**
   * @internal Whether Nest mounted this gateway on a Socket.IO server
   * (`afterInit` ran); the module's start-up check reads it.
   */
  get mounted(): boolean {
    return this.namespace !== undefined;
  }

  afterInit(server: Server): void {
    // The namespace comes from runtime options (forRootAsync), so it is
    // attached here rather than through the decorator's static metadata.
    this.namespace = server.of(this.namespaceName);
    this.namespace.use((socket, next) => {
      let request: ClientRequest;
      try {
        request = parseClientRequest(
          socket.handshake.auth,
          socket.handshake.query,
        );
      } catch (error) {
        next(error as Error);
        return;
      }
      socket.data.livebus = request;
      void awaitResumePoint(this.bus, request).then(() => next());
    });
    this.namespace.on('connection', (socket: Socket) => this.connect(socket));
  }

  /**
   * Tells every client the server is going (`io server disconnect`) and
   * waits, at most `shutdownGraceMs`, for that to leave: Nest's `dispose()`,
   * which comes next, closes Engine.IO sockets discarding what they still
   * buffer, a last event in flight and the disconnect packet behind it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const closed = [...this.connections].map(
      (conn) => new Promise((resolve) => conn.once('close', resolve)),
    );
    for (const socket of this.namespace?.sockets.values() ?? []) {
      socket.disconnect(true);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.shutdownGraceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private connect(socket: Socket): void {
    const conn = socket.conn;
    if (!this.connections.has(conn)) {
      this.connections.add(conn);
      conn.once('close', () => this.connections.delete(conn));
    }
    const session = ClientSession.open(
      this.bus,
      socket.data.livebus as ClientRequest,
      { encoder: this.encoder, sink: webSocketAwareSink(conn) },
    );
    if (!session) {
      socket.disconnect(true);
      return;
    }
    socket.on(SUBSCRIBE_MESSAGE, (body: unknown, ack?: unknown) => {
      const reply = typeof ack === 'function' ? ack : undefined;
      let types = session.subscription.types;
      if (typeof body === 'object' && body !== null && 'types' in body) {
        try {
          types = parseTypes(body.types, 'types');
        } catch (error) {
          reply?.({ error: (error as Error).message });
          return;
        }
      }
      session.resync(types, reply && ((seq) => reply({ seq })));
    });
    socket.once('disconnect', () => session.close());
    session.subscription.onClose((reason) => {
      if (reason === 'closed') return;
      if (reason === 'overflow') {
        this.logger.warn(
          `client ${socket.id} disconnected: its queue overflowed (overflow policy 'disconnect')`,
        );
      }
      socket.disconnect(true);
    });
  }
}

/**
 * Writes a batch through Engine.IO and calls back once its transport
 * drained. On a WebSocket all frames go out as one buffer in one socket
 * write, each still its own WebSocket frame (one Socket.IO packet) for the
 * client; other transports get one text packet per frame.
 */
function webSocketAwareSink(conn: Socket['conn']): FrameSink<WireFrame> {
  return {
    write(frames, onFlushed) {
      if (canWritePreEncoded(conn.transport as unknown as EngineTransport)) {
        const batch =
          frames.length === 1
            ? frames[0].ws
            : Buffer.concat(frames.map((frame) => frame.ws));
        conn.write(
          frames[0].text,
          { compress: false, wsPreEncodedFrame: [batch] } as {
            compress: boolean;
          },
          onFlushed,
        );
        return;
      }
      const last = frames.length - 1;
      for (let i = 0; i < last; i++) conn.write(frames[i].text, TEXT_WRITE);
      conn.write(frames[last].text, TEXT_WRITE, onFlushed);
    },
  };
}

/**
 * Engine.IO writes `wsPreEncodedFrame` straight to the TCP socket (the path
 * Socket.IO's own broadcast uses) when the transport is a WebSocket without
 * compression. Mirrors Engine.IO's own check, so the batch is never sent
 * any other way.
 */
function canWritePreEncoded(transport: EngineTransport): boolean {
  return (
    transport.name === 'websocket' &&
    !transport.perMessageDeflate &&
    typeof transport.socket?._sender?.sendFrame === 'function'
  );
}
