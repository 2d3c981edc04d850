// Installing a package that Debian ships only in its backports (valkey-server
// on Debian 12, bookworm), for the test set-up (scripts/test-setup.mjs):
// the backports suite is added to the apt sources when none is configured,
// from the machine's own mirror for its release, and the package is
// installed with its service kept from starting (a test machine needs the
// binary, not a daemon holding port 6379).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const APT_SOURCES = '/etc/apt/sources.list';
const APT_SOURCES_DIR = '/etc/apt/sources.list.d';
// invoke-rc.d asks this script whether a package may start its service;
// exit status 101 means "no" (Debian Policy, /usr/share/doc/init-system-helpers).
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/** `<codename>-backports` on Debian, else `null` (the package's own suite is then used). */
export function backportsSuite() {
  let release = '';
  try {
    release = readFileSync('/etc/os-release', 'utf8');
  } catch {
    return null;
  }
  const field = (name) =>
    new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(release)?.[1] ?? '';
  const codename = field('VERSION_CODENAME');
  return field('ID') === 'debian' && codename ? `${codename}-backports` : null;
}

/** Each apt source as `{ types, uris, suites, signedBy }`, one-line and deb822 alike. */
function aptSources() {
  const sources = [];
  const files = [APT_SOURCES];
  if (existsSync(APT_SOURCES_DIR)) {
    for (const name of readdirSync(APT_SOURCES_DIR).sort()) {
      files.push(join(APT_SOURCES_DIR, name));
    }
  }
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (file.endsWith('.sources')) sources.push(...deb822(text));
    else if (file.endsWith('.list')) sources.push(...oneLine(text));
  }
  return sources;
}

/** The enabled stanzas of a deb822 `.sources` file. */
function deb822(text) {
  const stanzas = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map();
    let key = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('#')) continue;
      const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (field) {
        key = field[1].toLowerCase();
        fields.set(key, field[2].trim());
      } else if (key && /^\s/.test(line)) {
        fields.set(key, `${fields.get(key)}\n${line.trim()}`);
      }
    }
    if (!fields.has('uris') || fields.get('enabled') === 'no') continue;
    const words = (name) =>
      (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    stanzas.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      signedBy: fields.get('signed-by') ?? '',
    });
  }
  return stanzas;
}

/** The `deb` lines of a one-line `.list` file. */
function oneLine(text) {
  const sources = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(
      line,
    );
    if (!match) continue;
    const signedBy = /signed-by=(\S+)/.exec(match[2] ?? '')?.[1] ?? '';
    sources.push({
      types: [match[1]],
      uris: [match[3]],
      suites: [match[4]],
      signedBy,
    });
  }
  return sources;
}

/**
 * Makes sure apt knows `suite` (`bookworm-backports`): if no source names
 * it, adds a deb822 file for it with the URIs and key of the source that
 * serves the release itself (`bookworm`). Returns false, saying why, if
 * there is no such source to follow.
 */
export function ensureBackportsSource(suite) {
  const sources = aptSources().filter((s) => s.types.includes('deb'));
  if (sources.some((s) => s.suites.includes(suite))) return true;
  const release = suite.replace(/-backports$/, '');
  const base = sources.find((s) => s.suites.includes(release));
  if (!base) {
    console.error(
      `test set-up: no apt source serves ${release}, so ${suite} cannot be added next to it`,
    );
    return false;
  }
  const file = join(APT_SOURCES_DIR, `livebus-${suite}.sources`);
  console.log(`test set-up: adding ${suite} to the apt sources (${file})`);
  writeFileSync(
    file,
    [
      '# Added by nestjs-livebus test set-up (scripts/test-setup.mjs) for valkey-server.',
      'Types: deb',
      `URIs: ${base.uris.join(' ')}`,
      `Suites: ${suite}`,
      'Components: main',
      // An inline key spans lines: each goes on indented.
      ...(base.signedBy
        ? [`Signed-By: ${base.signedBy.split('\n').join('\n ')}`]
        : []),
      '',
    ].join('\n'),
  );
  return true;
}

/**
 * apt-get installs `packages` from `suite` (or wherever apt finds them, when
 * `suite` is null) with a policy-rc.d that refuses every service start for
 * the duration, so that the package's daemon does not start (or fail, on a
 * port already taken). A policy-rc.d already there is the machine's own:
 * it is left as it is.
 */
export function installFromBackports(packages, suite, env) {
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) {
    writeFileSync(POLICY_RC_D, '#!/bin/sh\nexit 101\n');
    chmodSync(POLICY_RC_D, 0o755);
  }
  try {
    const result = spawnSync(
      'apt-get',
      ['install', '-y', '-qq', ...(suite ? ['-t', suite] : []), ...packages],
      { env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    return result.status === 0;
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
}
