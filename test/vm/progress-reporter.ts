import type { Reporter, TestCase, TestModule } from 'vitest/node';

/**
 * Prints a line as each VM test starts and ends, with the time since the run began. The default
 * reporter prints a file only when the whole file ends, so when the VM runner's timeout kills a
 * hung run, this is what says which test was running.
 */
export default class ProgressReporter implements Reporter {
  private readonly start = Date.now();

  private line(text: string): void {
    const s = ((Date.now() - this.start) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[vm ${s}s] ${text}\n`);
  }

  onTestModuleStart(m: TestModule): void {
    this.line(`file ${m.moduleId.replace(/^.*\/test\//, 'test/')}`);
  }

  onTestCaseReady(t: TestCase): void {
    if (t.options.mode === 'run' || t.options.mode === 'only') this.line(`start ${t.name}`);
  }

  onTestCaseResult(t: TestCase): void {
    const { state } = t.result();
    if (state !== 'skipped') this.line(`${state} ${t.name}`);
  }
}
