/**
 * The package as users get it: `npm pack`, installed offline (from the lock
 * files under test/consumers and the npm cache that `npm test`'s set-up
 * warms) into throwaway apps, built with their own `tsc`, started as
 * processes. The server apps are the README's quick start on top of
 * `nest new`'s files: ESM on Nest 12 (its default), CommonJS on Nest 12
 * (`nest new --type cjs`'s tsconfig) and CommonJS on Nest 11 (the older
 * `module: commonjs` tsconfig). A client-only app installs the package
 * without Nest and runs the README's client example.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { CHROMIUM_ARGS, chromiumPath } from './support/chromium.js';
import { readmeSnippets, snippet } from './support/readme.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'consumers');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SERVER_FILES = [
  'src/app.module.ts',
  'src/clock.ts',
  'src/main.ts',
  'public/index.html',
];
// What `nest new` installs; the README's install line adds the rest.
const NEST_NEW_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'reflect-metadata',
  'rxjs',
];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

const children = new Set<ChildProcess>();

/** Runs a command to its end; rejects, with everything it printed, unless it succeeds. */
function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        NO_COLOR: '1',
        npm_config_update_notifier: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    // 'close': the process has ended and its output has all been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} (in ${cwd}) ended with ${code ?? signal}:\n${output}`,
          ),
        );
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A started app: its URL, its process, and what it printed so far. */
interface App {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<Run>;
}

/** Starts `node <main>` in `dir` on a free port; resolves once it serves HTTP. */
async function startApp(dir: string, main = 'dist/main.js'): Promise<App> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<Run>((resolve) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, output });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const { code, signal } = await exited;
      throw new Error(
        `the app in ${dir} exited (${code ?? signal}) before serving:\n${output}`,
      );
    }
    const ok = await fetch(url + '/api/ws/snapshot').then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { url, child, output: () => output, exited };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the app in ${dir} did not serve within 30 s:\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM, as a process manager stops it; it must end by itself. */
async function stopApp(app: App): Promise<void> {
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
  const { code, signal } = await app.exited;
  clearTimeout(timer);
  // Nest re-raises the signal once its shutdown hooks have run.
  expect({ code, signal, output: app.output().slice(-2000) }).toEqual(
    expect.objectContaining(code === 0 ? { code: 0 } : { signal: 'SIGTERM' }),
  );
}

/** The next `type` event on the app's namespace, from a plain socket.io-client. */
async function nextEvent(
  url: string,
  type: string,
): Promise<[Record<string, unknown>, { seq: number }]> {
  const socket: Socket = io(url + '/predictions', {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${type} event from ${url} within 10 s`)),
        10_000,
      );
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once(type, (event, meta) => {
        clearTimeout(timer);
        resolve([event, meta]);
      });
    });
  } finally {
    socket.disconnect();
  }
}

/** The activity worker, asked for, runs from the installed package: its first `status` event reaches a client; no ingest route unless asked. */
async function checkDefaults(dir: string): Promise<void> {
  const app = await startApp(dir, 'dist/livebus-defaults.main.js');
  try {
    const [status] = await nextEvent(app.url, 'status');
    expect(status).toMatchObject({
      type: 'status',
      provider: { name: process.platform === 'linux' ? 'proc' : 'ps' },
    });
    const post = await fetch(app.url + '/api/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'x' }),
    });
    expect(post.status).toBe(404);
  } finally {
    await stopApp(app);
  }
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

describe('the packed package in fresh apps', () => {
  const snippets = readmeSnippets();
  let work: string;
  let tarball: string;
  const dirs: Record<string, string> = {};

  /** Copies fixture `name` (package.json, lock, tsconfig) with `files`, and installs it and the tarball offline. */
  async function install(
    name: string,
    files: Record<string, string>,
  ): Promise<void> {
    const dir = join(work, name);
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const quiet = ['--ignore-scripts', '--no-audit', '--no-fund'];
    await run('npm', ['ci', '--offline', ...quiet], dir);
    await run(
      'npm',
      ['install', '--offline', '--no-save', ...quiet, tarball],
      dir,
    );
    dirs[name] = dir;
  }

  const builds = new Map<string, Promise<string>>();
  /** Compiles app `name` with tsc (once), as `nest build` would. */
  function build(name: string): Promise<string> {
    if (!builds.has(name)) {
      builds.set(name, run('node', [TSC, '-p', 'tsconfig.json'], dirs[name]));
    }
    return builds.get(name)!;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'livebus-consumers-'));
    // npm test has just built dist/; --ignore-scripts skips prepack's rebuild.
    const packed = JSON.parse(
      await run(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
        ROOT,
      ),
    ) as { filename: string }[];
    tarball = join(work, packed[0].filename);

    const template = join(FIXTURES, 'template', 'src');
    const server: Record<string, string> = {};
    for (const file of readdirSync(template)) {
      server[`src/${file}`] = readFileSync(join(template, file), 'utf8');
    }
    for (const file of SERVER_FILES) server[file] = snippet(snippets, file);
    await Promise.all([
      install('esm-nest12', server),
      install('cjs-nest12', server),
      install('cjs-nest11', server),
      install('client-only', {
        'src/client.ts': snippet(snippets, 'client.ts'),
      }),
    ]);
  }, 240_000);

  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the built code, the browser client, LICENSE, and source maps that carry their sources', async () => {
    const listing = await run('tar', ['tzf', tarball], work);
    const files = listing.split('\n').filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/LICENSE',
        'package/README.md',
        'package/package.json',
        'package/dist/src/index.js',
        'package/dist/src/index.d.ts',
        'package/dist/src/activity/activity.worker.js',
        'package/dist/browser/livebus-client.js',
      ]),
    );
    expect(
      files.filter((file) => /\.spec\.|\/demo\/|\/bench\//.test(file)),
    ).toEqual([]);
    const installed = join(
      dirs['cjs-nest12'],
      'node_modules',
      'nestjs-livebus',
    );
    const maps = files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(
        readFileSync(join(installed, map.slice('package/'.length)), 'utf8'),
      ) as { sources: string[]; sourcesContent?: string[] };
      expect({ map, contents: sourcesContent?.length }).toEqual({
        map,
        contents: sources.length,
      });
    }
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toContain(
      'Copyright (c) 2026 nestjs-livebus contributors',
    );
  });

  it('README: the install line adds exactly the packages the apps have beyond nest new', () => {
    const line = snippet(snippets, 'install')
      .split('\n')
      .find((text) => text.startsWith('npm install '));
    expect(line).toBeDefined();
    const named = line!.split(/\s+/).slice(2).sort();
    const fixture = JSON.parse(
      readFileSync(join(FIXTURES, 'esm-nest12', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    const beyond = Object.keys(fixture.dependencies).filter(
      (name) => !NEST_NEW_DEPENDENCIES.includes(name),
    );
    expect(named).toEqual(['nestjs-livebus', ...beyond].sort());
  });

  it('ESM, Nest 12 (the README quick start): builds, starts, its events reach a socket.io-client and a browser, and the activity worker runs when asked for', async () => {
    const dir = dirs['esm-nest12'];
    await build('esm-nest12');
    const app = await startApp(dir);
    try {
      const [event, meta] = await nextEvent(app.url, 'tick');
      expect(event).toEqual({ type: 'tick', at: expect.any(String) });
      expect(meta.seq).toBeGreaterThan(0);

      // The README's page, in a real browser, with the client the module serves.
      const browser = await chromium.launch({
        executablePath: chromiumPath(),
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(app.url + '/');
        await page.waitForFunction(
          () =>
            /^tick #\d+ at /.test(
              document.getElementById('tick')!.textContent!,
            ),
          undefined,
          { timeout: 10_000 },
        );
        // Step 5's curl, published over HTTP, shows at once.
        const response = await fetch(app.url + '/api/events', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'tick', at: 'from curl' }),
        });
        expect(response.status).toBe(202);
        await page.waitForFunction(
          () =>
            document
              .getElementById('tick')!
              .textContent!.endsWith(' at from curl'),
          undefined,
          { timeout: 10_000 },
        );
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    } finally {
      await stopApp(app);
    }
    await checkDefaults(dir);
  }, 120_000);

  it.each([
    ['CommonJS, Nest 12', 'cjs-nest12', '12.'],
    ['CommonJS, Nest 11', 'cjs-nest11', '11.'],
  ])(
    '%s: builds, starts through require(esm), its events reach a socket.io-client, and the activity worker runs when asked for',
    async (_, name, nest) => {
      const dir = dirs[name];
      const core = JSON.parse(
        readFileSync(
          join(dir, 'node_modules/@nestjs/core/package.json'),
          'utf8',
        ),
      ) as { version: string };
      expect(core.version.startsWith(nest)).toBe(true);
      // Every server entry point loads through require(esm): no top-level
      // await in any of their import graphs.
      const entries = ['', '/core', '/worker', '/activity'].map(
        (entry) => `nestjs-livebus${entry}`,
      );
      const loaded = await run(
        'node',
        [
          '-e',
          `for (const e of ${JSON.stringify(entries)}) console.log(e, typeof require(e))`,
        ],
        dir,
      );
      expect(loaded.trim().split('\n')).toEqual(
        entries.map((entry) => `${entry} object`),
      );
      await build(name);
      // CommonJS output: require('nestjs-livebus') loads the ES module build.
      expect(readFileSync(join(dir, 'dist/app.module.js'), 'utf8')).toContain(
        'require("nestjs-livebus")',
      );
      const app = await startApp(dir);
      try {
        const [event] = await nextEvent(app.url, 'tick');
        expect(event).toEqual({ type: 'tick', at: expect.any(String) });
        // The browser client the module serves.
        const script = await fetch(app.url + '/livebus/client.js');
        expect(script.headers.get('content-type')).toContain('text/javascript');
        expect(await script.text()).toContain('LivebusClient');
      } finally {
        await stopApp(app);
      }
      await checkDefaults(dir);
    },
    120_000,
  );

  it('client only: installs without Nest, small, and the README client example gets live events in Node', async () => {
    const dir = dirs['client-only'];
    const modules = join(dir, 'node_modules');
    expect(
      readdirSync(modules)
        .filter((name) => !name.startsWith('.'))
        .sort(),
    ).toEqual(
      [
        '@socket.io',
        'debug',
        'engine.io-client',
        'engine.io-parser',
        'ms',
        'nestjs-livebus',
        'socket.io-client',
        'socket.io-parser',
        'ws',
        'xmlhttprequest-ssl',
      ].sort(),
    );
    // Measured 3.5 MB (README), 1.4 MB of it socket.io-client; the bound
    // catches a server dependency sneaking in (Nest and Express: 30 MB).
    expect(bytesUnder(modules)).toBeLessThan(5_000_000);
    await build('client-only');
    // The client loads through require(esm) too (no top-level await).
    expect(
      await run(
        'node',
        [
          '-e',
          "console.log(typeof require('nestjs-livebus/client').LivebusClient)",
        ],
        dir,
      ),
    ).toBe('function\n');

    await build('esm-nest12');
    const server = await startApp(dirs['esm-nest12']);
    try {
      const source = readFileSync(join(dir, 'dist/client.js'), 'utf8');
      expect(source).toContain("'http://localhost:3000'");
      writeFileSync(
        join(dir, 'dist/client.js'),
        source.replace("'http://localhost:3000'", JSON.stringify(server.url)),
      );
      const client = spawn(process.execPath, ['dist/client.js'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(client);
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no tick printed within 10 s:\n${output}`)),
          10_000,
        );
        const onData = (chunk: Buffer): void => {
          output += chunk;
          if (/^#\d+ \d{4}-/m.test(output) && /^live$/m.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        client.stdout!.on('data', onData);
        client.stderr!.on('data', onData);
      });
      const closed = new Promise((resolve) => client.once('close', resolve));
      client.kill('SIGKILL');
      await closed;
      children.delete(client);
    } finally {
      await stopApp(server);
    }
  }, 120_000);

  it('a second copy of @nestjs/core fails the start and says what to do', async () => {
    const dir = dirs['cjs-nest11'];
    await build('cjs-nest11');
    const nested = join(
      dir,
      'node_modules/nestjs-livebus/node_modules/@nestjs',
    );
    mkdirSync(nested, { recursive: true });
    cpSync(join(dir, 'node_modules/@nestjs/core'), join(nested, 'core'), {
      recursive: true,
    });
    try {
      const failed = await startApp(dir).then(
        (app) => stopApp(app).then(() => null),
        (error: Error) => error.message,
      );
      expect(failed).toMatch(/another copy of @nestjs\/core/);
      expect(failed).toContain('nestjs-livebus/node_modules/@nestjs/core');
      expect(failed).toMatch(/npm ls @nestjs\/core/);
    } finally {
      rmSync(join(dir, 'node_modules/nestjs-livebus/node_modules'), {
        recursive: true,
        force: true,
      });
    }
  }, 60_000);

  it('a second copy of @nestjs/common fails the start and says what to do', async () => {
    const dir = dirs['cjs-nest12'];
    await build('cjs-nest12');
    const nested = join(
      dir,
      'node_modules/nestjs-livebus/node_modules/@nestjs',
    );
    mkdirSync(nested, { recursive: true });
    cpSync(join(dir, 'node_modules/@nestjs/common'), join(nested, 'common'), {
      recursive: true,
    });
    try {
      const failed = await startApp(dir).then(
        (app) => stopApp(app).then(() => null),
        (error: Error) => error.message,
      );
      expect(failed).toMatch(/two copies of @nestjs\/common/);
      expect(failed).toContain('nestjs-livebus/node_modules/@nestjs/common');
    } finally {
      rmSync(join(dir, 'node_modules/nestjs-livebus/node_modules'), {
        recursive: true,
        force: true,
      });
    }
  }, 60_000);

  it('a Socket.IO older than 4.8 under the app fails the start', async () => {
    const dir = dirs['cjs-nest12'];
    await build('cjs-nest12');
    const manifest = join(dir, 'node_modules/socket.io/package.json');
    const original = readFileSync(manifest, 'utf8');
    // The version the app's @nestjs/platform-socket.io would load.
    writeFileSync(
      manifest,
      original.replace(/"version": "[^"]+"/, '"version": "4.7.5"'),
    );
    try {
      const failed = await startApp(dir).then(
        (app) => stopApp(app).then(() => null),
        (error: Error) => error.message,
      );
      expect(failed).toMatch(/needs Socket\.IO 4\.8 or a later 4\.x/);
      expect(failed).toContain('4.7.5 at ');
    } finally {
      writeFileSync(manifest, original);
    }
  }, 60_000);

  it('a gateway Nest cannot mount (no @nestjs/websockets where the app looks) fails the start and says what to do', async () => {
    const dir = dirs['cjs-nest11'];
    await build('cjs-nest11');
    const nested = join(
      dir,
      'node_modules/nestjs-livebus/node_modules/@nestjs',
    );
    const top = join(dir, 'node_modules/@nestjs/websockets');
    mkdirSync(nested, { recursive: true });
    cpSync(top, join(nested, 'websockets'), { recursive: true });
    rmSync(top, { recursive: true });
    try {
      const failed = await startApp(dir).then(
        (app) => stopApp(app).then(() => null),
        (error: Error) => error.message,
      );
      expect(failed).toMatch(/did not mount its Socket\.IO gateway/);
      expect(failed).toContain(
        'npm install @nestjs/websockets@11 @nestjs/platform-socket.io@11 socket.io',
      );
    } finally {
      cpSync(join(nested, 'websockets'), top, { recursive: true });
      rmSync(join(dir, 'node_modules/nestjs-livebus/node_modules'), {
        recursive: true,
        force: true,
      });
    }
  }, 60_000);
});
