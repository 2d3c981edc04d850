import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(
  new URL('./fixtures/without-peers.mjs', import.meta.url),
);

describe('optional peers (prom-client, @nestjs/terminus, uplot)', () => {
  it('are never loaded while their feature is off, and asked for by name when it is on', () => {
    const run = spawnSync(process.execPath, [SCRIPT], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      metricsError: string | null;
      inspectorError: string | null;
    };
    expect(result.ok).toBe(true);
    expect(result.metricsError).toMatch(
      /needs the 'prom-client' package \(npm install prom-client\)/,
    );
    expect(result.inspectorError).toMatch(
      /needs the 'uplot' package \(npm install uplot\)/,
    );
  });
});
