/**
 * Messages that point the way (issue 16): a misspelled subcommand names the nearest tools, and
 * `polytrace features` offers a fallback only where the fallback is there.
 */
import { describe, expect, it } from 'vitest';
import { unknownToolError } from '../../../src/multitools/main.js';
import { fallbackNote, type FeatureRow } from '../../../src/multitools/features.js';
import { UsageError } from '../../../src/errors.js';

describe('polytrace <unknown tool>', () => {
  it('names the nearest tools, not the whole usage', () => {
    const e = unknownToolError('funcount');
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe("unknown tool 'funcount'");
    expect(e.hints).toEqual(['did you mean funccount?', "'polytrace --help' lists the tools"]);
    expect(unknownToolError('lst').hints[0]).toBe('did you mean list?');
    expect(unknownToolError('zzzzzzz').hints).toEqual(["'polytrace --help' lists the tools"]);
  });
});

describe('polytrace features: fallbacks', () => {
  const row = (name: string, available: boolean, fallback = ''): FeatureRow => ({
    name,
    description: name,
    available,
    reason: available ? '' : 'why',
    fallback,
  });

  it('instead: the fallback, when one feature it needs is there', () => {
    const rows = [row('fentry', false, 'kprobes'), row('kprobe_pmu', false, 'tracefs kprobe_events, or fentry/fexit'), row('kprobe_events', true)];
    expect(fallbackNote(rows[0]!, rows)).toBe('instead: kprobes');
    expect(fallbackNote(rows[1]!, rows)).toBe('instead: tracefs kprobe_events, or fentry/fexit');
  });

  it('no kprobes for fentry where kprobes are missing too: tracepoints instead', () => {
    const rows = [row('fentry', false, 'kprobes'), row('kprobe_pmu', false, 'tracefs kprobe_events, or fentry/fexit'), row('kprobe_events', false)];
    expect(fallbackNote(rows[0]!, rows)).toBe(
      "no fallback: kprobes (kprobe_pmu, kprobe_events) missing too; kernel functions cannot be probed here; tracepoints cover much of the same ground ('polytrace list t:*')",
    );
    expect(fallbackNote(rows[1]!, rows)).toMatch(/^no fallback: tracefs kprobe_events, or fentry\/fexit \(kprobe_events, fentry\) missing too; /);
  });

  it('a fallback polytrace knows nothing more of is offered as it is', () => {
    expect(fallbackNote(row('ringbuf', false, 'perf buffers'), [])).toBe('instead: perf buffers');
    expect(fallbackNote(row('kprobe_events', false), [])).toBe('');
  });
});
