/**
 * The man pages: generated from the tools' Commands (the source of --help) by
 * scripts/gen-man.mjs, committed, lint-clean with mandoc, rendered by man -l. The generator
 * reads the tsc output in dist/: outside CI the test is skipped until `npm run build` ran.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { root, inCI } from '../../helpers/kernel.js';

const PAGES = ['polytrace', 'trace', 'argdist', 'funccount', 'funclatency', 'stackcount'];
const built = existsSync(join(root, 'dist', 'multitools', 'options.js'));
/** man's output without overstrike (bold as X\bX, underline as _\bX when not on a terminal). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: man overstrikes with backspaces
const plain = (s: string) => s.replace(/.\x08/g, '');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('man pages', () => {
  it.skipIf(!built && !inCI)('the committed pages are what scripts/gen-man.mjs generates', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-man.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("every page has the sections of BCC's pages", () => {
    for (const p of PAGES) {
      const text = readFileSync(join(root, 'man', 'man8', `${p}.8`), 'utf8');
      for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXAMPLES', 'OVERHEAD', 'SEE ALSO']) {
        expect(text, `${p}.8 ${s}`).toMatch(new RegExp(`^\\.SH ${s}$`, 'm'));
      }
      expect(text).toMatch(new RegExp(`^\\.TH ${p.toUpperCase()} 8 `, 'm'));
    }
  });

  it('a default the description tells is not repeated (argdist -i)', () => {
    const text = readFileSync(join(root, 'man', 'man8', 'argdist.8'), 'utf8');
    expect(text).toContain('Output interval, in seconds (default 1 second)\n');
    expect(text).not.toMatch(/\(default 1 second\)\.? Default: 1\./);
  });

  it.skipIf(!have('mandoc') && !inCI)('mandoc -Tlint: no message at all', () => {
    const r = spawnSync('mandoc', ['-Tlint', '-W', 'style', ...PAGES.map((p) => join(root, 'man', 'man8', `${p}.8`))], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!have('man') && !inCI)('man -l renders each page, options and examples included', () => {
    for (const p of PAGES) {
      const text = plain(
        execFileSync('man', ['-l', join(root, 'man', 'man8', `${p}.8`)], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', PAGER: 'cat' } }),
      );
      expect(text).toMatch(new RegExp(`^${p.toUpperCase()}\\(8\\)`));
      expect(text).toContain('EXAMPLES');
      if (p !== 'polytrace') expect(text).toMatch(/-h, --help\n\s+Print usage message and exit\./);
    }
    const fc = plain(
      execFileSync('man', ['-l', join(root, 'man', 'man8', 'funccount.8')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', PAGER: 'cat' } }),
    );
    expect(fc).toContain("# funccount 't:syscalls:sys_enter_*' -d 5");
    expect(fc).toMatch(/--prometheus \[HOST:\]PORT\n\s+Serve the counts/);
  });
});
