/**
 * What a tool and its uprobe keeper (keeper.ts, keeper-main.ts) say to each other over two
 * pipes: one JSON object a line each way, a reply for every request, in order. Bigints travel
 * as `{ "$bigint": "123" }`.
 */
import { readSync, writeSync } from 'node:fs';
import type { UprobeMultiTarget, UprobePerf } from './fds.js';

/** What to attach: a uprobe_multi link, or one uprobe perf event (mode chosen by the tool). */
export type KeeperAttach = { readonly op: 'multi'; readonly t: UprobeMultiTarget } | { readonly op: 'perf'; readonly u: UprobePerf };

/** `prog`: the tool's fd of the program, which the keeper duplicates with pidfd_getfd. */
export type KeeperRequest = (KeeperAttach & { readonly id: number; readonly prog: number }) | { readonly op: 'close'; readonly id: number };

export type KeeperReply =
  | { readonly ok: true }
  /** The keeper cannot act for the tool (no pidfd_getfd, no rights): the tool attaches itself. */
  | { readonly fail: 'keeper'; readonly message: string }
  /** The kernel refused the attach: the tool throws the SysError it would have got itself. */
  | { readonly fail: 'sys'; readonly call: string; readonly errno: number; readonly code: string; readonly detail?: string }
  | { readonly fail: 'other'; readonly message: string };

export function encodeLine(x: KeeperRequest | KeeperReply): string {
  return `${JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v))}\n`;
}

export function decodeLine<T extends KeeperRequest | KeeperReply>(line: string): T {
  return JSON.parse(line, (_k, v: unknown) => {
    if (v && typeof v === 'object' && '$bigint' in v) return BigInt((v as { $bigint: string }).$bigint);
    return v;
  }) as T;
}

/** Writes all of `text` to blocking fd `fd`. */
export function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let at = 0;
  while (at < buf.length) at += writeSync(fd, buf, at);
}

/** Reads lines from blocking fd `fd`, one at a time; undefined at end of file. */
export class LineReader {
  #pending = '';
  readonly #buf = Buffer.alloc(64 * 1024);
  constructor(readonly fd: number) {}
  next(): string | undefined {
    for (;;) {
      const nl = this.#pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return line;
      }
      let n: number;
      try {
        n = readSync(this.fd, this.#buf, 0, this.#buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EINTR') continue;
        if (code === 'EAGAIN') {
          // A pipe someone made non-blocking: wait a little and ask again.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        return undefined;
      }
      if (n === 0) return undefined;
      this.#pending += this.#buf.toString('utf8', 0, n);
    }
  }
}
