import type { Socket } from 'socket.io-client';
import {
  SUBSCRIBE_MESSAGE,
  type SubscribeAck,
  type SubscribeRequest,
} from '../protocol/messages.js';

/**
 * Asks the server for a fresh snapshot (a `subscribe` with the filter of
 * the moment). Refused for the server's subscribe rate, it is asked again
 * when the server says, or the state would stay stale.
 */
export class ResyncRequests {
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly types: () => readonly string[] | null,
    private readonly closed: () => boolean,
  ) {}

  /** `again` asks anew (after a refusal for the rate). */
  request(again: () => void): void {
    this.cancel();
    const request: SubscribeRequest = { types: this.types() };
    this.socket.emit(SUBSCRIBE_MESSAGE, request, (ack: SubscribeAck) => {
      if (!('code' in ack) || ack.code !== 'rate_limited') return;
      if (this.closed()) return;
      this.cancel();
      this.retry = setTimeout(() => {
        this.retry = null;
        if (!this.closed()) again();
      }, ack.retryAfterMs ?? 1000);
    });
  }

  cancel(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }
}
