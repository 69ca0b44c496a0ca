/** Issue 20: --svg and --heatmap files that cannot be written are one-line errors, found before tracing. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TracerError } from '../../../src/errors.js';
import { checkOutputFile, writeOutputFile } from '../../../src/report/output-file.js';

describe('output files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polytrace-out-'));

  it('a missing directory, a directory, an unwritable place: TracerErrors naming the option', () => {
    expect(() => checkOutputFile('--svg', '/nonexistent/x.svg')).toThrow(TracerError);
    expect(() => checkOutputFile('--svg', '/nonexistent/x.svg')).toThrow('cannot write --svg /nonexistent/x.svg: ENOENT on /nonexistent');
    expect(() => checkOutputFile('--heatmap', dir)).toThrow(`cannot write --heatmap ${dir}: it is a directory`);
    expect(() => checkOutputFile('--svg', '/etc/passwd/x.svg')).toThrow('/etc/passwd is not a directory');
    expect(() => writeOutputFile('--svg', '/nonexistent/x.svg', 'x')).toThrow('cannot write --svg /nonexistent/x.svg: ENOENT');
  });

  it('a writable path passes and is written', () => {
    const f = join(dir, 'a.svg');
    checkOutputFile('--svg', f);
    writeOutputFile('--svg', f, '<svg/>');
    expect(readFileSync(f, 'utf8')).toBe('<svg/>');
  });
});
