/**
 * Names in user stacks, end to end: stackcount on malloc in a g++ program
 * (workloads/cxxapp.cpp, -O0 with frame pointers) prints the std::function frame as c++filt
 * (and BCC) do, and a frame under a Rust v0 name demangled by the wasm that the bundled tool
 * loads from the installed gecko-profiler-demangle package — in text, folded and SVG output.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, programsLeft, root } from '../helpers/kernel.js';
import { buildCxx } from '../helpers/cbuild.js';
import { startGoWorkload } from '../helpers/workloads.js';

const N = 1000;
const INVOKE = 'std::_Function_handler<unsigned long (int), app::work(int)::{lambda(int)#1}>::_M_invoke(std::_Any_data const&, int&&)';

function cxxapp(): string {
  const source = readFileSync(join(root, 'test', 'kernel', 'workloads', 'cxxapp.cpp'), 'utf8');
  return buildCxx('cxxapp', source, ['-O0', '-fno-omit-frame-pointer']);
}

async function stackcount(args: readonly string[], folded: boolean) {
  const w = await startGoWorkload(cxxapp(), [String(N)]);
  const tool = start('stackcount', [...args, '-p', String(w.pid), 'c:malloc']);
  // Folded output prints no banner: give the tool time to attach.
  if (folded) await new Promise((r) => setTimeout(r, 1500));
  else await tool.waitFor(/Hit Ctrl-C to end\.\n/);
  await w.go();
  tool.child.kill('SIGINT');
  const code = await tool.exited;
  await w.end();
  return { code, stdout: tool.stdout, stderr: tool.stderr };
}

describe.skipIf(skipKernel)('demangled names in stacks (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    cxxapp();
  });

  it('stackcount -p: the std::function frame and mycrate::work, N mallocs; --svg too', async () => {
    const svg = join(mkdtempSync(join(tmpdir(), 'polytrace-demangle-')), 'cxx.svg');
    const r = await stackcount(['--svg', svg], false);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // The stack of app::work's lambda: malloc, …, _M_invoke, …, app::work, mycrate::work, …, N.
    const block = r.stdout.split('\n\n').find((b) => b.includes(`  ${INVOKE}\n`));
    expect(block).toBeDefined();
    expect(block).toMatch(/^ {2}malloc\n/);
    expect(block).toContain('\n  app::work(int)\n  mycrate::work\n');
    expect(block).toMatch(new RegExp(`\\n {4}${N}$`));
    expect(r.stdout).not.toMatch(/\b_Z|\b_R[A-Z]/);
    const text = readFileSync(svg, 'utf8');
    expect(text).toContain('mycrate::work');
    expect(text).toContain('app::work(int)::{lambda(int)#1}');
    expect(text).not.toMatch(/\b_Z|\b_R[A-Z]/);
    expect(await programsLeft(/^stackcount/)).toEqual([]);
  });

  it('stackcount -f -p: one folded line through the same frames, N times', async () => {
    const r = await stackcount(['-f'], true);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(`;${INVOKE};`));
    expect(line).toBeDefined();
    expect(line).toMatch(/;app::work\(int\);std::function<unsigned long \(int\)>::operator\(\)\(int\) const;/);
    expect(line).toContain(';mycrate::work;app::work(int);');
    expect(line).toMatch(new RegExp(`;malloc ${N}$`));
  });
});
