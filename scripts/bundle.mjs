// Bundles the command-line entry point into one file, dist/cli/main.js, with esbuild.
// Resolving and compiling ~100 ES modules one by one dominated start-up (ModuleJob and
// defaultResolve in CPU profiles); code-split chunks still cost ~1-2 ms each to resolve and
// link, so the bundle is a single minified file (V8 compiles function bodies lazily, so the
// tools' code a run does not call costs only a pre-parse). koffi stays external: it loads
// its native addon itself.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Chunk names carry content hashes: start clean so old chunks do not pile up.
rmSync(join(root, 'dist/cli'), { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'src/multitools/main.ts')],
  outdir: join(root, 'dist/cli'),
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  sourcemap: false,
  // Parsing and compiling the bundle is start-up time: minified, it is about half the bytes.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  // CJS dependencies (commander, nearley, moo) call require() for node built-ins.
  banner: { js: "import { createRequire as __polytraceCreateRequire } from 'node:module'; const require = __polytraceCreateRequire(import.meta.url);" },
});
