// Bundles the command-line entry point into one file, dist/cli/main.cjs, with esbuild.
// Resolving and compiling ~100 ES modules one by one dominated start-up (ModuleJob and
// defaultResolve in CPU profiles); code-split chunks still cost ~1-2 ms each to resolve and
// link, so the bundle is a single minified file (V8 compiles function bodies lazily, so the
// tools' code a run does not call costs only a pre-parse), and bin/load.js runs it through
// V8's code cache so that the parse and compile are mostly skipped after the first run.
// koffi stays external: it loads its native addon itself.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Chunk names carry content hashes: start clean so old chunks do not pile up.
rmSync(join(root, 'dist/cli'), { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'src/multitools/main.ts')],
  outfile: join(root, 'dist/cli/main.cjs'),
  bundle: true,
  // CommonJS, so that bin/load.js can run it through vm.Script with V8's code cache.
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  sourcemap: false,
  // Parsing and compiling the bundle is start-up time: minified, it is about half the bytes.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  // CJS dependencies (commander, nearley, moo) call require() for node built-ins.
  // import.meta.url (ffi.ts resolves koffi, main.ts reads package.json) becomes the file's URL.
  define: { 'import.meta.url': '__polytraceModuleUrl' },
  banner: { js: "var __polytraceModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
