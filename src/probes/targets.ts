/**
 * What a pattern resolves to: concrete places to attach, each with the name the tools
 * print for it. Resolution is pure over the host's files (tracefs, ELF, notes).
 */

import type { KernelFunctionMechanism } from './host.js';

export type ProbeTarget =
  | { readonly kind: 'tracepoint'; readonly category: string; readonly event: string; readonly name: string }
  | {
      readonly kind: 'uprobe';
      readonly path: string;
      readonly symbol: string;
      /** File offset of the probed instruction. */
      readonly offset: bigint;
      /** Virtual address of the symbol in the ELF file. */
      readonly vaddr: bigint;
      readonly name: string;
    }
  | {
      readonly kind: 'usdt';
      readonly path: string;
      readonly provider: string;
      readonly probe: string;
      readonly name: string;
      readonly sites: readonly { readonly offset: bigint; readonly semaphoreOffset?: bigint }[];
    }
  | {
      readonly kind: 'kfunc';
      readonly symbol: string;
      readonly name: string;
      /** Chosen once, when the probe is resolved: it decides what the program sees. */
      readonly mechanism: KernelFunctionMechanism;
    };

export type ProbeTargetKind = ProbeTarget['kind'];
