import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FormatError, ResolveError } from '../../../src/errors.js';
import {
  TRACEFS_CANDIDATES,
  availableFilterFunctions,
  findTracefs,
  kprobeBlacklist,
  listTracepoints,
  parseAvailableFilterFunctions,
  parseKprobeBlacklist,
  parseTracepointFormat,
  readTracepointFormat,
  tracepointId,
} from '../../../src/symbols/tracefs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/tracefs');

/** Every fixture event, found independently of listTracepoints. */
function fixtureEvents(): { category: string; event: string }[] {
  const out: { category: string; event: string }[] = [];
  for (const cat of readdirSync(join(root, 'events'), { withFileTypes: true })) {
    if (!cat.isDirectory()) continue;
    for (const ev of readdirSync(join(root, 'events', cat.name), { withFileTypes: true })) {
      if (ev.isDirectory() && existsSync(join(root, 'events', cat.name, ev.name, 'format'))) {
        out.push({ category: cat.name, event: ev.name });
      }
    }
  }
  return out;
}

describe('parseTracepointFormat on every fixture', () => {
  for (const { category, event } of fixtureEvents()) {
    it(`${category}:${event} matches its file line by line`, () => {
      const text = readFileSync(join(root, 'events', category, event, 'format'), 'utf8');
      const f = parseTracepointFormat(text);
      expect(f.name).toBe(event);
      expect(f.id).toBe(Number(/^ID: (\d+)$/m.exec(text)![1]));
      expect(f.id).toBe(tracepointId(root, category, event));
      const raw = text.split('\n').filter((l) => l.includes('field:'));
      expect(f.fields).toHaveLength(raw.length);
      raw.forEach((line, k) => {
        const parts = Object.fromEntries(
          line
            .trim()
            .split(';')
            .filter((p) => p.includes(':'))
            .map((p) => {
              const c = p.indexOf(':');
              return [p.slice(0, c).trim(), p.slice(c + 1).trim()];
            }),
        );
        const field = f.fields[k]!;
        expect(field.offset).toBe(Number(parts.offset));
        expect(field.size).toBe(Number(parts.size));
        expect(field.signed).toBe(parts.signed === '1');
        expect(parts.field!.endsWith(field.name) || parts.field!.includes(`${field.name}[`)).toBe(true);
        expect(field.isCommon).toBe(field.name.startsWith('common_'));
        expect(field.dataLoc).toBe(parts.field!.startsWith('__data_loc'));
      });
      expect(f.printFmt).toBe(/^print fmt: (.*)$/m.exec(text)![1]);
      expect(f.fields.slice(0, 4).map((x) => x.name)).toEqual(['common_type', 'common_flags', 'common_preempt_count', 'common_pid']);
    });
  }
});

describe('parseTracepointFormat details', () => {
  const fmt = (cat: string, ev: string) => readTracepointFormat(root, cat, ev);
  const field = (cat: string, ev: string, name: string) => fmt(cat, ev).fields.find((f) => f.name === name)!;

  it('pointer, integer and common fields', () => {
    expect(field('syscalls', 'sys_enter_openat', 'filename')).toEqual({
      name: 'filename',
      cType: 'const char *',
      offset: 24,
      size: 8,
      signed: false,
      isCommon: false,
      dataLoc: false,
    });
    expect(field('syscalls', 'sys_enter_openat', 'common_pid')).toMatchObject({
      cType: 'int',
      offset: 4,
      size: 4,
      signed: true,
      isCommon: true,
    });
    expect(field('syscalls', 'sys_exit_openat', 'ret')).toMatchObject({ cType: 'long', offset: 16, size: 8, signed: true });
    expect(field('syscalls', 'sys_enter_openat', 'mode')).toMatchObject({ cType: 'umode_t', size: 8 });
  });

  it('fixed arrays', () => {
    expect(field('sched', 'sched_switch', 'prev_comm')).toMatchObject({
      cType: 'char[16]',
      offset: 8,
      size: 16,
      arrayLength: 16,
      dataLoc: false,
    });
    expect(field('raw_syscalls', 'sys_enter', 'args')).toMatchObject({
      cType: 'unsigned long[6]',
      offset: 16,
      size: 48,
      arrayLength: 6,
    });
    expect(field('bridge', 'br_fdb_add', 'addr')).toMatchObject({ cType: 'unsigned char[6]', size: 6, arrayLength: 6 });
    expect(field('sock', 'inet_sock_set_state', 'saddr')).toMatchObject({ cType: '__u8[4]', offset: 32, arrayLength: 4 });
    expect(field('ftrace', 'function', 'args')).toMatchObject({ cType: 'unsigned long[]', size: 0, arrayLength: 0 });
    expect(field('sched', 'sched_switch', 'prev_pid')).not.toHaveProperty('arrayLength');
  });

  it('__data_loc fields', () => {
    expect(field('sched', 'sched_process_exec', 'filename')).toEqual({
      name: 'filename',
      cType: 'char[]',
      offset: 8,
      size: 4,
      signed: false,
      isCommon: false,
      dataLoc: true,
    });
    expect(field('irq', 'irq_handler_entry', 'name')).toMatchObject({ cType: 'char[]', offset: 12, dataLoc: true });
    expect(field('dma', 'dma_map_sg', 'phys_addrs')).toMatchObject({ cType: 'u64[]', dataLoc: true });
    expect(field('dma', 'dma_map_sg', 'lengths')).toMatchObject({ cType: 'unsigned int[]', dataLoc: true });
    expect(field('ipi', 'ipi_send_cpumask', 'cpumask')).toMatchObject({ cType: 'cpumask_t', dataLoc: true });
    expect(field('block', 'block_rq_complete', 'cmd')).toMatchObject({ offset: 44, size: 4, dataLoc: true });
  });

  it('__rel_loc, missing signed:, and malformed input', () => {
    const f = parseTracepointFormat(
      'name: x\nID: 7\nformat:\n\tfield:__rel_loc char[] s;\toffset:8;\tsize:4;\tsigned:0;\n' +
        '\tfield:int old;\toffset:12;\tsize:4;\n\nprint fmt: "%s", __get_rel_str(s)\n',
    );
    expect(f.fields[0]).toMatchObject({ name: 's', cType: 'char[]', dataLoc: true, relLoc: true });
    expect(f.fields[1]).toMatchObject({ name: 'old', signed: false });
    expect(f.printFmt).toBe('"%s", __get_rel_str(s)');
    expect(() => parseTracepointFormat('ID: 1\n')).toThrow(FormatError);
    expect(() => parseTracepointFormat('name: x\n')).toThrow(FormatError);
    expect(() => parseTracepointFormat('name: x\nID: 1\n\tfield:int;\toffset:8;\tsize:4;\tsigned:1;\n')).toThrow(FormatError);
    expect(() => parseTracepointFormat('name: x\nID: 1\n\tfield:int a;\toffset:x;\n')).toThrow(FormatError);
  });

  it('unknown tracepoints are ResolveErrors', () => {
    expect(() => readTracepointFormat(root, 'sched', 'nosuch')).toThrow(ResolveError);
    expect(() => tracepointId(root, 'nosuch', 'x')).toThrow(/tracepoint nosuch:x does not exist/);
  });
});

describe('listing and host files on the fixture root', () => {
  it('lists events with an id, skipping ftrace, control files and id-less dirs', () => {
    const names = listTracepoints(root).map((t) => `${t.category}:${t.event}`);
    expect([...names].sort()).toEqual([
      'block:block_rq_complete',
      'bridge:br_fdb_add',
      'dma:dma_map_sg',
      'ipi:ipi_send_cpumask',
      'irq:irq_handler_entry',
      'raw_syscalls:sys_enter',
      'sched:sched_process_exec',
      'sched:sched_switch',
      'sock:inet_sock_set_state',
      'syscalls:sys_enter_openat',
      'syscalls:sys_exit_openat',
    ]);
  });

  it('findTracefs takes the first candidate with events/ or available_events', () => {
    expect(TRACEFS_CANDIDATES).toEqual(['/sys/kernel/tracing', '/sys/kernel/debug/tracing']);
    expect(findTracefs(['/nonexistent', root])).toBe(root);
    expect(findTracefs(['/nonexistent', join(root, 'events')])).toBeUndefined();
  });

  it('available_filter_functions: module suffix dropped, deduplicated, placeholders skipped', () => {
    expect(availableFilterFunctions(root)).toEqual([
      'run_init_process',
      'try_to_run_init_process',
      'do_one_initcall',
      'vfs_read',
      'vfs_write',
      'xfs_file_read_iter',
      'ext4_file_read_iter',
      'btrfs_file_read_iter',
    ]);
    expect(parseAvailableFilterFunctions('ffffffff81000d30 x86_64_start_kernel\nffffffffc0a01000 xfs_foo [xfs]\n')).toEqual(['x86_64_start_kernel', 'xfs_foo']);
    expect(() => availableFilterFunctions('/nonexistent')).toThrow(ResolveError);
  });

  it('kprobe blacklist: parsed, missing file is an empty set', () => {
    expect([...kprobeBlacklist(join(root, 'kprobes_blacklist'))]).toEqual(['do_int3', 'notify_die', 'mod_func']);
    expect(kprobeBlacklist('/nonexistent/blacklist').size).toBe(0);
    expect(parseKprobeBlacklist('').size).toBe(0);
    expect(kprobeBlacklist()).toBeInstanceOf(Set);
  });
});

describe('live tracefs', () => {
  const live = findTracefs();
  const ci = process.env.CI === 'true';

  it('is mounted (required with CI=true)', (ctx) => {
    if (!live) {
      if (ci) expect.fail(`tracefs is not mounted at ${TRACEFS_CANDIDATES.join(' or ')} (mount -t tracefs nodev /sys/kernel/tracing)`);
      ctx.skip();
    }
    expect(live).toBeDefined();
  });

  it('lists tracepoints and parses every sched and syscalls:*openat* format', (ctx) => {
    if (!live) {
      if (ci) expect.fail('tracefs is not mounted');
      ctx.skip();
      return;
    }
    const tps = listTracepoints(live);
    expect(tps.length).toBeGreaterThan(100);
    expect(tps.some((t) => t.category === 'ftrace')).toBe(false);
    const names = new Set(tps.map((t) => `${t.category}:${t.event}`));
    expect(names.has('sched:sched_switch')).toBe(true);
    expect(names.has('raw_syscalls:sys_enter')).toBe(true);
    for (const t of tps.filter((x) => x.category === 'sched' || (x.category === 'syscalls' && x.event.includes('openat')))) {
      const f = readTracepointFormat(live, t.category, t.event);
      expect(f.name).toBe(t.event);
      expect(f.id).toBe(tracepointId(live, t.category, t.event));
      expect(f.fields[0]).toMatchObject({ name: 'common_type', offset: 0, size: 2, isCommon: true });
    }
    const sw = readTracepointFormat(live, 'sched', 'sched_switch');
    expect(sw.fields.find((x) => x.name === 'prev_comm')).toMatchObject({ cType: 'char[16]', size: 16, arrayLength: 16 });
  });

  it('parses every format file of the running kernel', (ctx) => {
    if (!live) {
      if (ci) expect.fail('tracefs is not mounted');
      ctx.skip();
      return;
    }
    let n = 0;
    for (const t of listTracepoints(live)) {
      const f = readTracepointFormat(live, t.category, t.event);
      for (const fld of f.fields) {
        expect(fld.offset + fld.size, `${t.category}:${t.event}.${fld.name}`).toBeLessThanOrEqual(65536);
      }
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });
});

describe('dynamic events (not tracepoints of their own)', async () => {
  const { parseDynamicEvents } = await import('../../../src/symbols/tracefs.js');
  it("dynamic_events lines name group and event; a definition without a group takes its type's", () => {
    const text = [
      'p:kprobes/p_do_sys_open do_sys_open',
      'r:mygrp/sched_switch schedule $retval',
      'p:uprobes/p_bash_0x4245c0 /bin/bash:0x00000000004245c0',
      's:synthetic/wakeup_latency u64 lat; pid_t pid',
      'e:eprobes/sw sched/sched_switch',
      'f:fp_open do_sys_open',
      '',
    ].join('\n');
    expect(parseDynamicEvents(text)).toEqual([
      'kprobes:p_do_sys_open',
      'mygrp:sched_switch',
      'uprobes:p_bash_0x4245c0',
      'synthetic:wakeup_latency',
      'eprobes:sw',
      'fprobes:fp_open',
    ]);
    expect(parseDynamicEvents('wakeup_latency u64 lat; pid_t pid\n', { synthetic: true })).toEqual(['synthetic:wakeup_latency']);
  });
});
