/** Tracepoints in BTF (raw tracepoints): btf_trace_NAME typedefs, argument names from the probe stubs. */
import { describe, expect, it } from 'vitest';
import { BtfError } from '../../../src/errors.js';
import { tracepointNames, tracepointProto } from '../../../src/btf/func.js';
import { formatTracepointProto } from '../../../src/btf/format.js';
import { fixture } from './helpers.js';

const spec = fixture('kinds.btf');

describe('tracepointProto', () => {
  it('drops the probe data parameter and names the arguments from __probestub_NAME, else __traceiter_NAME', () => {
    const irq = tracepointProto(spec, 'irq_handler_entry')!;
    expect(irq.typedef).toBe(spec.idsByName('btf_trace_irq_handler_entry', 'typedef')[0]);
    expect(irq.named).toBe(true);
    expect(irq.params.map((p) => [p.name, spec.kindOf(p.type)])).toEqual([
      ['irq', 'int'],
      ['action', 'ptr'],
    ]);
    expect(formatTracepointProto(spec, irq)).toBe('void irq_handler_entry(int irq, struct irqaction *action)');
    const wake = tracepointProto(spec, 'sched_wake_idle_without_ipi')!;
    expect([wake.named, wake.params.map((p) => p.name)]).toEqual([true, ['cpu']]);
  });

  it('without a stub the arguments stay unnamed; a name BTF lacks is undefined', () => {
    const stop = tracepointProto(spec, 'sched_kthread_stop_ret')!;
    expect([stop.named, stop.params.map((p) => p.name)]).toEqual([false, ['']]);
    expect(formatTracepointProto(spec, stop)).toBe('void sched_kthread_stop_ret(int)');
    expect(tracepointProto(spec, 'sched_switch')).toBeUndefined();
  });

  it('a btf_trace_ typedef that is no pointer to a prototype is a BtfError', () => {
    // size_t is a typedef of an integer: pretend it is a tracepoint's.
    const fake = Object.create(spec) as typeof spec;
    fake.idsByName = (name, kind) => spec.idsByName(name === 'btf_trace_bogus' ? 'size_t' : name, kind);
    expect(() => tracepointProto(fake, 'bogus')).toThrow(BtfError);
  });

  it('tracepointNames: every btf_trace_* typedef, in id order', () => {
    expect([...tracepointNames(spec)]).toEqual(['irq_handler_entry', 'sched_wake_idle_without_ipi', 'sched_kthread_stop_ret']);
  });
});
