/**
 * trace's pure parts: record layout, the program shape (assembled with a stand-in lowering),
 * the specialised message renderer (held to output/trace.ts's formatConversions by property
 * tests), the per-thread cache, -I header parsing, ring sizing and option validation.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { recordLayout, argKinds, traceMaps, traceProgram, HEADER_SIZE, STACK_BYTES, type TraceLowering } from '../../../src/compile/tools/trace.js';
import { messageRenderer, renderMessage, decodeRecord, readHeader, type AddressNames } from '../../../src/compile/tools/trace-record.js';
import { TaskCache } from '../../../src/compile/tools/trace-tasks.js';
import { parseUserHeader } from '../../../src/compile/header.js';
import { ringBytes, ringbufMapSpec, DEFAULT_RING_BYTES } from '../../../src/events/ringbuf.js';
import { parseOptions } from '../../../src/multitools/trace.js';
import { funcColumn, binaryStrcmp } from '../../../src/multitools/trace-plan.js';
import { CGROUP_MAP } from '../../../src/compile/filter.js';
import { parseTraceProbe, parseFormat } from '../../../src/specs/parse.js';
import { disasm } from '../../../src/emit/disasm.js';
import { assemble } from '../../../src/emit/assemble.js';
import { alu64, jmp, st, R6 } from '../../../src/emit/asm.js';
import { ProgType, MapType } from '../../../src/emit/types.js';
import { BUILTIN_USER_TYPES } from '../../../src/compile/usertypes.js';
import { UsageError, CheckError } from '../../../src/errors.js';
import type { FormatPiece } from '../../../src/specs/ast.js';

const names: AddressNames = {
  kernel: (a) => `ksym_${a.toString(16)}+0x0`,
  user: (tgid, a) => `usym_${tgid}_${a.toString(16)}+0x0 [lib]`,
};

describe('record layout', () => {
  it('puts the header first, integers in 8 bytes, strings rounded up to 8, then the stacks', () => {
    const l = recordLayout(['int', 'string', 'int'], { stringSize: 13, kernelStack: true, userStack: true });
    expect(l.args).toEqual([
      { kind: 'int', offset: 48, size: 8 },
      { kind: 'string', offset: 56, size: 16 },
      { kind: 'int', offset: 72, size: 8 },
    ]);
    expect(l.kernelStack).toBe(80);
    expect(l.userStack).toBe(80 + STACK_BYTES);
    expect(l.size).toBe(80 + 2 * STACK_BYTES);
    expect(recordLayout([], { stringSize: 80 }).size).toBe(HEADER_SIZE);
  });

  it('derives argument kinds from the conversions', () => {
    expect(argKinds(parseFormat('%s %d %llx %c %K %%').pieces)).toEqual(['string', 'int', 'int', 'int', 'int']);
  });
});

describe('program shape', () => {
  const lowering: TraceLowering = {
    predicate: (b, label) => void b.emit(jmp.jeq.imm(R6, 0, label)),
    scalar: (b, _i, dst) => void b.emit(alu64.mov.imm(dst, 42)),
    string: (b, _i, base, off) => void b.emit(st('B', base, off, 0)),
  };
  for (const transport of ['ringbuf', 'perfbuf'] as const) {
    it(`${transport}: filters, record, arguments, stacks, and loss counting`, () => {
      const layout = recordLayout(['int', 'string'], { stringSize: 80, kernelStack: true, userStack: true });
      const events =
        transport === 'ringbuf' ? ringbufMapSpec(1 << 22) : { name: 'events', type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 2 };
      const maps = traceMaps({ transport, events, recordSize: layout.size });
      const spec = traceProgram({
        name: 'trace_0',
        progType: ProgType.Kprobe,
        probeIndex: 7,
        layout,
        maps,
        transport,
        filter: { pid: 100, uid: 0, excludePid: 5, cgroup: CGROUP_MAP },
        lowering,
      });
      const text = disasm(spec.insns);
      expect(text).toContain('call bpf_get_current_pid_tgid');
      expect(text).toContain('call bpf_current_task_under_cgroup');
      expect(text).toContain(transport === 'ringbuf' ? 'call bpf_ringbuf_reserve' : 'call bpf_perf_event_output');
      if (transport === 'ringbuf') expect(text).toContain('call bpf_ringbuf_submit');
      expect(text.match(/call bpf_get_stack#/g)?.length).toBe(2);
      expect(text).toContain('*(u32 *)(r7 +20) = 7');
      expect(spec.maps.map((m) => m.name).sort()).toEqual(transport === 'ringbuf' ? ['cgroup', 'events', 'lost'] : ['cgroup', 'events', 'lost', 'scratch']);
      const fds = new Map(spec.maps.map((m, i) => [m.name, i + 3]));
      expect(assemble(spec, fds).length).toBeGreaterThan(0);
    });
  }
});

/** A record as the program writes it. */
function record(layout: ReturnType<typeof recordLayout>, args: (bigint | string)[], o: { tgid?: number; tid?: number; comm?: string } = {}) {
  const bytes = new Uint8Array(layout.size + 16);
  const off = 8;
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(off, 123456789n, true);
  dv.setUint32(off + 8, o.tid ?? 11, true);
  dv.setUint32(off + 12, o.tgid ?? 10, true);
  dv.setUint32(off + 16, 1, true);
  dv.setUint32(off + 20, 0, true);
  bytes.set(new TextEncoder().encode(o.comm ?? 'comm'), off + 24);
  layout.args.forEach((a, i) => {
    const v = args[i]!;
    if (typeof v === 'bigint') dv.setBigUint64(off + a.offset, BigInt.asUintN(64, v), true);
    else bytes.set(new TextEncoder().encode(v).slice(0, layout.stringSize - 1), off + a.offset);
  });
  return { bytes, dv, off };
}

describe('message rendering', () => {
  const CONVS = ['d', 'i', 'u', 'x', 'X', 'o', 'c', 'p', 'K', 'U'] as const;
  const LENGTHS = ['', 'h', 'hh', 'l', 'll'] as const;

  it('prints what formatConversions prints, for every conversion, length and value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ conv: fc.constantFrom(...CONVS, 's'), length: fc.constantFrom(...LENGTHS), text: fc.string({ maxLength: 4 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.string({ maxLength: 20 }), { minLength: 6, maxLength: 6 }),
        (specs, ints, strs) => {
          const pieces: FormatPiece[] = [];
          const span = { start: 0, end: 0 };
          for (const s of specs) {
            if (s.text) pieces.push({ kind: 'text', value: s.text, span });
            pieces.push({
              kind: 'conversion',
              spec: s.conv,
              length: s.conv === 's' || s.conv === 'c' || s.conv === 'p' || s.conv === 'K' || s.conv === 'U' ? '' : s.length,
              span,
            });
          }
          const kinds = argKinds(pieces);
          const layout = recordLayout(kinds, { stringSize: 32 });
          const values = kinds.map((k, i) => (k === 'int' ? ints[i]! : strs[i]!.replace(/\0/g, '')));
          const { bytes, dv, off } = record(layout, values);
          const fast = messageRenderer(pieces, layout, names)(bytes, dv, off, 10);
          const rec = decodeRecord(layout, bytes, dv, off);
          expect(fast).toBe(renderMessage(pieces, rec.args, names, 10));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes strings up to the NUL and the string size, and bad UTF-8 as U+FFFD', () => {
    const pieces = parseFormat('[%s]').pieces;
    const layout = recordLayout(['string'], { stringSize: 8 });
    const { bytes, dv, off } = record(layout, ['abcdefghijk']);
    expect(messageRenderer(pieces, layout, names)(bytes, dv, off, 1)).toBe('[abcdefg]');
    bytes[off + layout.args[0]!.offset] = 0xff;
    expect(messageRenderer(pieces, layout, names)(bytes, dv, off, 1)).toBe('[\ufffdbcdefg]');
  });

  it('renders the C semantics of the common cases', () => {
    const render = (fmt: string, v: bigint) => {
      const pieces = parseFormat(fmt).pieces;
      const layout = recordLayout(argKinds(pieces), { stringSize: 8 });
      const r = record(layout, [v]);
      return messageRenderer(pieces, layout, names)(r.bytes, r.dv, r.off, 10);
    };
    expect(render('%d', -1n)).toBe('-1');
    expect(render('%u', -1n)).toBe('4294967295');
    expect(render('%lu', -1n)).toBe('18446744073709551615');
    expect(render('%ld', -(1n << 62n))).toBe(String(-(1n << 62n)));
    expect(render('%hhd', 0x1ffn)).toBe('-1');
    expect(render('%llx', 0x123456789abcdefn)).toBe('123456789abcdef');
    expect(render('%X', 0xabcn)).toBe('ABC');
    expect(render('%o', 8n)).toBe('10');
    expect(render('%c', 65n)).toBe('A');
    expect(render('%p', 0x7fffn)).toBe('0x7fff');
    expect(render('%K', 0xffffn)).toBe('ksym_ffff+0x0');
    expect(render('%U', 0xffffn)).toBe('usym_10_ffff+0x0 [lib]');
    expect(render('%d%%', 5n)).toBe('5%');
  });
});

describe('task cache', () => {
  it('decodes comm once per thread and notices changes', () => {
    const layout = recordLayout([], { stringSize: 8 });
    const cache = new TaskCache();
    const a = record(layout, [], { tid: 5, tgid: 4, comm: 'first' });
    const e1 = cache.get(a.bytes, a.dv, a.off);
    e1.columns = 'x';
    expect(cache.get(a.bytes, a.dv, a.off)).toBe(e1);
    expect(e1.columns).toBe('x');
    const b = record(layout, [], { tid: 5, tgid: 4, comm: 'second' });
    const e2 = cache.get(b.bytes, b.dv, b.off);
    expect(e2.comm).toBe('second');
    expect(e2.columns).toBeUndefined();
    expect(readHeader(b.bytes, b.dv, b.off)).toMatchObject({ tgid: 4, tid: 5, comm: 'second', cpu: 1, ktime: 123456789n });
  });
});

describe('-I headers', () => {
  it('lays out simple structs as C does and lists what it skips', () => {
    const h = parseUserHeader(
      `
      #include <stdint.h>
      /* comment */
      struct point { int x; int y; char tag[4]; long z; };
      typedef struct { struct point p; unsigned short s; char *name; } named_t;
      union u { char c; long l; };
      int add(struct point *p);
      #define X 1
    `,
      BUILTIN_USER_TYPES,
    );
    const point = h.records.find((r) => r.name === 'point')!;
    expect(point.size).toBe(24);
    expect(point.members().map((m) => [m.name, m.bitOffset / 8])).toEqual([
      ['x', 0],
      ['y', 4],
      ['tag', 8],
      ['z', 16],
    ]);
    const named = h.typedefs.named_t!;
    expect(named.kind === 'struct' && named.size).toBe(40);
    expect(named.kind === 'struct' && named.members().map((m) => [m.name, m.bitOffset / 8])).toEqual([
      ['p', 0],
      ['s', 24],
      ['name', 32],
    ]);
    expect(h.records.find((r) => r.name === 'u')!.size).toBe(8);
    expect(h.skipped).toEqual(['int …']); // first word only: a -I file may be anything
  });

  it('uses the built-in user types and says what it cannot read', () => {
    const h = parseUserHeader('struct w { struct timespec ts; uint32_t n; };', BUILTIN_USER_TYPES);
    expect(h.records[0]!.size).toBe(24);
    expect(() => parseUserHeader('struct w { struct nope n; };', BUILTIN_USER_TYPES)).toThrow(CheckError);
    expect(() => parseUserHeader('struct w { mystery_t n; };', BUILTIN_USER_TYPES)).toThrow(/unknown type 'mystery_t'/);
  });
});

describe('ring size', () => {
  it('is at least 4 MiB by default and pages × CPUs rounded up to a power of two with -b', () => {
    expect(ringBytes(undefined, 2, 4096)).toBe(DEFAULT_RING_BYTES);
    expect(ringBytes(64, 2, 4096)).toBe(512 * 1024);
    expect(ringBytes(64, 3, 4096)).toBe(1024 * 1024);
    expect(ringBytes(1, 1, 4096)).toBe(4096);
    expect(() => ringbufMapSpec(3000)).toThrow();
  });
});

describe('options', () => {
  it("parses BCC's options", () => {
    const o = parseOptions(['-p', '12', '-M', '3', '-tuTCK', '-U', '-a', '-Z', '40', '-I', 'a.h', '-I', 'b.h', '-s', 'x,y', '--json', 'p:c:malloc'], 'trace');
    expect(o).toMatchObject({
      pid: 12,
      maxEvents: 3,
      timestamp: true,
      unixTimestamp: true,
      time: true,
      printCpu: true,
      kernelStack: true,
      userStack: true,
      address: true,
      stringSize: 40,
      includes: ['a.h', 'b.h'],
      symFiles: ['x', 'y'],
      json: true,
      probes: ['p:c:malloc'],
    });
  });

  it('refuses -p with -L, and -b that is not a power of two', () => {
    expect(() => parseOptions(['-p', '1', '-L', '2', 'x'], 'trace')).toThrow(UsageError);
    expect(() => parseOptions(['-p', '1', '-L', '2', 'x'], 'trace')).toThrow('only one of -p and -L may be specified');
    expect(() => parseOptions(['-b', '3', 'x'], 'trace')).toThrow(/power of two/);
  });

  it('names the FUNC column as BCC does', () => {
    expect(funcColumn(parseTraceProbe('p:c:malloc+0x10'))).toBe('malloc');
    expect(funcColumn(parseTraceProbe('t:sched:sched_switch'))).toBe('sched_switch');
    expect(funcColumn(parseTraceProbe('u:/usr/bin/python3.11:python:line'))).toBe('python:line');
    expect(funcColumn(parseTraceProbe('u:pthread:pthread_create'))).toBe('pthread_create');
  });

  it('-B turns STRCMP brace initializers into bytes, without the last one', () => {
    const p = parseTraceProbe('p:c:open (STRCMP("{0x6C, 0x00, 0x41}", arg1))');
    binaryStrcmp(p.predicate!);
    const lit = p.predicate!.kind === 'strcmp' ? p.predicate!.literal : undefined;
    expect(lit?.bytes).toEqual([0x6c, 0x00]);
  });
});
