/**
 * Issue 20: -I reads only regular files of a sane size, without blocking, and quotes no more
 * of what it could not read than a first word, control characters escaped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResolveError } from '../../../src/errors.js';
import { loadHeaders, MAX_HEADER_BYTES } from '../../../src/multitools/trace-plan.js';

const dir = mkdtempSync(join(tmpdir(), 'polytrace-headers-'));

describe('-I header files', () => {
  it('devices, FIFOs and directories are refused without reading', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const f of ['/dev/zero', fifo, dir]) {
      expect(() => loadHeaders([f]), f).toThrow(ResolveError);
      expect(() => loadHeaders([f]), f).toThrow(`cannot read header ${f}: not a regular file`);
    }
  });

  it('a file larger than 1 MiB is refused; a missing one says why', () => {
    const big = join(dir, 'big.h');
    writeFileSync(big, Buffer.alloc(MAX_HEADER_BYTES + 1, 0x20));
    expect(() => loadHeaders([big])).toThrow(/too large for a header \(at most 1048576\)/);
    expect(() => loadHeaders([join(dir, 'missing.h')])).toThrow(/cannot read header .*missing\.h: ENOENT/);
  });

  it('what is not a struct is quoted by its first word only, control characters escaped', () => {
    const secret = join(dir, 'shadow');
    writeFileSync(secret, 'root:$6$saltsalt$hashhashhash:19000:0:99999:7::: secretword;\n\u001b[31mred\u0007 more words;\n');
    const { notes } = loadHeaders([secret]);
    expect(notes.join('\n')).not.toContain('secretword');
    for (const n of notes) expect([...n].every((ch) => ch.charCodeAt(0) >= 0x20)).toBe(true);
    expect(notes[0]).toContain("ignored 'root …'");
    expect(notes.join('\n')).not.toContain('$6$');
    expect(notes[1]).toContain("ignored '\\x1b …'");
  });

  it('at most five notes per header, then a count', () => {
    const many = join(dir, 'many.h');
    writeFileSync(many, 'int a;\n'.repeat(20));
    const { notes } = loadHeaders([many]);
    expect(notes).toHaveLength(6);
    expect(notes[5]).toBe(`${many}: ignored 15 more statements that are not struct declarations`);
  });

  it('a struct still reads', () => {
    const h = join(dir, 'ok.h');
    writeFileSync(h, 'struct point { int x; int y; };\n');
    expect(loadHeaders([h]).types.record('struct', 'point')?.size).toBe(8);
  });
});
