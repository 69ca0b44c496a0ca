/**
 * The tool's side of the uprobe keeper (keeper-main.ts): a helper process, started once per
 * run when the tool attaches uprobes or USDT probes, that makes those attach and detach system
 * calls for it and holds the fds. A tool killed by SIGKILL (or any fatal signal) while the
 * kernel installs or removes breakpoints leaves them in every process that maps the file; in
 * the keeper, no fatal signal is pending, whatever happens to the tool.
 *
 * - started without waiting (`startKeeper`, before the programs load); the first attach waits
 *   for it to read its pipe;
 * - its own session (detached): the terminal's Ctrl-C goes to the tool only;
 * - requests and replies are synchronous, over two close-on-exec pipes, so nothing the tool
 *   starts later inherits them: when the tool exits, however, the keeper's stdin ends, and it
 *   closes what it holds and exits. A detach (Link.close) returns once the keeper has closed
 *   the fds, so `Detaching...` still means detached;
 * - where it cannot start or cannot act (feature `uprobe_keeper` unavailable or disabled, no
 *   dist/cli/keeper.cjs, pidfd_getfd refused) the tool attaches itself, as before.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { close } from '../sys/ffi.js';
import { pipeCloexec } from '../sys/pidfd.js';
import { SysError } from '../errors.js';
import { haveUprobeKeeper } from '../features/probes.js';
import { FdLink, type Link } from './link.js';
import { decodeLine, encodeLine, LineReader, writeAll, type KeeperAttach, type KeeperReply, type KeeperRequest } from './keeper-protocol.js';
import type { LoadedProgram } from '../kernel/program.js';

class Keeper {
  readonly #input: LineReader;
  #nextId = 1;
  /** False once it failed to act for us: later attaches are the tool's own. */
  usable = true;
  constructor(
    readonly pid: number,
    readonly requests: number,
    replies: number,
  ) {
    this.#input = new LineReader(replies);
  }
  newId(): number {
    return this.#nextId++;
  }
  /** The reply, or undefined when the keeper is gone. */
  call(req: KeeperRequest): KeeperReply | undefined {
    try {
      writeAll(this.requests, encodeLine(req));
    } catch {
      return undefined;
    }
    const line = this.#input.next();
    return line === undefined ? undefined : decodeLine<KeeperReply>(line);
  }
}

let keeper: Keeper | null | undefined;

/** dist/cli/keeper.cjs, beside this bundle (dist/cli/*.cjs) or this module (dist/attach/). */
function keeperScript(): string {
  return fileURLToPath(new URL('../cli/keeper.cjs', import.meta.url));
}

/** Starts the keeper if it is not running yet (and can run); does not wait for it. */
export function startKeeper(): void {
  if (keeper !== undefined) return;
  keeper = null;
  const script = keeperScript();
  if (!haveUprobeKeeper.available() || !existsSync(script)) return;
  const fds: number[] = [];
  try {
    const [reqRead, reqWrite] = pipeCloexec();
    fds.push(reqRead, reqWrite);
    const [repRead, repWrite] = pipeCloexec();
    fds.push(repRead, repWrite);
    const child = spawn(process.execPath, [script, String(process.pid)], { stdio: [reqRead, repWrite, 'ignore'], detached: true });
    child.on('error', () => {});
    child.unref();
    close(reqRead);
    close(repWrite);
    if (child.pid === undefined) {
      close(reqWrite);
      close(repRead);
      return;
    }
    keeper = new Keeper(child.pid, reqWrite, repRead);
  } catch {
    for (const fd of fds) close(fd);
  }
}

/** The keeper's pid, if one runs for this tool (tests). */
export function keeperPid(): number | undefined {
  return keeper?.pid;
}

/**
 * Attaches `a` through the keeper: a Link whose close() returns once the keeper has detached,
 * or undefined when there is no keeper to do it (the caller attaches itself). A kernel refusal
 * throws the SysError the caller would have got.
 */
export function keptAttach(prog: LoadedProgram, a: KeeperAttach, description: string, slowClose: boolean): Link | undefined {
  startKeeper();
  const k = keeper;
  if (!k || !k.usable) return undefined;
  const id = k.newId();
  const r = k.call({ ...a, id, prog: prog.fd.value });
  if (r === undefined || 'fail' in r) {
    if (r === undefined || r.fail === 'keeper') {
      k.usable = false;
      return undefined;
    }
    if (r.fail === 'sys') throw new SysError(r.call, r.errno, r.code, r.detail);
    throw new Error(`internal: uprobe keeper: ${r.message}`);
  }
  return new FdLink(`${description} (kept)`, [() => void k.call({ op: 'close', id })], { slowClose });
}
