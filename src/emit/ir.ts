/**
 * `--dump=ir`: a program as the builder made it, before assembly — the form `--dump=asm`
 * cannot show. Its maps are declared with their shapes, jump targets stay symbolic
 * (`goto <out>`, with `out:` on its own line where it lands), and every instruction keeps the
 * comment that says why it is there (`-p 1234`, `counts[slot]++`).
 */
import { formatInsn } from './disasm.js';
import { MapType, ProgType, type MapSpec, type ProgramSpec } from './types.js';

const nameOf = (table: Readonly<Record<string, number>>, v: number): string => Object.entries(table).find(([, n]) => n === v)?.[0] ?? String(v);

function mapLine(m: MapSpec): string {
  const flags = m.flags ? ` flags 0x${m.flags.toString(16)}` : '';
  return `map ${m.name}: ${nameOf(MapType, m.type)} key ${m.keySize} value ${m.valueSize} entries ${m.maxEntries}${flags}`;
}

export function formatIr(spec: ProgramSpec): string {
  const head = [
    `program ${spec.name}: ${nameOf(ProgType, spec.type)}` +
      (spec.expectedAttachType !== undefined ? ` attach ${spec.expectedAttachType}` : '') +
      (spec.attachBtfId !== undefined ? ` btf_id ${spec.attachBtfId}${spec.attachBtfModule ? ` (${spec.attachBtfModule})` : ''}` : ''),
  ];
  const lines = [...head, ...spec.maps.map(mapLine)];
  for (const i of spec.insns) {
    if (i.label !== undefined) lines.push(`${i.label}:`);
    // One instruction alone: its jump target cannot resolve, so it prints as `<label>`.
    const text = formatInsn(i.label !== undefined ? { ...i, label: undefined } : i);
    lines.push(`    ${text}${i.comment !== undefined ? `\t; ${i.comment}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
