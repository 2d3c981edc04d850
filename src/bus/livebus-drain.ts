import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/**
 * Whether this node is draining: leaving a rolling deploy. From the start of
 * shutdown (`onModuleDestroy`, the first hook Nest runs), or from an earlier
 * {@link start} (a preStop hook, a SIGTERM handler), readiness answers "not
 * ready" and the gateway refuses new connections with `server_shutdown`,
 * while the clients already connected are served until they are told to go.
 */
@Injectable()
export class LivebusDrain implements OnModuleDestroy {
  private readonly logger = new Logger('LivebusDrain');
  private since: number | null = null;

  /** Whether draining began. */
  get draining(): boolean {
    return this.since !== null;
  }

  /** When draining began (ms since the epoch), or `null`. */
  get startedAt(): number | null {
    return this.since;
  }

  /** Begins draining (idempotent): readiness fails from now on. */
  start(): void {
    if (this.since !== null) return;
    this.since = Date.now();
    this.logger.log('draining: readiness is down, new connections are refused');
  }

  onModuleDestroy(): void {
    this.start();
  }
}
