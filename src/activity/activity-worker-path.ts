import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built activity worker. Worker threads load JavaScript, so when this
 * module runs from TypeScript sources (under the test runner) the worker is
 * taken from the build output in `dist/`.
 */
export function activityWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'activity.worker.js');
  if (existsSync(beside)) return beside;
  const built = join(
    here.replace(
      `${sep}src${sep}activity`,
      `${sep}dist${sep}src${sep}activity`,
    ),
    'activity.worker.js',
  );
  if (existsSync(built)) return built;
  throw new Error(
    `The activity worker is not built (looked for ${beside} and ${built}); run \`npm run build\` first.`,
  );
}
