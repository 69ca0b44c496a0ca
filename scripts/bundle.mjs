// Bundles the command line with esbuild into dist/cli/: polytrace.cjs (the umbrella command,
// every tool) and one bundle per BCC tool (funccount.cjs, …) holding only that tool's code,
// which the five BCC-named bins and `polytrace <tool>` run. Resolving and compiling ~100 ES
// modules one by one dominated start-up (ModuleJob and defaultResolve in CPU profiles);
// code-split chunks still cost ~1-2 ms each to resolve and link, so each bundle is a single
// minified file, and bin/load.js runs it through V8's code cache so that its parse and compile
// are mostly skipped after the first run. A tool's own bundle is ~40 % smaller than the
// umbrella, and so is its code cache: ~4 ms less to read and deserialise at every start.
// koffi stays external: it loads its native addon itself.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A bundle of its own for every BCC-named tool (bin/load.js runs it, and knows the tools by
// their bundles). The list is src/multitools/tools.ts's TOOLS (tsc ran before this); npm needs
// it again in package.json's bin, which must agree.
const { TOOLS } = await import(join(root, 'dist/multitools/tools.js'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bins = Object.keys(pkg.bin)
  .filter((name) => name !== 'polytrace')
  .sort();
if (bins.join() !== [...TOOLS].sort().join()) {
  throw new Error(`package.json bin (${bins.join(', ')}, besides polytrace) differs from tools.ts's TOOLS (${[...TOOLS].sort().join(', ')})`);
}

// Start clean: old bundles and their code caches do not pile up.
rmSync(join(root, 'dist/cli'), { recursive: true, force: true });

const common = {
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
  // ASCII only (non-ASCII characters escaped), so bin/load.js can read it as latin1.
  charset: 'ascii',
  logLevel: 'warning',
  // CJS dependencies (commander, nearley, moo) call require() for node built-ins.
  // import.meta.url (ffi.ts resolves koffi, main.ts reads package.json) becomes the file's URL.
  define: { 'import.meta.url': '__polytraceModuleUrl' },
  banner: { js: "var __polytraceModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/multitools/main.ts')], outfile: join(root, 'dist/cli/polytrace.cjs') }),
  ...TOOLS.map((tool) =>
    build({
      ...common,
      stdin: {
        contents:
          `import { run } from './${tool}.js';\nimport { runTool } from './run-tool.js';\n` +
          `export const main = (argv, prog) => runTool({ run }, argv, prog);\n`,
        resolveDir: join(root, 'src/multitools'),
        sourcefile: `${tool}-entry.ts`,
        loader: 'ts',
      },
      outfile: join(root, `dist/cli/${tool}.cjs`),
    }),
  ),
  // The uprobe keeper (src/attach/keeper.ts starts it with node, beside the tools' bundles).
  build({
    ...common,
    stdin: {
      contents: `import { runKeeper } from './keeper-main.js';\nrunKeeper(process.argv[2]);\n`,
      resolveDir: join(root, 'src/attach'),
      sourcefile: 'keeper-entry.ts',
      loader: 'ts',
    },
    outfile: join(root, 'dist/cli/keeper.cjs'),
  }),
]);
