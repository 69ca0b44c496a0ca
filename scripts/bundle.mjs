// Bundles the command-line entry point into dist/cli/ with esbuild (code-split per tool, so
// each tool loads only its own chunk). Resolving and compiling ~100 ES modules one by one
// dominated start-up (ModuleJob/defaultResolve in CPU profiles); one bundle per tool makes
// module loading a few milliseconds. koffi stays external: it loads its native addon itself.
import { build } from 'esbuild';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'src/multitools/main.ts')],
  outdir: join(root, 'dist/cli'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  sourcemap: false,
  logLevel: 'warning',
  // CJS dependencies (commander, nearley, moo) call require() for node built-ins.
  banner: { js: "import { createRequire as __polytraceCreateRequire } from 'node:module'; const require = __polytraceCreateRequire(import.meta.url);" },
});
