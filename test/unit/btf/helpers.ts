/** Shared helpers for the BTF tests: fixture loading and bpftool output parsing. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BtfSpec } from '../../../src/btf/spec.js';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/btf/', import.meta.url));

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${name}`));
}

const cache = new Map<string, BtfSpec>();
/** A fixture parsed once per test file; `split*.btf` get `kinds*.btf` as base. */
export function fixture(name: string): BtfSpec {
  let s = cache.get(name);
  if (!s) {
    const base = name.startsWith('split') ? fixture(name.replace('split', 'kinds')) : undefined;
    s = BtfSpec.parse(fixtureBytes(name), base ? { base } : {});
    cache.set(name, s);
  }
  return s;
}

export const BPFTOOL = ['/usr/sbin/bpftool', '/usr/bin/bpftool', '/sbin/bpftool'].find((p) => existsSync(p));

export function bpftool(args: string[]): string {
  if (!BPFTOOL) throw new Error('bpftool not installed');
  return execFileSync(BPFTOOL, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
}

/**
 * Splits `bpftool btf dump … format c` output into declarations keyed `struct x`, `union x`,
 * `enum x`, `typedef x`; a definition wins over a forward declaration.
 */
export function formatCBlocks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.split('\n\n')) {
    const first = block.split('\n')[0]!;
    let key: string | undefined;
    const m = /^(struct|union|enum) (\w+)( \{|;$)/.exec(first);
    if (m) key = `${m[1]} ${m[2]}`;
    else if (block.startsWith('typedef ')) {
      const n = /\b(\w+)(?:\[\d+\])*\)?\(.*\);$/s.exec(block) ?? /\b(\w+)(?:\[\d+\])*;$/.exec(block);
      if (n) key = `typedef ${n[1]}`;
    }
    if (!key) continue;
    const prev = out.get(key);
    if (prev === undefined || (!prev.includes('{') && block.includes('{'))) out.set(key, block);
  }
  return out;
}

/** First differing line of two texts, for readable failures. */
export function firstDiff(actual: string, expected: string): string | undefined {
  const a = actual.split('\n');
  const b = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  ours:    ${JSON.stringify(a[i])}\n  bpftool: ${JSON.stringify(b[i])}`;
  }
  return undefined;
}
