// Builds the demo page into dist/: index.html, style.css and one JS bundle (app.js) that
// contains JsSIP from node_modules. Run with `npm run build` (after `npm ci`).
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: [join(src, 'main.js')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});

for (const file of ['index.html', 'style.css']) {
  await copyFile(join(src, file), join(dist, file));
}
console.log('demo page built in examples/web/dist/ (index.html, app.js, style.css)');
