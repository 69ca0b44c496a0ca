/**
 * The uprobe keeper process (dist/cli/keeper.cjs, started by keeper.ts): it makes a tool's
 * uprobe attach and detach system calls and holds the fds, so that breakpoints are never
 * installed or removed by a task with a fatal signal pending. (A SIGKILL landing while the
 * kernel installs a uprobe_multi link's breakpoints makes installation fail, and the removal
 * of those already installed fails the same way: the kernel logs "failed to unregister,
 * leaking uprobe" and keeps them. See docs/ARCHITECTURE.md, "The uprobe keeper".)
 *
 *   node keeper.cjs TOOL_PID      requests on stdin, replies on stdout (keeper-protocol.ts)
 *
 * It duplicates the tool's program fds with pidfd_getfd. When its stdin ends (the tool exited,
 * however it died) it closes whatever it still holds, newest first, and exits. It ignores
 * SIGINT, SIGTERM and SIGHUP: a signal must not make it die holding links (SIGKILL still can).
 */
import { close } from '../sys/ffi.js';
import { pidfdGetfd, pidfdOpen } from '../sys/pidfd.js';
import { SysError } from '../errors.js';
import { uprobeMultiFd, uprobePerfFds } from './fds.js';
import { decodeLine, encodeLine, LineReader, writeAll, type KeeperReply, type KeeperRequest } from './keeper-protocol.js';

export function runKeeper(pidArg: string | undefined): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => {});
  const toolPid = Number(pidArg);
  let pidfd = -1;
  let why = '';
  try {
    const fd = pidfdOpen(toolPid);
    // Still our parent once the pidfd is open: it is the tool's, not a recycled PID's.
    if (process.ppid === toolPid) pidfd = fd.value;
    else {
      fd.close();
      why = `process ${toolPid} is gone`;
    }
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }

  /** The fds of each attachment, in the order to close them; Map order is attach order. */
  const held = new Map<number, number[]>();
  const handle = (req: KeeperRequest): KeeperReply => {
    if (req.op === 'close') {
      const fds = held.get(req.id) ?? [];
      held.delete(req.id);
      for (const fd of fds) close(fd);
      return { ok: true };
    }
    if (pidfd < 0) return { fail: 'keeper', message: why };
    let prog: number;
    try {
      prog = pidfdGetfd(pidfd, req.prog);
    } catch (e) {
      return { fail: 'keeper', message: e instanceof Error ? e.message : String(e) };
    }
    try {
      held.set(req.id, req.op === 'multi' ? [uprobeMultiFd(prog, req.t)] : uprobePerfFds(prog, req.u));
      return { ok: true };
    } finally {
      close(prog);
    }
  };

  const input = new LineReader(0);
  for (let line = input.next(); line !== undefined; line = input.next()) {
    let reply: KeeperReply;
    try {
      reply = handle(decodeLine<KeeperRequest>(line));
    } catch (e) {
      reply =
        e instanceof SysError
          ? { fail: 'sys', call: e.call, errno: e.errno, code: e.code, detail: e.detail }
          : { fail: 'other', message: e instanceof Error ? e.message : String(e) };
    }
    try {
      writeAll(1, encodeLine(reply));
    } catch {
      // The tool is gone: its end of stdin closes too, and the loop ends.
    }
  }
  for (const fds of [...held.values()].reverse()) for (const fd of fds) close(fd);
  process.exit(0);
}
