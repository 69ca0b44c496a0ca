/**
 * --json of every tool, on real events, validated against docs/polytrace.schema.json with
 * ajv, and checked for the exact counts of the workload.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { skipKernel, requireKernel, start, root } from '../helpers/kernel.js';
import { counterWorkload, startCounter } from '../helpers/workloads.js';
import { chainExe, startChain } from './workloads/chain.js';

const N = 500;
const schema = JSON.parse(readFileSync(join(root, 'docs', 'polytrace.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

/** Every line of stdout parsed and validated; the documents. */
function documents(stdout: string): Array<Record<string, unknown>> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((l) => {
    const doc = JSON.parse(l) as Record<string, unknown>;
    const ok = validate(doc);
    expect(ok, `${l}\n${ajv.errorsText(validate.errors)}`).toBe(true);
    return doc;
  });
}

/** Start a tool with --json (banner on stderr), run the work, stop it with SIGINT. */
async function jsonWhile(tool: string, args: string[], work: () => Promise<void>) {
  const t = start(tool, args);
  for (let i = 0; i < 300 && !t.stderr.includes('Hit Ctrl-C') && t.child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  expect(t.stderr).toContain('Hit Ctrl-C');
  await work();
  t.child.kill('SIGINT');
  const code = await t.exited;
  return { code, stdout: t.stdout, stderr: t.stderr };
}

describe.skipIf(skipKernel)('--json output against the schema (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    counterWorkload();
    chainExe();
  });

  it('funccount: one document, exact counts for a tracepoint and a library', async () => {
    const { lib } = counterWorkload();
    const w = await startCounter(N);
    const r = await jsonWhile('funccount', ['--json', '-p', String(w.pid), `${lib}:pt_f*`], () => w.go());
    await w.end();
    expect(r.code).toBe(0);
    const [doc, ...more] = documents(r.stdout);
    expect(more).toEqual([]);
    expect(doc).toMatchObject({ tool: 'funccount', pattern: `${lib}:pt_f*`, pid: w.pid });
    const counts = new Map((doc!.counts as Array<{ function: string; library: string; count: number }>).map((c) => [c.function, c]));
    for (let i = 0; i < 12; i++) expect(counts.get(`pt_f${i}`)).toEqual({ function: `pt_f${i}`, library: lib, count: i + 1 });

    const w2 = await startCounter(N);
    const t = await jsonWhile('funccount', ['--json', '-p', String(w2.pid), 't:syscalls:sys_enter_getpid'], () => w2.go());
    await w2.end();
    expect(documents(t.stdout)[0]!.counts).toEqual([{ function: 'syscalls:sys_enter_getpid', library: 'kernel', count: N }]);
  });

  it('funccount -i 1 -d 2: one document per interval', async () => {
    const w = await startCounter(N);
    const t = start('funccount', ['--json', '-i', '1', '-d', '2', '-p', String(w.pid), 't:syscalls:sys_enter_getpid']);
    for (let i = 0; i < 300 && !t.stderr.includes('Hit Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
    await w.go();
    expect(await t.exited).toBe(0);
    await w.end();
    const docs = documents(t.stdout);
    expect(docs).toHaveLength(2);
    const total = docs.flatMap((d) => d.counts as Array<{ count: number }>).reduce((a, c) => a + c.count, 0);
    expect(total).toBe(N);
  });

  it('funclatency -F: exact call counts per function', async () => {
    const w = await startChain(N);
    const r = await jsonWhile('funclatency', ['--json', '-F', '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const [doc] = documents(r.stdout);
    expect(doc).toMatchObject({ tool: 'funclatency', unit: 'nsecs', count: N });
    const h = doc!.histograms as Array<{ function: string; buckets: Array<{ count: number }> }>;
    expect(h.map((x) => x.function)).toEqual(['target']);
    expect(h[0]!.buckets.reduce((a, b) => a + b.count, 0)).toBe(N);
  });

  it('stackcount: the chain stack, N times', async () => {
    const w = await startChain(N);
    const r = await jsonWhile('stackcount', ['--json', '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const [doc] = documents(r.stdout);
    const stacks = doc!.stacks as Array<{ count: number; user: Array<{ sym: string }> }>;
    const chain = stacks.find(
      (s) =>
        s.user
          .map((f) => f.sym)
          .slice(0, 4)
          .join(',') === 'target,b,a,main',
    );
    expect(chain?.count).toBe(N);
  });

  it('argdist: exact counts of getpid() by pid over the workload, and a histogram', async () => {
    const w = await startCounter(N);
    const t = start('argdist', [
      '--json',
      '-i',
      '1',
      '-p',
      String(w.pid),
      '-C',
      't:syscalls:sys_enter_getpid():u32:$PID',
      '-H',
      't:raw_syscalls:sys_enter():long:args->id',
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    await w.go();
    await new Promise((r) => setTimeout(r, 1500));
    t.child.kill('SIGINT');
    await t.exited;
    await w.end();
    const docs = documents(t.stdout);
    const total = docs
      .flatMap((d) => d.probes as Array<{ counts?: Array<{ key: Record<string, unknown>; count: number }> }>)
      .flatMap((p) => p.counts ?? [])
      .filter((c) => Object.values(c.key).includes(w.pid))
      .reduce((a, c) => a + c.count, 0);
    expect(total).toBe(N);
    const hist = docs.flatMap((d) => d.probes as Array<{ type: string; buckets?: Array<{ count: number }> }>).filter((p) => p.type === 'histogram');
    expect(hist.length).toBe(docs.length);
  });

  it('trace: one object per event, exactly -M of them', async () => {
    const { exe } = counterWorkload();
    const w = await startCounter(N);
    const t = start('trace', ['--json', '-M', '20', '-p', String(w.pid), `${exe}:work_fn "i=%d", arg1`]);
    for (let i = 0; i < 300 && t.stdout === '' && t.stderr === '' && t.child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    await w.go();
    await t.exited;
    await w.end();
    const docs = documents(t.stdout);
    expect(docs).toHaveLength(20);
    expect(docs.map((d) => d.args)).toEqual(Array.from({ length: 20 }, (_, i) => [i]));
    expect(docs[0]).toMatchObject({ pid: w.pid, func: 'work_fn', message: 'i=0' });
  });
});
