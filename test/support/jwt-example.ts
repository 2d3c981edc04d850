// The README's "Security" JWT example, verbatim but for the import path of
// the package (here the source).
import {
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { JwtModule, JwtService } from '@nestjs/jwt';
import type { Socket } from 'socket.io';
import { EventBusModule } from '../../src/index.js';

/** What the app's tokens carry. */
interface AppToken {
  sub: string;
  roles: string[];
  exp: number; // seconds since the epoch (set by JwtService's expiresIn)
}

/** The principal: where Passport would leave it, `user`. */
export interface AppUser {
  id: string;
  roles: string[];
  expiresAt: number; // ms: the bus asks the client for a new token before
}

/** The app's JWT guard, the same on its controllers, its gateways and the bus. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ws = context.getType() === 'ws';
    const socket = ws ? context.switchToWs().getClient<Socket>() : null;
    const request = ws ? null : context.switchToHttp().getRequest();
    const token: unknown = socket
      ? socket.handshake.auth.token
      : /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (typeof token !== 'string') {
      throw new UnauthorizedException('a token is required');
    }
    let payload: AppToken;
    try {
      payload = await this.jwt.verifyAsync<AppToken>(token);
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
    const user: AppUser = {
      id: payload.sub,
      roles: payload.roles,
      expiresAt: payload.exp * 1000,
    };
    if (socket) socket.data.user = user;
    else request.user = user;
    return true;
  }
}

@Module({
  imports: [
    JwtModule.register({
      global: true,
      secret: process.env.JWT_SECRET,
      signOptions: { expiresIn: '15m' },
    }),
    EventBusModule.forRoot({
      ingest: true, // POST /api/events, off unless asked for
      auth: {
        guards: [JwtAuthGuard],
        // `public.*` for everyone, the rest for operators.
        canRead: (user: AppUser, type: string) =>
          type.startsWith('public.') || user.roles.includes('ops'),
        canPublish: (user: AppUser) => user.roles.includes('publisher'),
      },
    }),
  ],
})
export class AppModule {}
