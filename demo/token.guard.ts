import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'socket.io';
import { getLivebusEntry } from '../src/index.js';

const digest = (text: string): Buffer =>
  createHash('sha256').update(text).digest();

/**
 * The demo's guard (`AUTH_TOKEN`): one shared token, from the Socket.IO
 * handshake's `auth.token`, the `Authorization: Bearer` header, or, on the
 * SSE stream only (`EventSource` cannot send headers), `?access_token=`.
 * Compared in constant time: both sides are hashed first, so neither the
 * token's characters nor its length show in the timing.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const token = presented(context);
    if (token === undefined) {
      throw new UnauthorizedException(
        'a token is required: auth: { token } on Socket.IO, Authorization: Bearer on HTTP',
      );
    }
    if (!timingSafeEqual(digest(token), this.expected)) {
      throw new UnauthorizedException('invalid token');
    }
    return true;
  }
}

/** The token a request or a handshake presents, if any. */
function presented(context: ExecutionContext): string | undefined {
  if (context.getType() === 'ws') {
    const token: unknown = context.switchToWs().getClient<Socket>().handshake
      .auth.token;
    return typeof token === 'string' ? token : undefined;
  }
  const request = context.switchToHttp().getRequest<{
    headers: Record<string, string | string[] | undefined>;
    query?: Record<string, unknown>;
  }>();
  const match = /^Bearer (.+)$/i.exec(String(request.headers.authorization));
  if (match) return match[1];
  const query = request.query?.access_token;
  return getLivebusEntry(context) === 'sse' && typeof query === 'string'
    ? query
    : undefined;
}
