// Makes the package's own bins runnable with npx in a clone of this repository:
// `npm install && npx funccount …` finds commands in node_modules/.bin, but npm links a
// package's bins only into the projects that depend on it, not into its own folder (npx would
// otherwise fetch and build a second copy of the package). Skipped when this package is itself
// installed as a dependency somewhere, where npm links the bins properly.
import { mkdirSync, readFileSync, symlinkSync, lstatSync, unlinkSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!root.split('/').includes('node_modules')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const binDir = join(root, 'node_modules', '.bin');
  mkdirSync(binDir, { recursive: true });
  for (const [name, file] of Object.entries(pkg.bin ?? {})) {
    const link = join(binDir, name);
    const target = relative(binDir, join(root, file));
    try {
      lstatSync(link);
      unlinkSync(link);
    } catch {
      // not there yet
    }
    symlinkSync(target, link);
  }
}
