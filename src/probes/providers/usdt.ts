/**
 * USDT probes (`u:LIB:[PROVIDER:]PROBE`): SDT notes of a binary or library. One probe may have
 * many sites (each inlined copy of the call is its own note). A program that reads the
 * probe's arguments needs one copy per distinct argument layout (libbpf dedups the same way),
 * so sites are grouped by their parsed arguments; counting needs no arguments and takes every
 * site at once.
 */
import { ResolveError } from '../../errors.js';
import { findUsdtProbes, type UsdtProbe } from '../../symbols/usdt/probes.js';
import type { UsdtArg } from '../../symbols/usdt/types.js';
import type { ProbeHost } from '../host.js';
import type { Miss, Provider, ProbeQuery, ResolvedProbe } from '../provider.js';
import { nameRegExp } from '../match.js';
import { globToRegExp } from '../../symbols/match.js';
import { nearest } from '../../symbols/nearest.js';
import { splitUsdtArgs } from '../../symbols/usdt/args.js';
import { byString, completions, missHints, usdtArgLines, wrongKind, type ListEntry } from '../listing.js';

/** The probes of the binary `q` names, written as `q` writes them (with the provider when it does). */
function missed(q: ProbeQuery, host: ProbeHost): Miss {
  const bin = host.usdtBinary(q.library, q.pid);
  const probes = host.usdtProbes(bin.path);
  const names = q.provider ? probes.map((p) => `${p.provider}:${p.name}`) : probes.map((p) => p.name);
  const written = q.provider ? `${q.provider}:${q.name}` : q.name;
  return { what: 'USDT probe', where: bin.path, near: nearest(names, written), list: `usdt:${bin.path}:*` };
}

type Site = { offset: bigint; semaphoreOffset?: bigint };

function siteOf(s: UsdtProbe['sites'][number]): Site {
  return { offset: s.fileOffset, ...(s.semaphoreFileOffset ? { semaphoreOffset: s.semaphoreFileOffset } : {}) };
}

/** The sites of `probes`, one group per distinct argument layout. */
function byArgLayout(probes: readonly UsdtProbe[]): Array<{ probe: UsdtProbe; args: readonly UsdtArg[]; sites: Site[] }> {
  const groups = new Map<string, { probe: UsdtProbe; args: readonly UsdtArg[]; sites: Site[] }>();
  for (const probe of probes) {
    for (const s of probe.sites) {
      if (s.error) throw s.error;
      const key = `${probe.provider}:${probe.name}:${JSON.stringify(s.args, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { probe, args: s.args, sites: [] }));
      g.sites.push(siteOf(s));
    }
  }
  return [...groups.values()];
}

export const usdtProvider: Provider = {
  name: 'usdt',
  listKinds: ['usdt'],
  async complete(host, library, partial, prefix) {
    try {
      const probes = host.usdtProbes(host.usdtBinary(library).path);
      // `u:lib:probe` and `u:lib:provider:probe` both work; offer the short form.
      return completions(new Set(probes.map((p) => p.name)), prefix, partial);
    } catch {
      return [];
    }
  },
  list(q, host, o) {
    if (q.kind !== 'usdt') throw wrongKind(q, 'usdt');
    return listUsdtEntries(q.library, q.provider, q.probe, host, o.verbose);
  },
  missed,
  resolve(q: ProbeQuery, host: ProbeHost): ResolvedProbe[] {
    const bin = host.usdtBinary(q.library, q.pid);
    const all = host.usdtProbes(bin.path);
    const written = q.provider ? `${q.provider}:${q.name}` : q.name;
    let found: readonly UsdtProbe[];
    if (q.match === 'exact') {
      found = findUsdtProbes(all, written);
      if (found.length === 0) throw new ResolveError(`unrecognized USDT probe ${written} in ${bin.path}`, missHints(missed(q, host)));
    } else {
      const re = nameRegExp(q.name, q.match);
      found = all.filter((p) => re.test(p.name));
    }
    const mechanism = host.userProbeMechanism();
    if (!q.readsArgs) {
      return found.map((p) => ({
        target: { kind: 'usdt', path: bin.path, provider: p.provider, probe: p.name, name: p.name, sites: p.sites.map(siteOf), mechanism },
        site: { kind: 'usdt', args: [] },
        ret: false,
      }));
    }
    return byArgLayout(found).map((g) => ({
      target: { kind: 'usdt', path: bin.path, provider: g.probe.provider, probe: g.probe.name, name: written, sites: g.sites, mechanism },
      site: { kind: 'usdt', args: g.args },
      ret: false,
    }));
  },
};

async function* listUsdtEntries(library: string, provider: string, probe: string, host: ProbeHost, verbose: boolean): AsyncGenerator<ListEntry> {
  const bin = host.usdtBinary(library);
  const provRe = globToRegExp(provider);
  const probeRe = globToRegExp(probe);
  const probes = host
    .usdtProbes(bin.path)
    .filter((p) => provRe.test(p.provider) && probeRe.test(p.name))
    .sort((a, b) => byString(a.provider, b.provider) || byString(a.name, b.name));
  for (const p of probes) {
    yield {
      probe: `usdt:${bin.path}:${p.provider}:${p.name}`,
      details: () => {
        if (!verbose) return [];
        // Sites of one probe usually share their argument types; show the first site, and
        // say when others differ.
        const site = p.sites[0]!;
        if (site.error) return [`arguments do not parse: ${site.error.message}`];
        const lines = usdtArgLines(site.args, splitUsdtArgs(site.argSpec));
        const kinds = (s: typeof site): string => s.args.map((a) => `${a.signed ? '-' : ''}${a.size}`).join(' ');
        const differ = p.sites.filter((s) => s.error || kinds(s) !== kinds(site)).length;
        if (p.sites.length > 1) lines.push(`(${p.sites.length} sites${differ ? `, ${differ} with other argument types` : ''})`);
        return lines;
      },
    };
  }
}
