import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeFlags, matchesHostAbi, parseLdCache, readLdCache } from '../../../src/symbols/ldcache.js';
import { findInLdCache, findInMaps, findOnPath, resolveLibrary, resolveUsdtBinary } from '../../../src/symbols/library.js';
import { parseMaps } from '../../../src/symbols/procmaps.js';
import { FormatError, ResolveError } from '../../../src/errors.js';

function ldconfigP(): { name: string; desc: string; path: string }[] {
  const out = execFileSync('ldconfig', ['-p']).toString();
  return out
    .split('\n')
    .slice(1)
    .map((l) => /^\t(\S+) \((.*)\) => (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1]!, desc: m[2]!, path: m[3]! }));
}

/** Builds a cache file in the old format, optionally followed by the new one. */
function buildOld(entries: { flags: number; name: string; path: string }[], withNew: boolean): Uint8Array {
  const strs: string[] = [];
  let strLen = 0;
  const off = (s: string): number => {
    const o = strLen;
    strs.push(s);
    strLen += s.length + 1;
    return o;
  };
  const recs = entries.map((e) => ({ flags: e.flags, key: off(e.name), value: off(e.path) }));
  const head = Buffer.alloc(16 + 12 * recs.length);
  head.write('ld.so-1.7.0', 0, 'latin1');
  head.writeUInt32LE(recs.length, 12);
  recs.forEach((r, i) => {
    head.writeInt32LE(r.flags, 16 + i * 12);
    head.writeUInt32LE(r.key, 20 + i * 12);
    head.writeUInt32LE(r.value, 24 + i * 12);
  });
  const old = Buffer.concat([head, Buffer.from(strs.map((s) => `${s}\0`).join(''), 'latin1')]);
  if (!withNew) return old;
  // Combined files (glibc <= 2.31): the new header follows the old entries (8-aligned), and
  // both tables' strings live after the new entries.
  const pad = Buffer.alloc((8 - (head.length % 8)) % 8);
  // The embedded new table holds different paths, to show that it is the one read.
  const n = buildNew(entries.map((e) => ({ ...e, path: `${e.path}.new` })));
  return Buffer.concat([head, pad, n]);
}

function buildNew(entries: { flags: number; name: string; path: string }[]): Buffer {
  const hdr = 48 + 24 * entries.length;
  const strs: string[] = [];
  let strLen = 0;
  const off = (s: string): number => {
    const o = hdr + strLen;
    strs.push(s);
    strLen += s.length + 1;
    return o;
  };
  const b = Buffer.alloc(hdr);
  b.write('glibc-ld.so.cache1.1', 0, 'latin1');
  b.writeUInt32LE(entries.length, 20);
  entries.forEach((e, i) => {
    const o = 48 + i * 24;
    b.writeInt32LE(e.flags, o);
    b.writeUInt32LE(off(e.name), o + 4);
    b.writeUInt32LE(off(e.path), o + 8);
  });
  return Buffer.concat([b, Buffer.from(strs.map((s) => `${s}\0`).join(''), 'latin1')]);
}

describe('ld.so.cache', () => {
  it('parses the machine cache like ldconfig -p (names, flags, paths, order)', () => {
    const cache = readLdCache();
    const ref = ldconfigP();
    expect(cache.entries.map((e) => ({ name: e.name, desc: describeFlags(e), path: e.path }))).toEqual(ref);
    expect(execFileSync('ldconfig', ['-p']).toString()).toContain(cache.generator ?? '<none>');
  });

  it('reads the old format, and the new format embedded after it', () => {
    const entries = [
      { flags: 0x0303, name: 'libfoo.so.1', path: '/lib/libfoo.so.1' },
      { flags: 0x0003, name: 'libfoo.so.1', path: '/lib32/libfoo.so.1' },
    ];
    const old = parseLdCache(buildOld(entries, false));
    expect(old.format).toBe('old');
    expect(old.entries.map((e) => [e.name, e.path, e.flags])).toEqual(entries.map((e) => [e.name, e.path, e.flags]));
    const both = parseLdCache(buildOld(entries, true));
    expect(both.format).toBe('new');
    expect(both.entries.map((e) => e.path)).toEqual(['/lib/libfoo.so.1.new', '/lib32/libfoo.so.1.new']);
    expect(findInLdCache('foo', old, 'x64')).toBe('/lib/libfoo.so.1');
    expect(findInLdCache('foo', old, 'ia32')).toBe('/lib32/libfoo.so.1');
  });

  it('rejects garbage and truncation', () => {
    expect(() => parseLdCache(new Uint8Array(40))).toThrow(FormatError);
    const real = readFileSync('/etc/ld.so.cache');
    expect(() => parseLdCache(real.subarray(0, 100))).toThrow(/truncated/);
  });

  it('matches BCC host ABI flags', () => {
    expect(matchesHostAbi(0x0303, 'x64')).toBe(true);
    expect(matchesHostAbi(0x0a03, 'arm64')).toBe(true);
    expect(matchesHostAbi(0x0003, 'x64')).toBe(false);
    expect(matchesHostAbi(0x0301, 'x64')).toBe(false);
    expect(describeFlags({ flags: 0x0303, hwcap: 0n, osVersion: 0 })).toBe('libc6,x86-64');
  });
});

describe('library resolution', () => {
  it("resolves 'c' to libc through ld.so.cache", () => {
    const r = resolveLibrary('c');
    expect(r.how).toBe('ldcache');
    expect(r.path).toBe(ldconfigP().find((e) => e.name.startsWith('libc.so') && e.desc === 'libc6,x86-64')!.path);
    expect(r.path).toMatch(/\/libc\.so\.6$/);
  });

  it("resolves 'bash' through $PATH (BCC 0.26 cannot)", () => {
    const r = resolveLibrary('bash', { PATH: '/nonexistent:"/usr/bin":/bin' });
    expect(r).toEqual({ path: '/usr/bin/bash', original: '/usr/bin/bash', how: 'PATH' });
    expect(findOnPath('bash', '')).toBeUndefined();
  });

  it('uses a path with / as given, but checks that it exists', () => {
    expect(resolveLibrary('/bin/sh').how).toBe('path');
    expect(() => resolveLibrary('/no/such/lib.so')).toThrow('unable to find library /no/such/lib.so: no such file');
  });

  it('gives the BCC message for a missing library', () => {
    expect(() => resolveLibrary('nosuchlib_xyz', { PATH: '/nonexistent' })).toThrow(ResolveError);
    expect(() => resolveLibrary('nosuchlib_xyz', { PATH: '/nonexistent' })).toThrow(/^unable to find library nosuchlib_xyz$/);
  });

  it('with a pid: maps first, and the path seen through /proc/PID/root', () => {
    const maps = parseMaps(
      ['7f0000000000-7f0000001000 r-xp 00000000 fe:00 1 /opt/app/libfoo-1.2.so', '7f0000002000-7f0000003000 r-xp 00000000 fe:00 2 /usr/lib/libc.so.6'].join(
        '\n',
      ),
    );
    expect(findInMaps('foo', maps)).toBe('/opt/app/libfoo-1.2.so');
    expect(findInMaps('c', maps)).toBe('/usr/lib/libc.so.6');
    expect(findInMaps('fo', maps)).toBeUndefined();
    const r = resolveLibrary('foo', { pid: 1234, maps });
    expect(r).toEqual({ path: '/proc/1234/root/opt/app/libfoo-1.2.so', original: '/opt/app/libfoo-1.2.so', how: 'maps' });
    // The live process: our own libc.
    const self = resolveLibrary('c', { pid: process.pid });
    expect(self.how).toBe('maps');
    expect(self.path).toBe(`/proc/${process.pid}/root${self.original}`);
  });

  it('USDT binaries: executables on PATH win over libraries', () => {
    const r = resolveUsdtBinary('python3.11');
    expect(r.how).toBe('PATH');
    expect(r.path).toMatch(/\/python3\.11$/);
    expect(resolveUsdtBinary('stdc++').path).toMatch(/libstdc\+\+\.so\.6$/);
    expect(resolveUsdtBinary('/usr/bin/python3.11', 42).path).toBe('/proc/42/root/usr/bin/python3.11');
    expect(() => resolveUsdtBinary('nosuch_bin_xyz')).toThrow('unable to find binary nosuch_bin_xyz');
  });
});
