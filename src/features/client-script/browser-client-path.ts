import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE = join('browser', 'livebus-client.js');

/**
 * The built browser client (`dist/browser/livebus-client.js`, made by
 * `scripts/build-client.mjs`). This file lives in
 * `<package>/dist/src/features/client-script/` once built, or in
 * `<repo>/src/features/client-script/` under the test runner: both lead to
 * the same `dist/browser`.
 */
export function browserClientPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const tail = `${sep}src${sep}features${sep}client-script`;
  const base = here.endsWith(tail) ? here.slice(0, -tail.length) : here;
  const dist = base.endsWith(`${sep}dist`) ? base : join(base, 'dist');
  const path = join(dist, BUNDLE);
  if (!existsSync(path)) {
    throw new Error(
      `The browser client is not built (looked for ${path}); run \`npm run build\` first.`,
    );
  }
  return path;
}
