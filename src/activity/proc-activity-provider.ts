import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ProviderUnavailableError,
  type ActivityProvider,
  type ProviderState,
} from './activity-provider.js';

/** One process's cumulative CPU time, in the reader's own unit. */
export interface ProcessCpu {
  readonly pid: number;
  readonly app: string;
  readonly cpu: number;
}

/**
 * Thrown by a reader when the host cannot be read at all until the user
 * acts (no `/proc`, no `ps`): the provider reports `setup_required`.
 */
export class ProviderSetupError extends Error {
  override readonly name = 'ProviderSetupError';
}

/**
 * The dominant application is the one whose processes used the most CPU
 * since the previous sample. The first sample only sets the baseline.
 */
export class CpuActivityProvider implements ActivityProvider {
  private previous: Map<number, ProcessCpu> | null = null;
  private _state: ProviderState = { state: 'checking' };

  constructor(
    readonly name: string,
    private readonly read: () => Promise<ProcessCpu[]>,
  ) {}

  get state(): ProviderState {
    return this._state;
  }

  async sample(): Promise<string | null> {
    let processes: ProcessCpu[];
    try {
      processes = await this.read();
    } catch (error) {
      if (error instanceof ProviderSetupError) {
        this._state = { state: 'setup_required', message: error.message };
      }
      throw error;
    }
    this._state = { state: 'ready' };
    const current = new Map(processes.map((p) => [p.pid, p]));
    const previous = this.previous;
    this.previous = current;
    if (!previous) return null;
    const usage = new Map<string, number>();
    for (const process of processes) {
      // A process new since the last sample counts from zero.
      const before = previous.get(process.pid);
      const used =
        before && before.app === process.app
          ? process.cpu - before.cpu
          : process.cpu;
      if (used > 0)
        usage.set(process.app, (usage.get(process.app) ?? 0) + used);
    }
    let dominant: string | null = null;
    let most = 0;
    for (const [app, used] of usage) {
      if (used > most) [dominant, most] = [app, used];
    }
    return dominant;
  }
}

// Kernel threads (PF_KTHREAD) are not applications.
const PF_KTHREAD = 0x00200000;

/**
 * Parses one `/proc/<pid>/stat` line: the command name sits in parentheses
 * and may itself hold spaces and parentheses, so fields are counted from
 * the last `)`. Returns `null` for a kernel thread.
 */
export function parseProcStat(line: string): ProcessCpu | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  const app = line.slice(open + 1, close);
  // Fields from 3 (state) on: flags is field 9, utime 14, stime 15.
  const fields = line
    .slice(close + 2)
    .split(' ')
    .map((field) => field.trim());
  const flags = Number(fields[6]);
  if (!Number.isInteger(pid) || (flags & PF_KTHREAD) !== 0) return null;
  const cpu = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(cpu) ? { pid, app, cpu } : null;
}

/** Reads every process's CPU time (clock ticks) from `/proc`. */
export async function readProc(root = '/proc'): Promise<ProcessCpu[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    throw new ProviderSetupError(
      `cannot read ${root} (${(error as Error).message}): the proc provider needs Linux with procfs mounted (mount -t proc proc /proc)`,
    );
  }
  const stats = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map((pid) =>
        // A process may exit between readdir and readFile: skip it.
        readFile(`${root}/${pid}/stat`, 'utf8').then(parseProcStat, () => null),
      ),
  );
  return stats.filter((stat): stat is ProcessCpu => stat !== null);
}

/**
 * Parses `ps -A -o pid=,time=,comm=` output; `time` is cumulative CPU as
 * `[[dd-]hh:]mm:ss[.cc]`, in seconds here.
 */
export function parsePs(output: string): ProcessCpu[] {
  const processes: ProcessCpu[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!match) continue;
    const [, pid, time, command] = match;
    const [days, clock] = time.includes('-') ? time.split('-') : ['0', time];
    const seconds = clock
      .split(':')
      .reduce((total, part) => total * 60 + Number(part), 0);
    const cpu = Number(days) * 86_400 + seconds;
    if (Number.isFinite(cpu)) {
      processes.push({ pid: Number(pid), app: basename(command), cpu });
    }
  }
  return processes;
}

/** Reads every process's CPU time with `ps` (macOS, the BSDs). */
export function readPs(): Promise<ProcessCpu[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'ps',
      ['-A', '-o', 'pid=,time=,comm='],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        if (!error) return resolve(parsePs(stdout));
        reject(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? new ProviderSetupError(
                'no `ps` command on this host: install it (Debian: apt-get install procps) or give the module your own worker',
              )
            : new ProviderUnavailableError(`ps failed: ${error.message}`),
        );
      },
    );
  });
}

/** `/proc` on Linux, `ps` elsewhere. */
export function defaultActivityProvider(): ActivityProvider {
  return process.platform === 'linux'
    ? new CpuActivityProvider('proc', () => readProc())
    : new CpuActivityProvider('ps', readPs);
}
