/**
 * Files the tools write on request (stackcount --svg, funclatency --heatmap): checked before
 * tracing starts, so a typo does not cost a whole run, and written with a one-line error in the
 * option's terms instead of a raw ENOENT with a stack.
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TracerError } from '../errors.js';

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** Throws unless `path` can be written: its directory exists and is writable, and it is no directory. */
export function checkOutputFile(option: string, path: string): void {
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw new TracerError(`cannot write ${option} ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof TracerError) throw e;
    throw new TracerError(`cannot write ${option} ${path}: ${code(e)} on ${dir}`);
  }
  try {
    if (statSync(path).isDirectory()) throw new TracerError(`cannot write ${option} ${path}: it is a directory`);
  } catch (e) {
    if (e instanceof TracerError) throw e;
    // Not there yet: fine.
  }
}

export function writeOutputFile(option: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new TracerError(`cannot write ${option} ${path}: ${code(e)}`);
  }
}
