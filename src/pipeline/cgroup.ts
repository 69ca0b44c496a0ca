/**
 * `-c CGROUP` (trace, funclatency): the one-slot cgroup array the filter prologue reads,
 * filled with the cgroup directory's fd. The kernel takes the fd of a cgroup v2 directory
 * only; anything else is EBADF, said in the user's terms.
 */
import { closeSync, openSync } from 'node:fs';
import { CGROUP_MAP } from '../compile/filter.js';
import type { MapSpec } from '../emit/types.js';
import { ResolveError, SysError } from '../errors.js';
import type { TraceSession } from '../session.js';

export function cgroupFilterMap(session: TraceSession, path: string): MapSpec {
  const map = session.map(CGROUP_MAP);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ResolveError(`cannot open cgroup ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, fd, true);
    map.update(new Uint8Array(4), value);
  } catch (e) {
    if (e instanceof SysError && e.code === 'EBADF') {
      throw new ResolveError(`${path} is not a cgroup v2 directory`, ['use a directory under the cgroup2 mount (see: mount -t cgroup2)']);
    }
    throw e;
  } finally {
    closeSync(fd);
  }
  return CGROUP_MAP;
}
