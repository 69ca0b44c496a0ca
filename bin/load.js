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

/**
 * The exports of dist/cli/NAME.cjs; with `optional`, undefined when there is no such bundle
 * (reading it is the test: no extra system call when it exists).
 */
function loadBundle(name, optional = false) {
  const dir = join(__dirname, '..', 'dist', 'cli');
  const file = join(dir, `${name}.cjs`);
  const cacheFile = `${file}.cache`;
  // The bundles are ASCII (esbuild's charset=ascii): latin1 skips UTF-8 decoding.
  let source;
  try {
    source = readFileSync(file, 'latin1');
  } catch (e) {
    if (optional && e.code === 'ENOENT') return undefined;
    throw e;
  }
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

/**
 * `polytrace …`: a tool's own bundle for the BCC-named tools, the umbrella bundle for the rest.
 * The tools are those with a bundle (scripts/bundle.mjs makes one per BCC-named bin of
 * package.json), so the list lives in one place and is not read here at every start.
 */
function runPolytrace(argv) {
  const first = argv[0];
  if (first !== undefined && first !== 'polytrace' && /^[a-z]+$/.test(first)) {
    const tool = loadBundle(first, true);
    if (tool !== undefined) return tool.main(argv.slice(1), `polytrace ${first}`);
  }
  return loadBundle('polytrace').main(undefined, argv);
}

module.exports = { runTool, runPolytrace };
