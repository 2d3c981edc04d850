import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A package as Node finds it from some directory. */
export interface InstalledPackage {
  /** Its directory, symlinks resolved (so pnpm's links compare equal). */
  readonly dir: string;
  /** Its `version`, or `'?'` when unreadable. */
  readonly version: string;
}

/**
 * The package `name` that a `require`/`import` from `fromDir` would load:
 * the first `node_modules/<name>` on the way up, as Node looks for it.
 * `null` when there is none (not installed, or a resolver that does not use
 * node_modules, such as Yarn Plug'n'Play).
 */
export function findPackage(
  fromDir: string,
  name: string,
): InstalledPackage | null {
  let dir = fromDir;
  for (;;) {
    if (basename(dir) !== 'node_modules') {
      const manifest = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(manifest)) {
        return {
          dir: realpathSync(dirname(manifest)),
          version: readVersion(manifest),
        };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function readVersion(manifest: string): string {
  try {
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      version?: unknown;
    };
    return typeof version === 'string' ? version.slice(0, 40) : '?';
  } catch {
    return '?';
  }
}

/** `version`'s major and minor numbers, or `null` when it has none. */
export function majorMinor(version: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)\./.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : null;
}
