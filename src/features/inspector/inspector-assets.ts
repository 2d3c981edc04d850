import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** One file the inspector page loads. */
export interface Asset {
  readonly contentType: string;
  /** The file's text (every asset is text: HTML, CSS, JavaScript). */
  readonly body: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/**
 * The package's root (where its package.json is): the page's own files sit
 * beside this module (`public/`, copied to `dist/` by the build), the
 * browser client is the built `dist/src/client`, whether this runs from
 * `dist/` or from the sources (tests).
 */
function packageRoot(): string {
  for (let dir = here; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
      };
      if (name === 'nestjs-livebus') return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`the inspector cannot find nestjs-livebus above ${here}`);
    }
  }
}

function optionalPeer(specifier: string, peer: string): string {
  try {
    return require.resolve(specifier);
  } catch (error) {
    throw new Error(
      `The inspector needs the '${peer}' package (npm install ${peer}): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Where each file the page may ask for is: nothing else is served. */
function assetPaths(): Record<string, string> {
  const root = packageRoot();
  const built = join(root, 'dist', 'src');
  const page = (name: string) => join(here, 'public', name);
  const paths: Record<string, string> = {
    'uplot.esm.js': optionalPeer('uplot/dist/uPlot.esm.js', 'uplot'),
    'uplot.min.css': optionalPeer('uplot/dist/uPlot.min.css', 'uplot'),
    'socket.io.esm.min.js': join(
      dirname(require.resolve('socket.io/package.json')),
      'client-dist',
      'socket.io.esm.min.js',
    ),
  };
  for (const name of PAGE_FILES) paths[name] = page(name);
  // The browser client and the protocol it imports, as built (ES modules).
  for (const part of ['client', 'protocol']) {
    const dir = join(built, part);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.js')) paths[`${part}/${name}`] = join(dir, name);
    }
  }
  if (!paths['client/index.js']) {
    throw new Error(
      `The inspector needs the built browser client in ${built}: build the package (npm run build)`,
    );
  }
  return paths;
}

/** The page's own files, in `public/`. */
export const PAGE_FILES = [
  'index.html',
  'inspector.css',
  'app.js',
  'model.js',
  'virtual-list.js',
  'views.js',
  'charts.js',
  'format.js',
] as const;

/**
 * Reads every asset once, at start-up, so that a missing file (a package
 * built without its page, uPlot not installed) fails the start with a clear
 * error rather than a broken page.
 */
export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, path] of Object.entries(assetPaths())) {
    if (!existsSync(path)) {
      throw new Error(
        `The inspector's file ${name} is missing (${path}): build the package (npm run build)`,
      );
    }
    const extension = name.slice(name.lastIndexOf('.'));
    assets.set(name, {
      contentType: TYPES[extension] ?? 'application/octet-stream',
      body: readFileSync(path, 'utf8'),
    });
  }
  return assets;
}
