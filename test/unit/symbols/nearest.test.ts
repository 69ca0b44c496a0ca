/** `nearest`: the names a "did you mean" hint offers. */
import { describe, expect, it } from 'vitest';
import { didYouMean, nearest } from '../../../src/symbols/nearest.js';

const TOOLS = ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount', 'list', 'features', 'completion'];

describe('nearest', () => {
  it('a typo: edit distance, nearest first', () => {
    expect(nearest(TOOLS, 'funcount')).toEqual(['funccount']);
    expect(nearest(TOOLS, 'stakcount')).toEqual(['stackcount']);
    expect(nearest(TOOLS, 'tarce')).toEqual(['trace']);
    expect(nearest(['sched_switch', 'sched_waking', 'sched_wakeup'], 'sched_wakup')).toEqual(['sched_wakeup', 'sched_waking']);
  });

  it('no typo close enough: names sharing half the word as a prefix, or containing it', () => {
    expect(nearest(['sched:sched_switch', 'sched:sched_process_exec', 'irq:irq_handler_entry'], 'sched:nosuch')).toEqual([
      'sched:sched_switch',
      'sched:sched_process_exec',
    ]);
    expect(nearest(['vfs_read', 'ksys_read', 'vfs_readv'], 'read', 2)).toEqual(['vfs_read', 'ksys_read']);
  });

  it('glob characters are ignored; nothing near is []', () => {
    expect(nearest(['vfs_read', 'vfs_write'], 'vfs_reed*')).toEqual(['vfs_read']);
    expect(nearest(TOOLS, 'zzzzzz')).toEqual([]);
    expect(nearest(TOOLS, '*')).toEqual([]);
    expect(nearest(TOOLS, 'trace')).toEqual([]);
  });

  it('didYouMean', () => {
    expect(didYouMean([])).toBe('');
    expect(didYouMean(['a'])).toBe('did you mean a?');
    expect(didYouMean(['a', 'b', 'c'])).toBe('did you mean a, b or c?');
  });
});
