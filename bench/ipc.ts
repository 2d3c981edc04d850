/**
 * A small request/reply layer over the child_process IPC channel (advanced
 * serialization, so typed arrays travel as they are). The orchestrator calls
 * a child; the child answers each call and may also send unsolicited events.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Request {
  readonly id: number;
  readonly body: unknown;
}
interface Reply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}
interface Notice {
  readonly event: string;
  readonly data: unknown;
}

/** Every child the bench started: killed on exit, error or SIGINT. */
/** A failure whose message says it all (printed without a stack trace). */
export class BenchError extends Error {}

const children = new Set<ChildProcess>();

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Kills every child still running (SIGKILL: a bench child holds no state worth saving). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
  children.clear();
}

/** The orchestrator's handle on one forked bench process. */
export class Peer {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly listeners = new Map<string, (data: unknown) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    trackChild(child);
    // Failures reach the caller through `call` (and the exit below).
    child.on('error', () => undefined);
    child.on('message', (message: Reply | Notice) => {
      if ('event' in message) {
        this.listeners.get(message.event)?.(message.data);
        return;
      }
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) {
        call.reject(new Error(`${this.name}: ${message.error}`));
      } else {
        call.resolve(message.result);
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        for (const call of this.pending.values()) {
          call.reject(
            new Error(
              `${this.name} exited (${signal ?? `code ${code}`}) before answering`,
            ),
          );
        }
        this.pending.clear();
        resolve();
      });
    });
  }

  /** Forks `script` (a file beside this one in dist/bench). */
  static fork(
    name: string,
    script: string,
    args: string[] = [],
    execArgv: string[] = [],
  ): Peer {
    const path = fileURLToPath(new URL(script, import.meta.url));
    const child = fork(path, args, {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Peer(name, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  call<T>(body: unknown, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    if (!this.child.connected) {
      return Promise.reject(new Error(`${this.name} is gone`));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const request: Request = { id, body };
      this.child.send(request);
    });
  }

  /** Sends without waiting for an answer (the child answers anyway). */
  post(body: unknown): void {
    const request: Request = { id: 0, body };
    if (this.child.connected) this.child.send(request);
  }

  on(event: string, listener: (data: unknown) => void): void {
    this.listeners.set(event, listener);
  }

  /** Asks the child to exit, and kills it if it has not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.call({ cmd: 'exit' }, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The child side: answers every request with `handler`'s result, and exits
 * when the orchestrator goes away.
 */
export function serve(handler: (body: unknown) => unknown): void {
  if (!process.send) {
    throw new Error(
      'This bench process is started by dist/bench/run.js (npm run bench)',
    );
  }
  process.on('disconnect', () => process.exit(1));
  process.on('message', (message: Request) => {
    void (async () => {
      let reply: Reply;
      try {
        reply = { id: message.id, result: await handler(message.body) };
      } catch (error) {
        reply = {
          id: message.id,
          error: (error as Error).stack ?? String(error),
        };
      }
      if (message.id !== 0 || reply.error !== undefined) send(reply);
    })();
  });
}

/** Sends an unsolicited event to the orchestrator. */
export function notify(event: string, data: unknown): void {
  const notice: Notice = { event, data };
  send(notice);
}

function send(message: Reply | Notice): void {
  if (process.connected) process.send!(message);
}
