/**
 * releaseFreeMemory: glibc's malloc_trim gives back free pages that free() itself keeps (a hole
 * below memory still in use is never returned by free()).
 */
import { describe, expect, it } from 'vitest';
import { allocBytes, freeBytes } from '../../../src/sys/ffi.js';
import { releaseFreeMemory } from '../../../src/sys/malloc.js';

describe('releaseFreeMemory', () => {
  it('releases a freed hole below a live allocation', () => {
    // 32 MiB in 64 KiB blocks (under glibc's mmap threshold: from the heap), then one block
    // after them that stays, so free() cannot shrink the heap from the top.
    const blocks = Array.from({ length: 512 }, () => allocBytes(64 * 1024));
    const pin = allocBytes(64);
    for (const b of blocks) freeBytes(b);
    expect(releaseFreeMemory()).toBe(true);
    freeBytes(pin);
  });
});
