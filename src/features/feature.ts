/**
 * Named, cached probes of what the running kernel offers (after cilium's internal/feature.go).
 * A probe answers 'yes' or { no: reason }; an inconclusive probe throws and is not cached.
 * Choices are made by capability, never by kernel version. POLYTRACE_DISABLE=name,… turns a
 * feature off so that tests and users can force the fallback paths.
 */
import { UnsupportedFeatureError } from '../errors.js';

export type ProbeAnswer = 'yes' | { readonly no: string };

export interface Feature {
  readonly name: string;
  readonly description: string;
  /** What a user can do without it, for messages. */
  readonly fallback?: string;
  /** True when present and not disabled by POLYTRACE_DISABLE. Cached. */
  available(): boolean;
  /** Why it is unavailable ('' when available). */
  reason(): string;
  /** Throws UnsupportedFeatureError when unavailable. */
  require(): void;
}

const registry: Feature[] = [];

function disabledNames(): Set<string> {
  return new Set(
    (process.env.POLYTRACE_DISABLE ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

export function defineFeature(o: { name: string; description: string; fallback?: string; probe(): ProbeAnswer }): Feature {
  let cached: ProbeAnswer | undefined;
  const answer = (): ProbeAnswer => {
    if (disabledNames().has(o.name)) return { no: 'disabled by POLYTRACE_DISABLE' };
    if (cached === undefined) cached = o.probe();
    return cached;
  };
  const f: Feature = {
    name: o.name,
    description: o.description,
    fallback: o.fallback,
    available: () => answer() === 'yes',
    reason: () => {
      const a = answer();
      return a === 'yes' ? '' : a.no;
    },
    require: () => {
      const a = answer();
      if (a !== 'yes') {
        throw new UnsupportedFeatureError(o.name, `${o.description} is not available on this kernel: ${a.no}`, o.fallback ? [o.fallback] : []);
      }
    },
  };
  registry.push(f);
  return f;
}

export function allFeatures(): readonly Feature[] {
  return registry;
}
