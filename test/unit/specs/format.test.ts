import { describe, expect, test } from 'vitest';
import { parseFormat } from '../../../src/specs/parse.js';
import { printFormat } from '../../../src/specs/print.js';
import { syntaxError, underCaret } from './helpers.js';

describe('format strings', () => {
  test('pieces with spans', () => {
    expect(parseFormat('size = %d\\n')).toEqual({
      pieces: [
        { kind: 'text', value: 'size = ', span: { start: 0, end: 7 } },
        { kind: 'conversion', spec: 'd', length: '', span: { start: 7, end: 9 } },
        { kind: 'text', value: '\n', span: { start: 9, end: 11 } },
      ],
      span: { start: 0, end: 11 },
    });
  });

  test('every conversion BCC accepts, plus %i %X %o %p', () => {
    const convs = ['%s', '%d', '%u', '%x', '%c', '%K', '%U', '%ld', '%lu', '%lld', '%llu', '%lx', '%llx', '%hd', '%hu', '%i', '%X', '%o', '%p', '%hhx', '%lli'];
    const f = parseFormat(convs.join(' '));
    expect(f.pieces.filter((p) => p.kind === 'conversion').map((p) => (p.kind === 'conversion' ? `%${p.length}${p.spec}` : ''))).toEqual(convs);
  });

  test('adjacent conversions and %%', () => {
    expect(parseFormat('%d%d').pieces.map((p) => p.kind)).toEqual(['conversion', 'conversion']);
    expect(parseFormat('%d%%').pieces).toMatchObject([
      { kind: 'conversion', spec: 'd' },
      { kind: 'text', value: '%' },
    ]);
    expect(parseFormat('100%% sure').pieces).toEqual([{ kind: 'text', value: '100% sure', span: { start: 0, end: 10 } }]);
  });

  test('escapes', () => {
    expect(parseFormat('\\"\\\\\\n\\t\\x41\\101').pieces).toEqual([{ kind: 'text', value: '"\\\n\tAA', span: { start: 0, end: 16 } }]);
  });

  test.each([
    ['%q', "unsupported format conversion '%q'", '%q'],
    ['a %5d', "width/flags not supported in '%5d'", '%5d'],
    ['%-d', "width/flags not supported in '%-d'", '%-d'],
    ['%.3s', "width/flags not supported in '%.3s'", '%.3s'],
    ['%f', "unsupported format conversion '%f'", '%f'],
    ['%ls', "unsupported format conversion '%ls'", '%ls'],
    ['%zu', "unsupported format conversion '%zu'", '%zu'],
    ['50%', "incomplete format conversion '%'", '%'],
    ['\\q', "unknown escape sequence '\\q'", '\\q'],
    ['\\xZZ', "invalid escape sequence '\\x' (expected \\xHH)", '\\x'],
    ['\\777', "octal escape sequence '\\777' is out of range", '\\777'],
  ])('rejects %s', (src, message, at) => {
    const e = syntaxError(() => parseFormat(src));
    expect(e.message).toBe(message);
    expect(underCaret(e)).toBe(at);
  });

  test('print re-escapes', () => {
    expect(printFormat(parseFormat('say \\"hi\\" %s\\t100%%\\x01'))).toBe('"say \\"hi\\" %s\\t100%%\\x01"');
  });
});
