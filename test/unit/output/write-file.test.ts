/**
 * Output files (--svg, --heatmap): checked before a trace starts, written whole through a new
 * file renamed into place, never through a symlink, and a failed write is one line, not a crash.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputPath, OutputFile, outputPathProblem, writeOutputFile } from '../../../src/output/write-file.js';
import { TracerError, UsageError } from '../../../src/errors.js';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, renameSync: vi.fn(real.renameSync) };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'polytrace-write-'));
});
afterEach(() => {
  vi.mocked(fs.renameSync).mockRestore?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('checkOutputPath (before attaching)', () => {
  it('refuses a missing directory, a directory, a file as directory, with exit 2', () => {
    for (const [path, msg] of [
      ['/nonexistent/dir/x.svg', /argument --svg: cannot write \/nonexistent\/dir\/x.svg: directory \/nonexistent\/dir does not exist \(ENOENT\)/],
      [dir, /is a directory/],
      [join(dir, 'f', 'x.svg'), /is not a directory/],
      ['', /the path is empty/],
    ] as const) {
      if (path.includes('/f/')) writeFileSync(join(dir, 'f'), '');
      let err: unknown;
      try {
        checkOutputPath('--svg', path);
      } catch (e) {
        err = e;
      }
      expect(err, path).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('accepts a new file or an existing regular file, and no path at all', () => {
    expect(() => checkOutputPath('--svg', join(dir, 'new.svg'))).not.toThrow();
    writeFileSync(join(dir, 'old.svg'), 'x');
    expect(() => checkOutputPath('--svg', join(dir, 'old.svg'))).not.toThrow();
    expect(() => checkOutputPath('--svg', undefined)).not.toThrow();
  });

  it('refuses a symlink, naming where it points', () => {
    symlinkSync('/etc/hostname', join(dir, 'x.svg'));
    expect(outputPathProblem(join(dir, 'x.svg'))).toBe(
      `${join(dir, 'x.svg')} is a symbolic link (to /etc/hostname); output files are never written through a symlink`,
    );
    expect(() => checkOutputPath('--heatmap', join(dir, 'x.svg'))).toThrow(UsageError);
  });
});

describe('writeOutputFile', () => {
  it('writes the whole content, mode 0644 whatever the umask, replacing the old file', () => {
    const f = join(dir, 'out.svg');
    writeFileSync(f, 'old content that is longer');
    const old = process.umask(0);
    try {
      writeOutputFile(f, '<svg/>');
    } finally {
      process.umask(old);
    }
    expect(readFileSync(f, 'utf8')).toBe('<svg/>');
    expect(statSync(f).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['out.svg']);
  });

  it('a symlink planted at the path (to a root-owned file) is refused and its target unchanged', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n', { mode: 0o644 });
    if (process.getuid?.() === 0) chownSync(victim, 0, 0);
    const link = join(dir, 'x.svg');
    symlinkSync(victim, link);
    expect(() => writeOutputFile(link, 'evil')).toThrow(TracerError);
    expect(() => writeOutputFile(link, 'evil')).toThrow(/x\.svg is a symbolic link \(to .*victim\)/);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['victim', 'x.svg']);
  });

  it('a failed rename leaves no temporary file behind and is one line', () => {
    vi.mocked(fs.renameSync).mockImplementationOnce(() => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), { code: 'EXDEV' });
    });
    const f = join(dir, 'out.svg');
    expect(() => writeOutputFile(f, 'data')).toThrow(`cannot write ${f} (EXDEV: cross-device link not permitted)`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a directory that vanished: one line naming it', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    rmSync(sub, { recursive: true });
    expect(() => writeOutputFile(join(sub, 'x.svg'), 'data')).toThrow(/^cannot write .*sub\/x\.svg: directory .*sub does not exist \(ENOENT\)$/);
  });
});

describe('OutputFile (rewritten every interval)', () => {
  it('a failed write says so once, on one line, and the run goes on; a later success clears it', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const lines: string[] = [];
    const file = new OutputFile(join(sub, 'fg.svg'), 'flame graph', 'stackcount', (l) => lines.push(l));
    expect(file.write('one')).toBe(true);
    expect(file.failed).toBe(false);
    rmSync(sub, { recursive: true });
    expect(file.write('two')).toBe(false);
    expect(file.write('three')).toBe(false);
    expect(file.failed).toBe(true);
    expect(lines).toEqual([
      `stackcount: cannot write ${join(sub, 'fg.svg')}: directory ${sub} does not exist (ENOENT): the flame graph was not written; the text report is on stdout\n`,
    ]);
    mkdirSync(sub);
    expect(file.write('four')).toBe(true);
    expect(file.failed).toBe(false);
    expect(readFileSync(join(sub, 'fg.svg'), 'utf8')).toBe('four');
  });
});
