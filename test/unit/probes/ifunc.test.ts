/**
 * IFUNC symbols in the uprobe provider, with the fixture host: a library whose `pick` and
 * `pick2` are IFUNCs (their resolvers choose impl_b); probes move to the implementation the
 * host names, keep the user's name, record the move, and say so in one note; without an
 * answer they stay at the resolver, with a note; two IFUNCs with one implementation are probed
 * once. Every tool resolves user functions through this provider (planPattern for funccount,
 * stackcount and funclatency; trace's and argdist's exact names).
 */
import { describe, expect, it } from 'vitest';
import { resolveProbe } from '../../../src/probes/registry.js';
import type { ProbeQuery } from '../../../src/probes/provider.js';
import { planPattern } from '../../../src/pipeline/pattern.js';
import { ElfFile } from '../../../src/symbols/elf.js';
import { buildC } from '../../helpers/cbuild.js';
import { fixtureHost } from '../../helpers/probe-host.js';

const LIB = buildC(
  'ifunc',
  `
static int impl_a(const char *s) { return s[0]; }
int impl_b(const char *s) { return s[1]; }
static void *resolve_pick(void) { return impl_b; }
static void *resolve_pick2(void) { return impl_b; }
int pick(const char *s) __attribute__((ifunc("resolve_pick")));
int pick2(const char *s) __attribute__((ifunc("resolve_pick2")));
int plain(const char *s) { return impl_a(s); }
`,
  ['-O1', '-fPIC', '-shared'],
);

const elf = ElfFile.open(LIB);
const addr = (name: string) => elf.lookupFunction(name)!.value;
const IMPL = addr('impl_b');
const query = (name: string, o: Partial<ProbeQuery> = {}): ProbeQuery => ({ type: 'p', library: LIB, name, match: 'exact', ...o });

describe('IFUNC symbols (uprobe provider)', () => {
  it('the fixture library has IFUNCs', () => {
    expect(elf.lookupFunction('pick')!.type).toBe('ifunc');
    expect(elf.lookupFunction('plain')!.type).toBe('func');
  });

  it('p: moves to the implementation, keeps the name, records the move, notes it once', () => {
    const notes: string[] = [];
    const [r] = resolveProbe(query('pick'), fixtureHost({ ifuncs: { pick: IMPL }, notes }));
    expect(r!.target).toEqual({
      kind: 'uprobe',
      path: LIB,
      symbol: 'pick',
      offset: elf.vaddrToFileOffset(IMPL),
      vaddr: IMPL,
      name: 'pick',
      mechanism: 'uprobe_multi',
      ifunc: { resolver: addr('pick'), implementation: 'impl_b' },
    });
    expect(r!.site).toEqual({ kind: 'uprobe', symbol: 'pick' });
    expect(notes).toEqual(['pick is an IFUNC; probing impl_b (the implementation this CPU uses)']);
  });

  it('r: and an offset (p:LIB:pick+4) are placed at the implementation too', () => {
    const host = fixtureHost({ ifuncs: { pick: IMPL } });
    const [ret] = resolveProbe(query('pick', { type: 'r' }), host);
    expect(ret!.target).toMatchObject({ offset: elf.vaddrToFileOffset(IMPL), name: 'pick' });
    expect(ret!.site.kind).toBe('uretprobe');
    const [off] = resolveProbe(query('pick', { offset: 4 }), host);
    expect(off!.target).toMatchObject({ offset: elf.vaddrToFileOffset(IMPL)! + 4n, vaddr: IMPL + 4n });
  });

  it('an implementation no symbol starts at is named by its address', () => {
    const notes: string[] = [];
    const [r] = resolveProbe(query('pick'), fixtureHost({ ifuncs: { pick: IMPL + 1n }, notes }));
    expect(r!.target).toMatchObject({ vaddr: IMPL + 1n, ifunc: { implementation: `0x${(IMPL + 1n).toString(16)}` } });
    expect(notes[0]).toContain(`probing 0x${(IMPL + 1n).toString(16)} `);
  });

  it('unknown on this host: stays at the resolver, and says so', () => {
    const notes: string[] = [];
    const [r] = resolveProbe(query('pick'), fixtureHost({ notes }));
    expect(r!.target).toMatchObject({ offset: elf.vaddrToFileOffset(addr('pick')), vaddr: addr('pick'), name: 'pick' });
    expect(r!.target).not.toHaveProperty('ifunc');
    expect(notes).toEqual(['pick is an IFUNC whose implementation is unknown here or outside its file; probing its resolver, which runs once per process']);
  });

  it('an implementation outside the file (the vDSO, for time and gettimeofday): stays at the resolver', () => {
    const notes: string[] = [];
    const [r] = resolveProbe(query('pick'), fixtureHost({ ifuncs: { pick: 0x7fff00000000n }, notes }));
    expect(r!.target).toMatchObject({ vaddr: addr('pick') });
    expect(r!.target).not.toHaveProperty('ifunc');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('probing its resolver');
  });

  it('a pattern: one note for the moves; two IFUNCs with one implementation are probed once', () => {
    const notes: string[] = [];
    const plan = planPattern(`${LIB}:p*`, 'funccount', { regex: false }, fixtureHost({ ifuncs: { pick: IMPL, pick2: IMPL }, notes }));
    const targets = plan.probes.map((p) => p.target).filter((t) => t.kind === 'uprobe');
    const names = targets.map((t) => t.name).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain('plain');
    const [first] = names.filter((n) => n !== 'plain');
    const other = first === 'pick' ? 'pick2' : 'pick';
    expect(targets.find((t) => t.name === 'plain')).not.toHaveProperty('ifunc');
    expect(notes).toEqual([
      `${first} is an IFUNC; probing impl_b (the implementation this CPU uses)`,
      `${other} is an IFUNC whose implementation impl_b is already probed as ${first}; its calls count there`,
    ]);
  });

  it('a pattern of several moves: one note naming each', () => {
    const notes: string[] = [];
    const impl2 = addr('plain');
    const plan = planPattern(`${LIB}:pick*`, 'stackcount', { regex: false }, fixtureHost({ ifuncs: { pick: IMPL, pick2: impl2 }, notes }));
    expect(plan.probes.map((p) => p.target.name).sort()).toEqual(['pick', 'pick2']);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^2 IFUNCs probed at the implementations this CPU uses: pick2? → (impl_b|plain), pick2? → (impl_b|plain)$/);
  });
});
