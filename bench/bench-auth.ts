/**
 * The `auth` of the guarded bench server (`--only guards`): what an app
 * with access control runs on every connection (a guard reading the
 * handshake's token, `authenticate` returning a principal) and per type
 * (`canRead`, whose answers each connection keeps). The bench clients send
 * `BENCH_AUTH` in their handshake.
 */
import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { LivebusAuthOptions } from '../src/index.js';

/** What the bench clients send in their handshake. */
export const BENCH_AUTH = { token: 'bench-token' };

@Injectable()
class BenchTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const socket = context.switchToWs().getClient<Socket>();
    return socket.handshake.auth.token === BENCH_AUTH.token;
  }
}

export function benchAuth(): LivebusAuthOptions {
  return {
    guards: [new BenchTokenGuard()],
    authenticate: () => ({ name: 'bench', expiresAt: Date.now() + 3600_000 }),
    canRead: (_principal: unknown, type: string) => !type.startsWith('secret'),
  };
}
