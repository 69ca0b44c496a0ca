/** tracefs kprobe_events: our group name, event names, the lines we write, and finding stale groups. */
import { describe, it, expect } from 'vitest';
import { kprobeGroup, kprobeEventName, kprobeEventLine, parseKprobeEvents, staleKprobeEvents } from '../../../src/attach/kprobe.js';

describe('kprobe_events lines', () => {
  it('tags entries with polytrace_<pid>', () => {
    expect(kprobeGroup(4242)).toBe('polytrace_4242');
    expect(kprobeGroup()).toBe(`polytrace_${process.pid}`);
  });

  it('names events p_/r_ + sanitized symbol (+ offset), unique and at most 63 characters', () => {
    const none = () => false;
    expect(kprobeEventName({ symbol: 'vfs_read', ret: false }, none)).toBe('p_vfs_read');
    expect(kprobeEventName({ symbol: 'vfs_read', ret: true }, none)).toBe('r_vfs_read');
    expect(kprobeEventName({ symbol: 'tcp_v4_connect.isra.0', ret: false }, none)).toBe('p_tcp_v4_connect_isra_0');
    expect(kprobeEventName({ symbol: 'vfs_read', offset: 0x10n, ret: false }, none)).toBe('p_vfs_read_10');
    const taken = new Set(['p_vfs_read', 'p_vfs_read_1']);
    expect(kprobeEventName({ symbol: 'vfs_read', ret: false }, (n) => taken.has(n))).toBe('p_vfs_read_2');
    const long = kprobeEventName({ symbol: 'x'.repeat(200), ret: false }, none);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(/^[A-Za-z_][A-Za-z0-9_]*$/.test(long)).toBe(true);
  });

  it('writes p:/r: lines with the offset in decimal', () => {
    expect(kprobeEventLine('polytrace_7', 'p_vfs_read', { symbol: 'vfs_read', ret: false })).toBe('p:polytrace_7/p_vfs_read vfs_read');
    expect(kprobeEventLine('polytrace_7', 'r_vfs_read', { symbol: 'vfs_read', ret: true })).toBe('r:polytrace_7/r_vfs_read vfs_read');
    expect(kprobeEventLine('polytrace_7', 'p_f_10', { symbol: 'f', offset: 16n, ret: false })).toBe('p:polytrace_7/p_f_10 f+16');
  });

  it('parses what the kernel prints back, including maxactive and fetch args', () => {
    const text = [
      'p:polytrace_12/p_vfs_read vfs_read',
      'r16:polytrace_12/r_vfs_write vfs_write',
      'p:kprobes/myprobe do_sys_open+8 dfd=%ax filename=%dx',
      'garbage',
      '',
    ].join('\n');
    expect(parseKprobeEvents(text)).toEqual([
      { kind: 'p', group: 'polytrace_12', event: 'p_vfs_read', location: 'vfs_read' },
      { kind: 'r', group: 'polytrace_12', event: 'r_vfs_write', location: 'vfs_write' },
      { kind: 'p', group: 'kprobes', event: 'myprobe', location: 'do_sys_open+8' },
    ]);
  });

  it('finds only polytrace groups of dead processes, never our own or other tools', () => {
    const lines = parseKprobeEvents(
      [
        'p:polytrace_100/p_a a', // dead
        'p:polytrace_200/p_b b', // alive
        'p:polytrace_300/p_c c', // ourselves
        'p:polytrace_x/p_d d',
        'p:kprobes/p_e e',
        'r:polytrace_100/r_f f', // dead
      ].join('\n'),
    );
    const stale = staleKprobeEvents(lines, (pid) => pid === 200, 300);
    expect(stale.map((l) => `${l.group}/${l.event}`)).toEqual(['polytrace_100/p_a', 'polytrace_100/r_f']);
  });
});
