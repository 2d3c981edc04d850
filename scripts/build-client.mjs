// The browser client as one file: `nestjs-livebus/client` and the
// socket.io-client it uses, bundled and minified into an ES module
// (dist/browser/livebus-client.js). The module serves it when asked
// (`clientPath`) and the package exports it as `nestjs-livebus/client/browser`.
// Built from the compiled client in dist/src, so run after tsc.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const outfile = 'dist/browser/livebus-client.js';
const result = await build({
  entryPoints: ['dist/src/client/index.js'],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const { bytes } = result.metafile.outputs[outfile];
const { readFileSync } = await import('node:fs');
const gzipped = gzipSync(readFileSync(outfile), { level: 9 }).length;
process.stdout.write(
  `${outfile}: ${(bytes / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzipped\n`,
);
