/**
 * stackcount --svg and funclatency --heatmap check their output path before anything is
 * resolved or attached: a bad path is one line and exit 2, not a trace whose result is lost.
 */
import { describe, it, expect, vi } from 'vitest';
import { run as stackcount } from '../../../src/multitools/stackcount.js';
import { run as funclatency } from '../../../src/multitools/funclatency.js';
import { reportError } from '../../../src/multitools/run-tool.js';

async function failure(run: Promise<void>, prog: string): Promise<{ code: number; stderr: string }> {
  let err: unknown;
  try {
    await run;
  } catch (e) {
    err = e;
  }
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    return { code: reportError(prog, err), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('output paths are checked before attaching', () => {
  it('stackcount --svg /nonexistent/dir/x.svg: exit 2, one line', async () => {
    const r = await failure(stackcount(['--svg', '/nonexistent/dir/x.svg', '-D', '1', 't:sched:sched_switch'], 'stackcount'), 'stackcount');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'stackcount: argument --svg: cannot write /nonexistent/dir/x.svg: directory /nonexistent/dir does not exist (ENOENT) (give a writable path to a new or regular file)\n',
    );
  });

  it('funclatency --heatmap /nonexistent/h.svg: exit 2, one line', async () => {
    const r = await failure(funclatency(['-i', '1', '--heatmap', '/nonexistent/h.svg', 'c:read'], 'funclatency'), 'funclatency');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^funclatency: argument --heatmap: cannot write \/nonexistent\/h.svg: directory \/nonexistent does not exist \(ENOENT\) \(.*\)\n$/,
    );
  });

  it('a directory given as the file: exit 2', async () => {
    const r = await failure(stackcount(['--svg', '/tmp', 't:sched:sched_switch'], 'stackcount'), 'stackcount');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/tmp is a directory/);
  });
});
