// The set-up `npm test` does before it builds and runs the tests, so that a
// fresh machine needs only `npm ci && npm test`:
// - redis-server (the Redis tests start their own), redis-sentinel and
//   redis-cli (the HA tests start a Sentinel and make a Cluster with
//   redis-cli --cluster create), valkey-server (the transport's tests run
//   on Valkey too) and Chromium (the page tests drive it): found on PATH
//   (or at REDIS_SERVER, REDIS_SENTINEL, REDIS_CLI, VALKEY_SERVER,
//   CHROMIUM_PATH), or installed from Debian's packages when running as
//   root with apt-get (valkey-server from bookworm-backports: see
//   installFromBackports); otherwise it stops and names the command.
//   The tests that need them are never skipped.
// - the npm cache holds every package the consumer tests install offline
//   (test/consumers/*/package-lock.json); what is missing is fetched once.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import {
  backportsSuite,
  ensureBackportsSource,
  installFromBackports,
} from './apt-backports.mjs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The first of `names` that is an executable on PATH (or a path itself). */
export function which(...names) {
  for (const name of names.filter(Boolean)) {
    const candidates = name.includes('/')
      ? [name]
      : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
    for (const candidate of candidates) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

const CHROMIUM = [
  process.env.CHROMIUM_PATH,
  'chromium',
  'chromium-browser',
  'google-chrome-stable',
  'google-chrome',
];
const REDIS = [process.env.REDIS_SERVER, 'redis-server'];
// The test helpers use the override as given, else the name on PATH.
const SENTINEL = [process.env.REDIS_SENTINEL ?? 'redis-sentinel'];
const REDIS_CLI = [process.env.REDIS_CLI ?? 'redis-cli'];
const VALKEY = [process.env.VALKEY_SERVER ?? 'valkey-server'];
const needs = [
  {
    what: 'redis-server',
    find: () => which(...REDIS),
    debian: 'redis-server',
    other: 'brew install redis, or set REDIS_SERVER to its path',
  },
  {
    what: 'redis-sentinel',
    find: () => which(...SENTINEL),
    debian: 'redis-sentinel',
    other: 'brew install redis, or set REDIS_SENTINEL to its path',
  },
  {
    what: 'redis-cli',
    find: () => which(...REDIS_CLI),
    debian: 'redis-tools',
    other: 'brew install redis, or set REDIS_CLI to its path',
  },
  {
    what: 'valkey-server',
    find: () => which(...VALKEY),
    debian: 'valkey-server',
    // Debian 12 (bookworm) has it in bookworm-backports only.
    backports: true,
    other: 'brew install valkey, or set VALKEY_SERVER to its path',
  },
  {
    what: 'Chromium',
    find: () => which(...CHROMIUM),
    debian: 'chromium',
    other: 'install Chrome or Chromium and set CHROMIUM_PATH to it',
  },
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status === 0;
}

let missing = needs.filter((need) => !need.find());
if (missing.length > 0) {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && which('apt-get')) {
    const packages = missing.map((need) => need.debian);
    console.log(
      `test set-up: ${missing.map((need) => need.what).join(' and ')} missing; installing Debian's ${packages.join(' ')}`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const plain = missing.filter((need) => !need.backports);
    const backports = missing.filter((need) => need.backports);
    const suite = backports.length > 0 ? backportsSuite() : null;
    const installed =
      (!suite || ensureBackportsSource(suite)) &&
      run('apt-get', ['update', '-qq'], { env }) &&
      (plain.length === 0 ||
        run(
          'apt-get',
          ['install', '-y', '-qq', ...plain.map((need) => need.debian)],
          { env, stdio: ['ignore', 'ignore', 'inherit'] },
        )) &&
      (backports.length === 0 ||
        installFromBackports(
          backports.map((need) => need.debian),
          suite,
          env,
        ));
    if (!installed) {
      console.error(
        `test set-up: apt-get could not install ${packages.join(' ')}`,
      );
    }
    missing = needs.filter((need) => !need.find());
  }
  if (missing.length > 0) {
    const plain = missing.filter((need) => !need.backports);
    const backports = missing.filter((need) => need.backports);
    console.error(
      `test set-up: the tests need ${missing.map((need) => need.what).join(' and ')}, which are not installed.\n` +
        (plain.length > 0
          ? `  Debian/Ubuntu: sudo apt-get install ${plain.map((need) => need.debian).join(' ')}\n`
          : '') +
        (backports.length > 0
          ? `  Debian 12 (bookworm): with bookworm-backports in the apt sources, sudo apt-get install -t bookworm-backports ${backports.map((need) => need.debian).join(' ')}\n`
          : '') +
        missing
          .map((need) => `  otherwise (${need.what}): ${need.other}\n`)
          .join('') +
        'Then run npm test again.',
    );
    process.exit(1);
  }
}
const version = (binary) =>
  spawnSync(binary, ['--version'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')[0];
console.log(
  `test set-up: ${version(which(...REDIS))}; ${version(which(...VALKEY))}; ${version(which(...CHROMIUM))}`,
);

// The consumer tests install from the npm cache only (--offline): warm it.
const consumers = join(root, 'test', 'consumers');
const registry = spawnSync('npm', ['config', 'get', 'registry'], {
  encoding: 'utf8',
})
  .stdout.trim()
  .replace(/\/?$/, '/');
const cached = new Set(
  spawnSync('npm', ['cache', 'ls'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => line.replace('make-fetch-happen:request-cache:', '')),
);
for (const fixture of readdirSync(consumers)) {
  let lock;
  try {
    lock = JSON.parse(
      readFileSync(join(consumers, fixture, 'package-lock.json'), 'utf8'),
    );
  } catch {
    continue; // not an installable fixture
  }
  // Lock files here leave out `resolved` (omit-lockfile-registry-resolved):
  // npm fetches, and caches, each package under its registry tarball URL.
  const absent = Object.entries(lock.packages).filter(([path, entry]) => {
    if (!path || entry.link) return false;
    const name =
      entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 13);
    const url =
      entry.resolved ??
      `${registry}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
    return !cached.has(url);
  });
  if (absent.length === 0) continue;
  console.log(
    `test set-up: fetching ${absent.length} packages for the ${fixture} consumer test into the npm cache`,
  );
  const dir = mkdtempSync(join(tmpdir(), `livebus-warm-${fixture}-`));
  try {
    cpSync(join(consumers, fixture, 'package.json'), join(dir, 'package.json'));
    cpSync(
      join(consumers, fixture, 'package-lock.json'),
      join(dir, 'package-lock.json'),
    );
    if (
      !run(
        'npm',
        [
          'ci',
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
        ],
        { cwd: dir },
      )
    ) {
      console.error(
        `test set-up: could not fetch the ${fixture} consumer's packages (is the npm registry reachable?)`,
      );
      process.exit(1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
