// Loads the bundled CLI (dist/cli/main.cjs) through V8's code cache: compiling the ~0.5 MB
// bundle was the largest remaining part of start-up. The first run after a build writes
// dist/cli/main.cjs.cache at exit (including the functions that run compiled); later runs
// skip parsing and compiling what it holds. V8 rejects a cache that does not match the
// source or the node binary, and the next run writes a fresh one. Without a writable dist/
// it simply runs uncached.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export function loadCli() {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.cjs');
  const cacheFile = `${file}.cache`;
  const source = readFileSync(file, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // first run after a build
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
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
