import {
  Catch,
  Injectable,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
} from '@nestjs/common/constants.js';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { WsException } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { tap } from 'rxjs/operators';
import type { Socket as ServerSocket } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import {
  EventBusModule,
  EventBusService,
  PredictionsGateway,
  type EventBusModuleOptions,
} from '../src/index.js';
import { once, receive, record, until } from './utils.js';

// `subscribe` is a Nest message handler: what an app applies to its
// gateways (guards, interceptors, pipes, filters) runs for it too.

/** What the app's enhancers saw, in order. */
const seen: {
  by: string;
  pattern?: string;
  data?: unknown;
  answer?: unknown;
}[] = [];

/**
 * Lets only sockets whose handshake says `mayResubscribe` send `subscribe`.
 * A global guard is asked at the handshake too (pattern `connection`): it
 * admits every connection.
 */
@Injectable()
class ResubscribeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'ws') return true;
    const ws = context.switchToWs();
    if (ws.getPattern() !== 'subscribe') return true;
    seen.push({ by: 'guard', pattern: ws.getPattern(), data: ws.getData() });
    const client = ws.getClient<ServerSocket>();
    return client.handshake.auth.mayResubscribe === true;
  }
}

@Injectable()
class RecordingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ws = context.switchToWs();
    const pattern = ws.getPattern();
    return next
      .handle()
      .pipe(tap((answer) => seen.push({ by: 'interceptor', pattern, answer })));
  }
}

class RecordingPipe implements PipeTransform {
  transform(value: unknown): unknown {
    seen.push({ by: 'pipe', data: value });
    return value;
  }
}

/** The app's own answer to a refused message: a `refused` event. */
@Catch(WsException)
class RefusalFilter implements ExceptionFilter {
  catch(exception: WsException, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    ws.getClient<ServerSocket>().emit('refused', {
      pattern: ws.getPattern(),
      message: exception.message,
    });
  }
}

interface PipelineApp {
  app: INestApplication;
  bus: EventBusService;
  connect(auth?: Record<string, unknown>, namespace?: string): Socket;
  close(): Promise<void>;
}

async function startPipelineApp(
  options: EventBusModuleOptions = {},
  appProviders: { provide: string; useClass: unknown }[] = [],
  configure: (app: INestApplication) => void = () => undefined,
): Promise<PipelineApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [EventBusModule.forRoot({ worker: false, ...options })],
    providers: appProviders as never[],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  configure(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const sockets: Socket[] = [];
  return {
    app,
    bus: app.get(EventBusService),
    connect(auth = {}, namespace = '/predictions') {
      const socket = io(url + namespace, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth,
      });
      sockets.push(socket);
      return socket;
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await app.close();
    },
  };
}

beforeEach(() => {
  seen.length = 0;
});

describe('subscribe through Nest’s pipeline', () => {
  let t: PipelineApp;
  afterEach(() => t.close());

  it('obeys an app guard (APP_GUARD) that refuses subscribe: no re-hydration, the filter unchanged', async () => {
    t = await startPipelineApp({}, [
      { provide: APP_GUARD, useClass: ResubscribeGuard },
    ]);
    await t.bus.publish({ type: 'a', n: 1 });
    const refused = t.connect();
    const allowed = t.connect({ mayResubscribe: true });
    const [onRefused, onAllowed] = [record(refused), record(allowed)];
    await receive(onRefused, 1);
    await receive(onAllowed, 1);
    // Nest's default answer to a guard's refusal is an `exception` event.
    const exception = once<[{ status: string; message: string }]>(
      refused,
      'exception',
    );
    refused.emit('subscribe', { types: ['b'] }, () => {
      throw new Error('a refused subscribe must not be acknowledged');
    });
    expect((await exception)[0]).toMatchObject({
      status: 'error',
      message: 'Forbidden resource',
    });
    expect(await allowed.emitWithAck('subscribe', { types: ['b'] })).toEqual({
      seq: 1,
    });
    await t.bus.publish({ type: 'a', n: 2 });
    await t.bus.publish({ type: 'b', n: 3 });
    // Still on every type, and never re-hydrated.
    const events = (m: { name: string }) => m.name !== 'exception';
    const refusedGot = await receive(onRefused, 3, events);
    expect(refusedGot.map((m) => [m.name, m.meta.seq])).toEqual([
      ['snapshot', 1],
      ['a', 2],
      ['b', 3],
    ]);
    // The allowed one was re-hydrated on `b` only.
    const allowedGot = await receive(onAllowed, 3, events);
    expect(allowedGot.map((m) => m.name)).toEqual([
      'snapshot',
      'snapshot',
      'b',
    ]);
    expect(allowedGot[1].meta).toMatchObject({ reset: true, types: ['b'] });
    expect(seen.filter((s) => s.by === 'guard')).toEqual([
      { by: 'guard', pattern: 'subscribe', data: { types: ['b'] } },
      { by: 'guard', pattern: 'subscribe', data: { types: ['b'] } },
    ]);
  });

  it('runs the app’s interceptor and pipe for subscribe; the interceptor sees the answer', async () => {
    t = await startPipelineApp(
      {},
      [{ provide: APP_INTERCEPTOR, useClass: RecordingInterceptor }],
      (app) => app.useGlobalPipes(new RecordingPipe()),
    );
    await t.bus.publish({ type: 'a', n: 1 });
    const socket = t.connect();
    await once(socket, 'snapshot');
    expect(await socket.emitWithAck('subscribe', { types: ['a'] })).toEqual({
      seq: 1,
    });
    expect(await socket.emitWithAck('subscribe', { types: 'a,,' })).toEqual({
      error:
        'types: must be an array of non-empty type names (or a comma-separated string)',
      code: 'bad_request',
    });
    expect(seen).toContainEqual({ by: 'pipe', data: { types: ['a'] } });
    expect(seen.filter((s) => s.by === 'interceptor')).toEqual([
      { by: 'interceptor', pattern: 'subscribe', answer: { seq: 1 } },
      {
        by: 'interceptor',
        pattern: 'subscribe',
        answer: {
          error:
            'types: must be an array of non-empty type names (or a comma-separated string)',
          code: 'bad_request',
        },
      },
    ]);
  });
});

describe('a guard and a filter on the gateway class', () => {
  let t: PipelineApp;
  beforeAll(() => {
    // What `@UseGuards(...)` / `@UseFilters(...)` on the class do (Nest
    // applies WebSocket filters from the gateway, not from
    // useGlobalFilters); this file's module registry is its own, so no
    // other test file sees them.
    UseGuards(ResubscribeGuard)(PredictionsGateway);
    UseFilters(new RefusalFilter())(PredictionsGateway);
  });
  afterAll(() => {
    Reflect.deleteMetadata(GUARDS_METADATA, PredictionsGateway);
    Reflect.deleteMetadata(EXCEPTION_FILTERS_METADATA, PredictionsGateway);
  });
  afterEach(() => t.close());

  it('reach subscribe on the gateway the module registered, on its namespace', async () => {
    t = await startPipelineApp({ namespace: '/live' });
    const socket = t.connect({}, '/live');
    await once(socket, 'snapshot');
    const refused = once<[unknown]>(socket, 'refused');
    socket.emit('subscribe', {});
    expect((await refused)[0]).toEqual({
      pattern: 'subscribe',
      message: 'Forbidden resource',
    });
    expect(seen).toEqual([{ by: 'guard', pattern: 'subscribe', data: {} }]);
  });
});

describe('the namespace of each registration', () => {
  it('binds two apps in one process to their own namespaces', async () => {
    const a = await startPipelineApp({ namespace: '/a' });
    const b = await startPipelineApp({ namespace: '/b' });
    try {
      const onA = a.connect({}, '/a');
      const onB = b.connect({}, '/b');
      await Promise.all([once(onA, 'snapshot'), once(onB, 'snapshot')]);
      const wrong = a.connect({}, '/b');
      const [error] = await once<[Error]>(wrong, 'connect_error');
      expect(error.message).toBe('Invalid namespace');
      expect(await onB.emitWithAck('subscribe', {})).toEqual({ seq: 0 });
      expect(a.app.get(PredictionsGateway)).toBeInstanceOf(PredictionsGateway);
      await until(() => a.bus.stats().subscribers === 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
