import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CpuActivityProvider,
  ProviderSetupError,
  parseProcStat,
  parsePs,
  readProc,
  type ProcessCpu,
} from './proc-activity-provider.js';

describe('parseProcStat', () => {
  it('reads pid, command and utime + stime, even with spaces and parentheses in the command', () => {
    const line =
      '4242 (tmux: server (1)) S 1 4242 4242 0 -1 4194560 800 0 0 0 150 25 0 0 20 0 1 0 100 0 0';
    expect(parseProcStat(line)).toEqual({
      pid: 4242,
      app: 'tmux: server (1)',
      cpu: 175,
    });
  });

  it('skips kernel threads', () => {
    const line =
      '17 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 3 9 0 0 20 0 1 0 5 0 0';
    expect(parseProcStat(line)).toBeNull();
  });
});

describe('parsePs', () => {
  it('reads Linux and macOS time formats and keeps the command basename', () => {
    const output = [
      '    1 00:00:03 systemd',
      '  812 1-02:03:04 /usr/bin/postgres',
      ' 9001 0:01.50 /Applications/Safari.app/Contents/MacOS/Safari',
      'garbage',
    ].join('\n');
    expect(parsePs(output)).toEqual([
      { pid: 1, app: 'systemd', cpu: 3 },
      { pid: 812, app: 'postgres', cpu: 86_400 + 2 * 3600 + 3 * 60 + 4 },
      { pid: 9001, app: 'Safari', cpu: 1.5 },
    ]);
  });
});

describe('CpuActivityProvider', () => {
  it('sets a baseline first, then names the app that used the most CPU since, summed over its processes', async () => {
    const reads: ProcessCpu[][] = [
      [
        { pid: 1, app: 'code', cpu: 100 },
        { pid: 2, app: 'chrome', cpu: 500 },
        { pid: 3, app: 'chrome', cpu: 10 },
      ],
      [
        { pid: 1, app: 'code', cpu: 130 }, // +30
        { pid: 2, app: 'chrome', cpu: 520 }, // +20
        { pid: 3, app: 'chrome', cpu: 25 }, // +15: chrome 35 in all
      ],
      [
        { pid: 1, app: 'code', cpu: 130 },
        { pid: 2, app: 'chrome', cpu: 520 },
        { pid: 4, app: 'make', cpu: 5 }, // new since the last sample
      ],
      [{ pid: 1, app: 'code', cpu: 130 }],
    ];
    const provider = new CpuActivityProvider('test', async () =>
      reads.shift()!,
    );
    expect(provider.state).toEqual({ state: 'checking' });
    expect(await provider.sample()).toBeNull();
    expect(provider.state).toEqual({ state: 'ready' });
    expect(await provider.sample()).toBe('chrome');
    expect(await provider.sample()).toBe('make');
    expect(await provider.sample()).toBeNull(); // an idle host
  });

  it('reports setup_required with what to do when the host cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livebus-proc-'));
    await rm(dir, { recursive: true });
    const provider = new CpuActivityProvider('proc', () => readProc(dir));
    await expect(provider.sample()).rejects.toBeInstanceOf(ProviderSetupError);
    expect(provider.state).toMatchObject({
      state: 'setup_required',
      message: expect.stringMatching(/procfs mounted/),
    });
  });
});

(process.platform === 'linux' ? describe : describe.skip)(
  'readProc on this Linux host',
  () => {
    it('finds this very process, with its CPU time', async () => {
      const processes = await readProc();
      const self = processes.find((p) => p.pid === process.pid);
      expect(self?.app).toMatch(/node|jest/);
      expect(self?.cpu).toBeGreaterThan(0);
    });
  },
);
