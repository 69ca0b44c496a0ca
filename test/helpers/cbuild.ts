/**
 * Compiles a small C program with the host's gcc into `test/.build/` (gitignored), cached by a
 * hash of the source and flags. Returns the absolute path of the output. `-shared` in the flags
 * produces `lib<name>-<hash>.so`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '.build');

export function buildC(name: string, source: string, flags: readonly string[] = []): string {
  return build('gcc', 'c', name, source, flags);
}

/** The same for a C++ program, with g++. */
export function buildCxx(name: string, source: string, flags: readonly string[] = []): string {
  return build('g++', 'cpp', name, source, flags);
}

function build(compiler: 'gcc' | 'g++', ext: 'c' | 'cpp', name: string, source: string, flags: readonly string[]): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`buildC: bad name ${JSON.stringify(name)}`);
  const hash = createHash('sha256')
    .update(compiler === 'gcc' ? '' : 'g++\0') // C programs keep the hashes (and cached builds) they had
    .update(source)
    .update('\0')
    .update(flags.join('\0'))
    .digest('hex')
    .slice(0, 12);
  const shared = flags.includes('-shared');
  const out = join(BUILD_DIR, shared ? `lib${name}-${hash}.so` : `${name}-${hash}`);
  if (existsSync(out)) return out;
  mkdirSync(BUILD_DIR, { recursive: true });
  const src = join(BUILD_DIR, `${name}-${hash}.${ext}`);
  writeFileSync(src, source);
  const tmp = `${out}.tmp${process.pid}`;
  try {
    execFileSync(compiler, ['-o', tmp, src, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new Error(`build(${name}): ${compiler} failed:\n${err.stderr?.toString() ?? String(e)}`);
  }
  renameSync(tmp, out);
  return out;
}

/** True when gcc is available (tests that need it can skip with a reason otherwise). */
export function haveGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
