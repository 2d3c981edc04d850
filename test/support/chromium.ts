import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// The same places scripts/test-setup.mjs looks (it installs Debian's
// chromium when none is found and it can).
const NAMES = [
  'chromium',
  'chromium-browser',
  'google-chrome-stable',
  'google-chrome',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium the browser tests drive: `CHROMIUM_PATH`, else the first on PATH. Throws with the fix. */
export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (executable(configured)) return configured;
    throw new Error(`CHROMIUM_PATH=${configured} is not an executable`);
  }
  const dirs = (process.env.PATH ?? '').split(delimiter);
  for (const name of NAMES) {
    for (const dir of dirs) {
      if (executable(join(dir, name))) return join(dir, name);
    }
  }
  throw new Error(
    `No Chromium on PATH (looked for ${NAMES.join(', ')}): run the tests with npm test, which installs Debian's chromium when it can, or install it (apt-get install chromium) or set CHROMIUM_PATH`,
  );
}

/** Flags for a headless Chromium in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
