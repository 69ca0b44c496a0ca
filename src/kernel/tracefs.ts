/**
 * Making sure tracefs is there: look at /sys/kernel/tracing and /sys/kernel/debug/tracing,
 * and mount it at /sys/kernel/tracing when we are root and it is missing.
 */
import { findTracefs, TRACEFS_CANDIDATES } from '../symbols/tracefs.js';
import { mount, errno } from '../sys/ffi.js';
import { errnoName } from '../sys/errno.js';
import { TracerError } from '../errors.js';

let root: string | undefined;

export function requireTracefs(): string {
  if (root) return root;
  // Test hook: POLYTRACE_TEST_TRACEFS=DIR looks (and would mount) there instead.
  // An env var: test/kernel/failures.test.ts runs the real CLI as a child process, no other seam reaches it.
  const testDir = process.env['POLYTRACE_TEST_TRACEFS'];
  const candidates = testDir ? [testDir] : TRACEFS_CANDIDATES;
  const target = candidates[0]!;
  const found = findTracefs(candidates);
  if (found) return (root = found);
  if (mount('nodev', target, 'tracefs', 0, null) === 0) {
    const again = findTracefs(candidates);
    if (again) return (root = again);
  }
  const e = errnoName(errno());
  throw new TracerError(`tracefs is not mounted and could not be mounted at ${target} (${e})`, [`mount it with: mount -t tracefs nodev ${target}`]);
}
