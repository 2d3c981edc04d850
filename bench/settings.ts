/**
 * The bench's settings, read once from its command line (the flags are listed
 * at the top of run.ts), and the small helpers every part of it prints with.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
export const flag = (name: string): boolean => args.includes(`--${name}`);
export const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = flag('quick');
export const only = new Set(
  (
    option('only') ??
    'sat,stall,worker,redis,metrics,guards,wide,flow,crowd,ingest,idle,connect,storm'
  )
    .split(',')
    .filter(Boolean),
);

export const S = {
  clients: 100,
  // One load process per CPU (at least 2): more processes than CPUs only
  // adds context switches.
  clientProcesses: Math.max(
    2,
    Number(option('client-processes') ?? availableParallelism()),
  ),
  fanoutRounds: Number(option('rounds') ?? (quick ? 2 : 5)),
  otherRounds: quick ? 1 : 3,
  eventBytes: 200,
  saturationBatch: Number(option('batch') ?? 64),
  warmupMs: quick ? 500 : 1000,
  windowMs: quick ? 1500 : 3000,
  latencyRate: 1000,
  latencyWarmupMs: 500,
  latencyMs: quick ? 1500 : 4000,
  stallEvents: 100_000,
  stallWarmupEvents: 20_000,
  stallEventBytes: 1024,
  stallRate: 25_000,
  redisWindow: Number(option('redis-window') ?? 2048),
  redisBatch: 64,
};

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const resultsDir = `${repo}bench/results/`;
export const serverArgv = ['--expose-gc'];
// Extra flags for the server processes, e.g. --node-flags=--trace-gc.
serverArgv.push(...(option('node-flags') ?? '').split(' ').filter(Boolean));
if (flag('cpu-prof')) {
  mkdirSync(`${resultsDir}profiles`, { recursive: true });
  serverArgv.push('--cpu-prof', `--cpu-prof-dir=${resultsDir}profiles`);
}

export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
export const progress = (line: string): void => {
  process.stderr.write(`  · ${line}\n`);
};
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
