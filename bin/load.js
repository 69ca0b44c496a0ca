// Runs a bundle of dist/cli/ (scripts/bundle.mjs) through V8's code cache: compiling the bundle
// was the largest remaining part of start-up. The first run after a build writes
// dist/cli/NAME.cjs.cache at exit (including the functions that ran compiled); later runs skip
// parsing and compiling what it holds. V8 rejects a cache that does not match the source or the
// node binary, and the next run writes a fresh one. Without a writable dist/ it simply runs
// uncached. The bins are CommonJS (bin/package.json): an ES module entry costs Node ~3 ms more
// to start.
//
// The cache is code that root runs, so it is trusted no more than the bundle: it is written
// 0644 whatever the umask (a new file, O_EXCL|O_NOFOLLOW, renamed into place) and owned by
// the bundle's owner, and a cache that is a symlink, not a regular file, writable by group or
// others, or owned by someone else than the bundle's owner is ignored (and replaced at exit).
'use strict';
const { closeSync, constants, fchmodSync, fchownSync, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } = require('node:fs');
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
  let owner;
  try {
    const fd = openSync(file, 'r');
    try {
      owner = fstatSync(fd);
      source = readFileSync(fd, 'latin1');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (optional && e.code === 'ENOENT') return undefined;
    throw e;
  }
  const cachedData = readCache(cacheFile, owner);
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, dir);
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => writeCache(cacheFile, script.createCachedData(), owner));
  }
  return module.exports;
}

/** The cache's bytes, or undefined when there is none or it is not to be trusted (see above). */
function readCache(cacheFile, owner) {
  let fd;
  try {
    fd = openSync(cacheFile, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined; // first run after a build (or a symlink: ELOOP)
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (st.mode & 0o022) !== 0 || st.uid !== owner.uid) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Replace the cache: a new 0644 file owned by the bundle's owner, renamed into place. */
function writeCache(cacheFile, data, owner) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  let fd;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    fchmodSync(fd, 0o644);
    if (process.geteuid?.() === 0 && owner.uid !== 0) fchownSync(fd, owner.uid, owner.gid);
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, cacheFile);
  } catch {
    // read-only install: run uncached
    try {
      if (fd !== undefined) closeSync(fd);
      unlinkSync(tmp);
    } catch {
      // never created
    }
  }
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
