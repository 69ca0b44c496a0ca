/**
 * The uapi table (uapi.gen.ts, from linux-libc-dev by scripts/gen-uapi-constants.mjs) as a
 * constant source: user-space ABI names only, per arch where their values differ.
 */
import type { ConstantSource } from './scope.js';
/** The arches the table has (compile/context.ts's Arch). */
type Arch = 'x64' | 'arm64';

import { UAPI_ARCH, UAPI_COMMON, UAPI_FILES, type UapiEntry } from './uapi.gen.js';

export function uapiEntry(name: string, arch: Arch): UapiEntry | undefined {
  if (Object.hasOwn(UAPI_ARCH[arch], name)) return UAPI_ARCH[arch][name];
  return Object.hasOwn(UAPI_COMMON, name) ? UAPI_COMMON[name] : undefined;
}

export function uapiSource(arch: Arch): ConstantSource {
  return {
    name: 'uapi table',
    constant(name) {
      const e = uapiEntry(name, arch);
      if (!e) return undefined;
      const [v, type, file] = e;
      return { name, value: BigInt(v), size: type.endsWith('l') ? 8 : 4, signed: !type.startsWith('u'), source: `uapi table (${UAPI_FILES[file]}, ${arch})` };
    },
  };
}
