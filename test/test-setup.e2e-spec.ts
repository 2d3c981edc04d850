import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SETUP = fileURLToPath(
  new URL('../scripts/test-setup.mjs', import.meta.url),
);

describe("npm test's set-up (scripts/test-setup.mjs)", () => {
  let bin: string | undefined;
  afterEach(() => {
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it('stops, naming the commands, when redis-server, redis-sentinel, redis-cli, valkey-server and Chromium are missing and apt-get is not there', () => {
    // A PATH with node and nothing else: no redis-server, no Chromium, no apt-get.
    bin = mkdtempSync(join(tmpdir(), 'livebus-bare-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = spawnSync(process.execPath, [SETUP], {
      env: { HOME: process.env.HOME, PATH: bin },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'the tests need redis-server and redis-sentinel and redis-cli and valkey-server and Chromium, which are not installed',
    );
    expect(result.stderr).toContain(
      'sudo apt-get install redis-server redis-sentinel redis-tools chromium',
    );
    // Debian 12 ships Valkey in its backports only.
    expect(result.stderr).toContain(
      'sudo apt-get install -t bookworm-backports valkey-server',
    );
    expect(result.stderr).toContain('VALKEY_SERVER');
    expect(result.stderr).toContain('CHROMIUM_PATH');
    expect(result.stderr).toContain('REDIS_SENTINEL');
    expect(result.stderr).toContain('REDIS_CLI');
  });

  it('takes them from REDIS_SERVER, REDIS_SENTINEL, REDIS_CLI, VALKEY_SERVER and CHROMIUM_PATH when they are not on PATH', () => {
    const lookup = (command: string): string =>
      spawnSync('sh', ['-c', command], { encoding: 'utf8' }).stdout.trim();
    const redis = lookup('command -v redis-server');
    const sentinel = lookup('command -v redis-sentinel');
    const cli = lookup('command -v redis-cli');
    const valkey = lookup('command -v valkey-server');
    const chromium = lookup(
      'command -v chromium || command -v chromium-browser',
    );
    const npm = lookup('command -v npm');
    expect([redis, sentinel, cli, valkey, chromium, npm].every(Boolean)).toBe(
      true,
    );
    // PATH has node and npm (the cache check runs npm), not the tools.
    bin = mkdtempSync(join(tmpdir(), 'livebus-bare-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(npm, join(bin, 'npm'));
    const result = spawnSync(process.execPath, [SETUP], {
      env: {
        HOME: process.env.HOME,
        PATH: bin,
        REDIS_SERVER: redis,
        REDIS_SENTINEL: sentinel,
        REDIS_CLI: cli,
        VALKEY_SERVER: valkey,
        CHROMIUM_PATH: chromium,
      },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /test set-up: Redis server v=\d.*; Valkey server v=\d.*; Chromium \d/,
    );
  });
});
