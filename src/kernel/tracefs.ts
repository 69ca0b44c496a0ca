/**
 * Making sure tracefs is there: look at /sys/kernel/tracing and /sys/kernel/debug/tracing,
 * and mount it at /sys/kernel/tracing when we are root and it is missing.
 */
import { findTracefs } from '../symbols/tracefs.js';
import { mount, errno } from '../sys/ffi.js';
import { errnoName } from '../sys/errno.js';
import { TracerError } from '../errors.js';

let root: string | undefined;

export function requireTracefs(): string {
  if (root) return root;
  const found = findTracefs();
  if (found) return (root = found);
  if (mount('nodev', '/sys/kernel/tracing', 'tracefs', 0, null) === 0) {
    const again = findTracefs();
    if (again) return (root = again);
  }
  const e = errnoName(errno());
  throw new TracerError(`tracefs is not mounted and could not be mounted at /sys/kernel/tracing (${e})`,
    ['mount it with: mount -t tracefs nodev /sys/kernel/tracing']);
}
