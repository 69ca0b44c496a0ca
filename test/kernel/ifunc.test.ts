/**
 * IFUNCs on the real host: glibc's strlen and strcmp are STT_GNU_IFUNC symbols, whose address
 * is a resolver that runs once per process. funccount moves each probe to the implementation
 * this CPU uses (asked of our own process's dynamic linker, pipeline/ifunc.ts), counts every
 * call exactly, keeps the user's names in the rows, notes the move on stderr and shows it in
 * --dump=resolved.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, programsLeft, root, lastTable } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';
import { startGoWorkload } from '../helpers/workloads.js';

const STRLEN = 1_000_000;
const STRCMP = 1000;

function ifuncExe(): string {
  return buildC('ifunc', readFileSync(join(root, 'test', 'kernel', 'workloads', 'ifunc.c'), 'utf8'), ['-O1', '-fno-builtin']);
}

async function funccount(args: readonly string[], strlen = STRLEN) {
  const w = await startGoWorkload(ifuncExe(), [String(strlen), String(STRCMP)]);
  // The pattern last, after -p.
  const tool = start('funccount', [...args.slice(0, -1), '-p', String(w.pid), args.at(-1)!]);
  await tool.waitFor(/Hit Ctrl-C to end\.\n/);
  await w.go();
  tool.child.kill('SIGINT');
  const code = await tool.exited;
  await w.end();
  return { code, stdout: tool.stdout, stderr: tool.stderr };
}

describe.skipIf(skipKernel)('IFUNCs (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    ifuncExe();
  });

  it("funccount -r 'c:^str(cmp|len)$' counts every call, at the implementations", async () => {
    const r = await funccount(['--dump=resolved', '-r', 'c:^str(cmp|len)$']);
    expect(r.code).toBe(0);
    const rows = lastTable(r.stdout);
    expect(rows.get('strlen')).toBe(STRLEN);
    expect(rows.get('strcmp')).toBe(STRCMP);
    expect(r.stderr).toMatch(/^2 IFUNCs probed at the implementations this CPU uses: (strlen → \S+, strcmp → \S+|strcmp → \S+, strlen → \S+)\n$/);
    const dump = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('Tracing'))) as {
      resolved: { target: { name: string; ifunc?: { implementation: string; resolver: string }; vaddr: string } }[];
    }[];
    const targets = dump[0]!.resolved.map((x) => x.target);
    expect(targets.map((t) => t.name).sort()).toEqual(['strcmp', 'strlen']);
    for (const t of targets) {
      expect(t.ifunc).toBeDefined();
      expect(t.ifunc!.resolver).not.toBe(t.vaddr);
      expect(r.stderr).toContain(`${t.name} → ${t.ifunc!.implementation}`);
    }
    expect(await programsLeft(/^funccount/)).toEqual([]);
    // A million uprobe hits: 20-40 s on a busy 2-core machine.
  }, 240_000);

  it('funccount c:strlen: one note naming the implementation, N calls', async () => {
    const r = await funccount(['c:strlen'], 10_000);
    expect(r.code).toBe(0);
    expect(lastTable(r.stdout).get('strlen')).toBe(10_000);
    expect(r.stderr).toMatch(/^strlen is an IFUNC; probing \S+ \(the implementation this CPU uses\)\n$/);
  });
});
