import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, on a free port of 127.0.0.1, in front of a
 * server: it can cut the network path (nothing passes either way, nothing
 * is closed: a partition, as a dead switch would make it), heal it (what
 * was held goes through, as TCP would retransmit it), and point new
 * connections at another server (a failover behind a fixed address).
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private cut = false;
  // What was sent while the path was cut, in order, to go through on heal.
  private held: [Socket, Buffer][] = [];
  // Upstream connections whose client left while the path was cut: ended
  // once what the client had sent went through, as TCP would do.
  private ending: Socket[] = [];

  private constructor(
    private readonly server: Server,
    private target: number,
  ) {}

  static async start(target: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Cuts the path: bytes stop both ways (held, not lost), connections stay open. */
  cutNetwork(): void {
    this.cut = true;
  }

  /** Heals the path: what was held goes through. */
  healNetwork(): void {
    this.cut = false;
    const held = this.held;
    this.held = [];
    for (const [socket, chunk] of held) {
      if (!socket.destroyed) socket.write(chunk);
    }
    for (const socket of this.ending.splice(0)) socket.end();
  }

  /** New connections go to `port`; the open ones are closed (their server is gone). */
  retarget(port: number): void {
    this.target = port;
    this.closeConnections();
  }

  closeConnections(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    this.held = [];
    for (const socket of this.ending.splice(0)) socket.destroy();
  }

  async close(): Promise<void> {
    this.closeConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    const clientGone = () => {
      this.pairs.delete(pair);
      if (this.cut) this.ending.push(upstream);
      else upstream.end();
    };
    const upstreamGone = () => {
      this.pairs.delete(pair);
      client.destroy();
    };
    client.on('error', clientGone).on('close', clientGone);
    upstream.on('error', upstreamGone).on('close', upstreamGone);
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (this.cut) this.held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
  }
}
