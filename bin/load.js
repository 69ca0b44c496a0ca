// Runs a bundle of dist/cli/ (scripts/bundle.mjs) through V8's code cache: compiling the bundle
// was the largest remaining part of start-up. The first run after a build writes
// dist/cli/NAME.cjs.cache at exit (including the functions that ran compiled); later runs skip
// parsing and compiling what it holds. V8 rejects a cache that does not match the source or the
// node binary, and the next run writes a fresh one. Without a writable dist/ it simply runs
// uncached. The bins are CommonJS (bin/package.json): an ES module entry costs Node ~3 ms more
// to start.
'use strict';
const { readFileSync, writeFileSync, renameSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const TOOLS = ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount'];

/** The exports of dist/cli/NAME.cjs. */
function loadBundle(name) {
  const dir = join(__dirname, '..', 'dist', 'cli');
  const file = join(dir, `${name}.cjs`);
  const cacheFile = `${file}.cache`;
  // The bundles are ASCII (esbuild's charset=ascii): latin1 skips UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // first run after a build
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, dir);
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // read-only install: run uncached
      }
    });
  }
  return module.exports;
}

/** A BCC-named bin: that tool's own bundle. */
function runTool(tool, argv) {
  return loadBundle(tool).main(argv, tool);
}

/** `polytrace …`: a tool's own bundle for the five tools, the umbrella bundle for the rest. */
function runPolytrace(argv) {
  const first = argv[0];
  if (TOOLS.includes(first)) return loadBundle(first).main(argv.slice(1), `polytrace ${first}`);
  return loadBundle('polytrace').main(undefined, argv);
}

module.exports = { runTool, runPolytrace };
