import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `npm start` as a person or a process manager runs it, in a copy of the
 * project (its build replaces dist/, which the other suites are reading).
 */
describe('npm start', () => {
  let work: string | undefined;
  let npm: ChildProcess | undefined;
  let demoPid: number | undefined;
  let socket: Socket | undefined;

  afterEach(() => {
    socket?.disconnect();
    if (npm && npm.exitCode === null && npm.signalCode === null) {
      npm.kill('SIGKILL');
    }
    if (demoPid && alive(demoPid)) process.kill(demoPid, 'SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('stops the demo when the npm process is killed: its node process ends and the port frees', async () => {
    work = mkdtempSync(join(tmpdir(), 'livebus-start-'));
    for (const entry of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'scripts',
      'src',
      'demo',
      'bench',
    ]) {
      cpSync(join(ROOT, entry), join(work, entry), { recursive: true });
    }
    mkdirSync(join(work, 'test'));
    cpSync(join(ROOT, 'test', 'support'), join(work, 'test', 'support'), {
      recursive: true,
    });
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));

    npm = spawn('npm', ['start'], {
      cwd: work,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk;
        const match = /live page on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
        if (match) resolve(Number(match[1]));
      };
      npm!.stdout!.on('data', onData);
      npm!.stderr!.on('data', onData);
      npm!.once('exit', (code) =>
        reject(
          new Error(`npm start ended (${code}) before listening:\n${output}`),
        ),
      );
    });
    // The demo's node process is npm's child (the script execs it).
    const children = spawnSync(
      'ps',
      ['-o', 'pid=', '--ppid', String(npm.pid)],
      {
        encoding: 'utf8',
      },
    )
      .stdout.trim()
      .split('\n')
      .map(Number);
    demoPid = children.find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(
        'dist/demo/main.js',
      ),
    );
    expect(demoPid).toBeDefined();
    expect(await portOpen(port)).toBe(true);

    socket = io(`http://127.0.0.1:${port}/predictions`, {
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise((resolve) => socket!.once('snapshot', resolve));
    const disconnected = new Promise((resolve) =>
      socket!.once('disconnect', resolve),
    );

    const npmExited = new Promise((resolve) => npm!.once('exit', resolve));
    npm.kill('SIGTERM');
    await npmExited;
    // The demo's shutdown hooks ran: they tell every client it is going.
    expect(await disconnected).toBe('io server disconnect');
    await eventually(() => !alive(demoPid!), 'the demo process to end');
    await eventually(async () => !(await portOpen(port)), 'the port to free');
  }, 90_000);
});
