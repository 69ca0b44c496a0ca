/**
 * A whole file mapped read-only into memory (`mmap(PROT_READ, MAP_PRIVATE)`), seen as a
 * Uint8Array over the mapping. Used for /sys/kernel/btf/vmlinux, which Linux 6.16+ lets user
 * space map: one syscall instead of a read() per 4 KiB page (kernfs caps each read at a page).
 *
 * The bytes are read-only memory: writing to them kills the process (SIGSEGV). The mapping
 * stays until unmap(); the Uint8Array must not be used after that.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { mmap, munmap, view, type Pointer } from './ffi.js';

const PROT_READ = 1;
const MAP_PRIVATE = 2;

export interface MappedFile {
  readonly bytes: Uint8Array;
  /** Releases the mapping (idempotent). */
  unmap(): void;
}

/**
 * Maps all of `path` read-only; undefined when the file cannot be opened or the kernel refuses
 * to map it (older kernels, files without mmap support), so the caller can fall back to reading.
 * An empty file maps to an empty array without a mapping.
 */
export function mmapFile(path: string): MappedFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const size = st.size;
    if (size === 0) return { bytes: new Uint8Array(0), unmap: () => {} };
    const p: Pointer | null = mmap(size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p === null) return undefined;
    const bytes = new Uint8Array(view(p, size));
    let mapped = true;
    return {
      bytes,
      unmap: () => {
        if (!mapped) return;
        mapped = false;
        munmap(p, size);
      },
    };
  } finally {
    // The mapping keeps its own reference to the file.
    closeSync(fd);
  }
}
