/**
 * bin/load.js's V8 code cache (dist/cli/NAME.cjs.cache) is code root runs next time: it is
 * written 0644 whatever the umask, and a cache writable by group or others, owned by someone
 * else than the bundle's owner, or a symlink is not loaded (it is replaced at exit instead).
 * The test runs a copy of bin/load.js next to a tiny bundle, under `umask 000`.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../../helpers/kernel.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let cache: string;

/** Runs the demo tool through the copied loader under umask 000; returns what it printed. */
function runDemo(): string {
  const script = `require(${JSON.stringify(join(dir, 'bin', 'load.js'))}).runTool('demo', ['x'])`;
  return execFileSync('sh', ['-c', 'umask 000 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8' });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'polytrace-cache-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(root, 'bin', 'load.js'), join(dir, 'bin', 'load.js'));
  // Enough code for V8 to cache, and ASCII (the loader reads latin1).
  const fns = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n');
  writeFileSync(
    join(dir, 'dist', 'cli', 'demo.cjs'),
    `${fns}\nmodule.exports = { main(argv, prog) { console.log('ran ' + prog + ' ' + argv.join(',') + ' ' + f7(6)); } };\n`,
  );
  cache = join(dir, 'dist', 'cli', 'demo.cjs.cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the V8 code cache (bin/load.js)', () => {
  it('is created 0644 under umask 000, then loaded as it is (not rewritten)', () => {
    expect(runDemo()).toBe('ran demo x 49\n');
    const st = statSync(cache);
    expect(st.mode & 0o777).toBe(0o644);
    expect(st.size).toBeGreaterThan(0);
    expect(runDemo()).toBe('ran demo x 49\n');
    expect(statSync(cache).ino).toBe(st.ino);
    expect(statSync(join(dir, 'dist', 'cli')).isDirectory()).toBe(true);
  });

  it('a cache writable by group or others is not loaded: it is replaced by a 0644 one', () => {
    runDemo();
    for (const mode of [0o666, 0o664]) {
      chmodSync(cache, mode);
      const before = statSync(cache).ino;
      expect(runDemo()).toBe('ran demo x 49\n');
      const st = statSync(cache);
      expect(st.ino).not.toBe(before);
      expect(st.mode & 0o777).toBe(0o644);
    }
  });

  it('a symlink at the cache path is not followed: replaced, its target unchanged', () => {
    const other = join(dir, 'other');
    writeFileSync(other, 'not a cache');
    symlinkSync(other, cache);
    expect(runDemo()).toBe('ran demo x 49\n');
    expect(lstatSync(cache).isFile()).toBe(true);
    expect(readFileSync(other, 'utf8')).toBe('not a cache');
  });

  it.runIf(isRoot)('a cache owned by another user than the bundle owner is not loaded; root writes it as the bundle owner', () => {
    runDemo();
    chownSync(cache, 65534, 65534);
    const before = statSync(cache).ino;
    runDemo();
    expect(statSync(cache).ino).not.toBe(before);
    expect(statSync(cache).uid).toBe(statSync(join(dir, 'dist', 'cli', 'demo.cjs')).uid);
    // A bundle owned by someone else: the cache root writes is theirs, and is then loaded.
    chownSync(join(dir, 'dist', 'cli', 'demo.cjs'), 65534, 65534);
    runDemo();
    const st = statSync(cache);
    expect(st.uid).toBe(65534);
    expect(st.mode & 0o777).toBe(0o644);
    runDemo();
    expect(statSync(cache).ino).toBe(st.ino);
  });
});
