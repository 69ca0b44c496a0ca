/**
 * The one way polytrace writes an output file (`--svg`, `--heatmap`): checked before the
 * trace starts, then replaced whole at every write, never through a symlink.
 *
 * A write goes to a new file in the target's directory (created exclusively, O_NOFOLLOW, mode
 * 0644 whatever the umask) and is renamed over the target. rename(2) replaces a final symlink
 * instead of following it, and no existing file is ever opened for writing, so a symlink
 * planted at the path (`/tmp/x.svg -> /etc/passwd`) cannot make root overwrite its target, and
 * a file the invoking user could not write is never truncated. A path whose final component
 * is a symlink is refused outright, with where it points: the simplest rule that is safe.
 */
import { accessSync, closeSync, constants, fchmodSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { TracerError, UsageError } from '../errors.js';

function errno(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x?.code ?? String(x?.message ?? e);
}

/** `ENOSPC: no space left on device` from Node's `ENOSPC: no space left on device, write`. */
function reason(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(String(x?.message ?? ''));
  return x?.code && m ? `${x.code}: ${m[1]}` : String(x?.message ?? e);
}

/** The reason a path is no place for an output file, or undefined when it is. */
export function outputPathProblem(path: string): string | undefined {
  if (path === '') return 'the path is empty';
  const dir = dirname(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (e) {
    return `directory ${dir} does not exist (${errno(e)})`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return `directory ${dir} is not writable`;
  }
  let l: ReturnType<typeof lstatSync>;
  try {
    l = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `cannot look at ${path} (${errno(e)})`;
  }
  if (l.isSymbolicLink()) {
    let to = '?';
    try {
      to = readlinkSync(path);
    } catch {
      // gone meanwhile: still refused
    }
    return `${path} is a symbolic link (to ${to}); output files are never written through a symlink`;
  }
  if (l.isDirectory()) return `${path} is a directory`;
  if (!l.isFile()) return `${path} is not a regular file`;
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return `${path} is not writable`;
  }
  return undefined;
}

/**
 * Before attaching: `option`'s path must be a writable place for a new file. A UsageError
 * (exit 2) otherwise, so no trace runs for a result that could not be kept.
 */
export function checkOutputPath(option: string, path: string | undefined): void {
  if (path === undefined) return;
  const problem = outputPathProblem(path);
  if (problem !== undefined) throw new UsageError(`argument ${option}: cannot write ${path}: ${problem}`, ['give a writable path to a new or regular file']);
}

let tempSeq = 0;

/**
 * Replace `path` with `data`, atomically: a reader sees the old file or the new one. Throws a
 * one-line TracerError on failure, and leaves no temporary file behind.
 */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  const problem = outputPathProblem(path);
  if (problem !== undefined) throw new TracerError(`cannot write ${path}: ${problem}`);
  // Unguessable, so nobody can plant it first in a shared directory (that would only fail the
  // write: the file is created exclusively and never through a symlink).
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempSeq}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    fchmodSync(fd, 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new TracerError(`cannot write ${path} (${reason(e)})`);
  }
}

/**
 * An output file rewritten at every interval (a flame graph, a heat map): a failed write is
 * said once on stderr (one line, not a stack) and the run goes on, its text report on stdout.
 * `failed` tells whether the last write failed.
 */
export class OutputFile {
  #failed = false;
  #said = false;

  constructor(
    readonly path: string,
    /** What the file holds, for the message ("flame graph"). */
    readonly what: string,
    /** The tool's name, first on its stderr line. */
    readonly prog: string,
    private readonly say: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  get failed(): boolean {
    return this.#failed;
  }

  /** Replace the file's content; false (and a line on stderr, once) when that failed. */
  write(data: string): boolean {
    try {
      writeOutputFile(this.path, data);
      this.#failed = false;
      return true;
    } catch (e) {
      this.#failed = true;
      if (!this.#said) {
        this.#said = true;
        const msg = e instanceof TracerError ? e.message : String(e);
        this.say(`${this.prog}: ${msg}: the ${this.what} was not written; the text report is on stdout\n`);
      }
      return false;
    }
  }
}
