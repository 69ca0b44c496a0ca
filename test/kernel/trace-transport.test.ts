/**
 * trace's transport against the real kernel, in process: the record program on a tracepoint
 * and a uprobe, read through the BPF ring buffer and through the perf buffer fallback; exact
 * counts and header fields; and under overload, received + counted lost = produced.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { basename } from 'node:path';
import { skipKernel, isRoot, inCI } from '../helpers/kernel.js';
import { traceeWorkload as tracee, startTracee } from '../helpers/workloads.js';
import { TraceSession } from '../../src/session.js';
import { attachTargets } from '../../src/attach/targets.js';
import { RingBuffer, ringbufMapSpec, ringBytes } from '../../src/events/ringbuf.js';
import { PerfBuffer, perfEventArraySpec } from '../../src/events/perfbuf.js';
import type { EventReader } from '../../src/events/types.js';
import { recordLayout, traceMaps, traceProgram } from '../../src/compile/tools/trace.js';
import { readHeader } from '../../src/compile/tools/trace-record.js';
import { ElfFile } from '../../src/symbols/elf.js';
import { alu64 } from '../../src/emit/asm.js';
import type { ProbeTarget } from '../../src/probes/targets.js';

const skip = !isRoot && !inCI;

function setup(transport: 'ringbuf' | 'perfbuf', target: ProbeTarget, o: { tgid?: number; ringBytes?: number; pages?: number; argWords?: number } = {}) {
  const session = new TraceSession();
  const kinds = new Array(o.argWords ?? 1).fill('int' as const);
  const layout = recordLayout(kinds, { stringSize: 80 });
  const events = transport === 'ringbuf' ? ringbufMapSpec(o.ringBytes ?? ringBytes(undefined)) : perfEventArraySpec();
  const maps = traceMaps({ transport, events, recordSize: layout.size });
  const eventsMap = session.map(maps.events);
  const lost = session.map(maps.lost);
  const reader: EventReader = transport === 'ringbuf' ? RingBuffer.open(eventsMap) : PerfBuffer.open(eventsMap, o.pages);
  session.own(reader);
  attachTargets(session, [target], {
    prefix: 'trace_t',
    pid: target.kind === 'uprobe' ? o.tgid : undefined,
    build: (shape) =>
      traceProgram({
        name: shape.name,
        progType: shape.progType,
        expectedAttachType: shape.expectedAttachType,
        probeIndex: 3,
        layout,
        maps,
        transport,
        filter: { pid: o.tgid },
        // A constant argument: every record carries 0x1122334455667788 in each argument word.
        lowering: { scalar: (b, _i, dst) => b.emit(alu64.mov.imm(dst, 0x11223344), alu64.lsh.imm(dst, 32), alu64.or.imm(dst, 0x55667788)), string: () => {} },
      }),
  });
  const lostCount = () => {
    const v = lost.lookup(new Uint8Array(4));
    return v ? lost.sumU64(v) : 0n;
  };
  return { session, reader, layout, lostCount };
}

async function drainAll(reader: EventReader, onRecord: (bytes: Uint8Array, dv: DataView, off: number, len: number) => void, quietMs = 300): Promise<void> {
  let idle = 0;
  while (idle < quietMs) {
    const n = reader.drain(onRecord, 100000);
    if (n === 0) {
      await reader.wait(50);
      idle += 50;
    } else idle = 0;
  }
}

describe.skipIf(skipKernel || skip)('trace transport (kernel)', () => {
  beforeAll(() => {
    tracee();
  });

  for (const transport of ['ringbuf', 'perfbuf'] as const) {
    it(`${transport}: exactly N tracepoint records with the right header`, async () => {
      const N = 2000;
      const w = await startTracee(N);
      const { session, reader, layout } = setup(
        transport,
        { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_lseek', name: 'lseek', mechanism: 'perf' },
        { tgid: w.pid },
      );
      try {
        await w.cmd('go');
        let count = 0;
        let bad = 0;
        await drainAll(reader, (bytes, dv, off, len) => {
          count++;
          const h = readHeader(bytes, dv, off);
          if (
            len < layout.size ||
            h.tgid !== w.pid ||
            h.tid !== w.pid ||
            h.probe !== 3 ||
            h.comm !== basename(tracee()).slice(0, 15) ||
            dv.getBigUint64(off + layout.args[0].offset, true) !== 0x1122334455667788n
          )
            bad++;
        });
        expect(count).toBe(N);
        expect(bad).toBe(0);
      } finally {
        session.dispose();
        await w.end();
      }
    });
  }

  it('uprobe records; overload: received + lost = produced (ringbuf and perfbuf)', async () => {
    for (const transport of ['ringbuf', 'perfbuf'] as const) {
      const w = await startTracee(10);
      const exe = tracee();
      const elf = ElfFile.open(exe);
      const sym = elf.lookupFunction('tracee_fn')!;
      const target: ProbeTarget = {
        kind: 'uprobe',
        path: exe,
        symbol: 'tracee_fn',
        offset: elf.vaddrToFileOffset(sym.value)!,
        vaddr: sym.value,
        name: 'tracee_fn',
        mechanism: 'uprobe_multi',
      };
      const { session, reader, lostCount } = setup(transport, target, { tgid: w.pid, ringBytes: 64 * 1024, pages: 1, argWords: 4 });
      try {
        // Uprobes cost ~30 µs each on this VM: 40000 of them still overflow a 64 KiB ring.
        const M = 40000;
        await w.cmd(`flood ${M}`);
        let count = 0;
        await drainAll(reader, () => count++);
        const lost = Number(lostCount());
        expect(lost).toBeGreaterThan(0);
        expect(count + lost).toBe(M);
      } finally {
        session.dispose();
        await w.end();
      }
    }
  });
});
