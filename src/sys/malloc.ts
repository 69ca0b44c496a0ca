/**
 * Returning freed native memory to the kernel (issue 20). glibc keeps what is freed in its
 * arenas: the main heap and one arena per thread that allocated (V8's background GC and
 * compiler threads, libuv's pool), reusing it but rarely shrinking them. In the stackcount
 * churn soak they held about half of the anonymous RSS (25 MB of heap, 25 MB over four thread
 * arenas) while V8's own heap was 5 MB. `malloc_trim` walks every arena and releases whole free
 * pages (a few hundred microseconds here), so a long-running tool calls it after each report.
 */
import { mallocTrim } from './ffi.js';

/** Give free malloc memory back (glibc); false where there is nothing to do or no such call. */
export function releaseFreeMemory(): boolean {
  return mallocTrim();
}
