/** `-p PID`: the process must exist before anything is resolved in its address space. */
import { existsSync } from 'node:fs';
import { ResolveError } from '../errors.js';

export function requireProcess(pid: number | undefined): void {
  if (pid !== undefined && !existsSync(`/proc/${pid}`)) throw new ResolveError(`no process with PID ${pid}`);
}
