/** `polytrace features`: what this kernel offers, and for each missing mechanism the reason. */
import { toolCommand } from './options.js';
import { allFeatures } from '../features/feature.js';
import '../features/probes.js';
import '../features/fentry.js';
import { out } from '../report/lifecycle.js';

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const cmd = toolCommand(prog, 'Show which BPF mechanisms this kernel offers', `Set POLYTRACE_DISABLE=name,… to force the fallbacks.`).option(
    '--json',
    'print as JSON',
    false,
  );
  cmd.parse([...argv], { from: 'user' });
  const json = cmd.opts().json as boolean;
  const rows = allFeatures().map((f) => ({
    name: f.name,
    description: f.description,
    available: f.available(),
    reason: f.reason(),
    fallback: f.fallback ?? '',
  }));
  if (json) {
    await out(`${JSON.stringify(rows)}\n`);
    return;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  let text = '';
  for (const r of rows) {
    text += `${r.name.padEnd(w)}  ${r.available ? 'yes' : 'no '}  ${r.description}`;
    if (!r.available) text += `\n${' '.repeat(w + 7)}why: ${r.reason}${r.fallback ? `; instead: ${r.fallback}` : ''}`;
    text += '\n';
  }
  await out(text);
}
