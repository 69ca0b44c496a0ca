/**
 * Looking for kernel state a tool left behind. A Sampler reads the tool process's own file
 * descriptors while it runs (/proc/PID/fd and fdinfo: bpf-prog, bpf_link, bpf-map ids), so it
 * knows exactly which kernel objects are the tool's even when other tests load programs at the
 * same time; after the tool exits, none of those ids may still exist (bpftool), and tracefs
 * may hold no polytrace probe events.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

type Kind = 'prog' | 'link' | 'map';

/**
 * `bpftool -j KIND show`, tried again a little later when it fails: bpftool walks the ids and
 * then opens each, and gives up on the first it cannot open. Besides objects freed in between,
 * a link being created has an id but is not yet settled, and the kernel answers EAGAIN for it
 * (bpf_link_by_id, kernel/bpf/syscall.c): a BPF trampoline being built for fentry keeps it so
 * for a while under the VM's emulated CPU (seen on 6.1).
 */
export function bpftoolShow(kind: Kind): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      // With -j, bpftool reports its error as JSON on stdout.
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      if (attempt >= 10)
        throw new Error(
          `bpftool -j ${kind} show: ${
            [stdout, stderr]
              .map((t) => t?.trim())
              .filter(Boolean)
              .join(' ') || String(e)
          }`,
        );
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 * attempt);
    }
  }
}

/** Ids of the BPF objects bpftool lists now. */
export function bpfIds(kind: Kind): Map<number, string> {
  const json = bpftoolShow(kind);
  const out = new Map<number, string>();
  for (const x of JSON.parse(json) as Array<{ id: number; name?: string; prog_id?: number }>) {
    out.set(x.id, x.name ?? (x.prog_id !== undefined ? `-> prog ${x.prog_id}` : ''));
  }
  return out;
}

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) => existsSync(`${d}/events`));

/** Lines of kprobe_events / uprobe_events / dynamic_events that belong to polytrace. */
export function tracefsEntries(): string[] {
  if (!TRACEFS) return [];
  const out: string[] = [];
  for (const f of ['kprobe_events', 'uprobe_events', 'dynamic_events']) {
    let text = '';
    try {
      text = readFileSync(`${TRACEFS}/${f}`, 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) if (/polytrace/.test(l)) out.push(`${f}: ${l}`);
  }
  return out;
}

/** The BPF objects process `pid` holds through its fds now. */
export function heldBy(pid: number): Record<Kind, Set<number>> {
  const held = { prog: new Set<number>(), link: new Set<number>(), map: new Set<number>() };
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return held;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const kind: Kind | undefined =
        target === 'anon_inode:bpf-prog' ? 'prog' : target === 'anon_inode:bpf_link' ? 'link' : target === 'anon_inode:bpf-map' ? 'map' : undefined;
      if (!kind) continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const m = new RegExp(`^${kind}_id:\\s*(\\d+)`, 'm').exec(info);
      if (m) held[kind].add(Number(m[1]));
    } catch {
      // The fd closed between readdir and here.
    }
  }
  return held;
}

/**
 * The uprobe keeper of tool `pid` (src/attach/keeper.ts: `node …/keeper.cjs PID`, a child of
 * the tool), if it runs now. Found through /proc/PID/task/PID/children.
 */
export function keeperOf(pid: number): number | undefined {
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  return children.map(Number).find((c) => isKeeper(c, pid));
}

/** Whether process `kpid` is the uprobe keeper of tool `pid`. */
export function isKeeper(kpid: number, pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${kpid}/cmdline`, 'latin1').split('\0');
    return argv.some((a, i) => a.endsWith('keeper.cjs') && argv[i + 1] === String(pid));
  } catch {
    return false;
  }
}

/**
 * Samples what a tool holds: its own fds, and those of its uprobe keeper, which makes the
 * uprobe attach calls for it and holds the links (src/attach/keeper.ts).
 */
export class Sampler {
  readonly seen = { prog: new Set<number>(), link: new Set<number>(), map: new Set<number>() };
  #timer: NodeJS.Timeout | undefined;
  /** The tool's uprobe keeper, once seen. */
  keeper: number | undefined;

  constructor(
    readonly pid: number,
    everyMs = 50,
  ) {
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  sample(): void {
    this.keeper ??= keeperOf(this.pid);
    for (const h of [heldBy(this.pid), ...(this.keeper ? [heldBy(this.keeper)] : [])]) {
      for (const k of ['prog', 'link', 'map'] as const) for (const id of h[k]) this.seen[k].add(id);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves true once the tool holds a program and a link to it (it has attached). */
  async attached(timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.sample();
      if (this.seen.prog.size > 0 && this.seen.link.size > 0) return true;
      await new Promise((r) => setTimeout(r, 40));
    }
    return false;
  }

  /**
   * What is left of the tool's objects, after it exited: waits up to `graceMs` for the kernel
   * to free them (release is deferred a little after the last fd closes) and the tool's
   * keeper, if it had one, to exit.
   */
  async leftovers(graceMs = 3000): Promise<string[]> {
    this.stop();
    const deadline = Date.now() + graceMs;
    for (;;) {
      const left: string[] = [];
      for (const k of ['prog', 'link', 'map'] as const) {
        if (this.seen[k].size === 0) continue;
        const now = bpfIds(k);
        for (const id of this.seen[k]) if (now.has(id)) left.push(`${k} ${id} ${now.get(id)}`);
      }
      left.push(...tracefsEntries());
      if (this.keeper !== undefined && isKeeper(this.keeper, this.pid)) left.push(`uprobe keeper ${this.keeper} still running`);
      if (left.length === 0 || Date.now() > deadline) return left;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
