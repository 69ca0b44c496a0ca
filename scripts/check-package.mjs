// Checks the package as users get it (.ci/run, after the tests; needs a built dist/ and root):
// `npm pack`, then `npm install -g --prefix DIR` of the tarball into an empty prefix, then
//   - the tarball holds the bins, the bundles, the man pages, examples/ and the JSON docs,
//     and none of the tsc output or V8 code caches of dist/;
//   - no bundled dependency (commander, nearley, moo) is installed again;
//   - the install prints no install-script warning (with --ignore-scripts: koffi's script
//     only checks its prebuilt addon, see package.json's allowScripts);
//   - DIR/bin/<tool> --help and polytrace --version run, man -M DIR/share/man finds every page;
//   - one real tool runs from the installed package: funccount counts getpid calls for 1 s
//     (it loads BPF programs: run this under /tmp/polytrace-kernel.lock where others trace).
// Prints the installed size (du of the package and its node_modules). Exits 1 on a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

if (!existsSync(join(root, 'dist', 'cli', 'polytrace.cjs'))) {
  console.error('check-package: dist/ is not built (npm run build)');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'polytrace-pkg-'));
try {
  // dist/ is built already: --ignore-scripts skips prepare's second build.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
  const files = packed[0].files.map((f) => f.path);
  const tarball = join(work, packed[0].filename);
  const expected = [
    'LICENSE',
    'README.md',
    'CHANGELOG.md',
    'docs/json.md',
    'docs/polytrace.schema.json',
    'bin/load.js',
    'bin/package.json',
    ...Object.values(pkg.bin).map((b) => b.replace(/^\.\//, '')),
    ...pkg.man,
    ...Object.keys(pkg.bin).map((b) => `dist/cli/${b}.cjs`),
    ...Object.keys(pkg.bin)
      .filter((b) => b !== 'polytrace')
      .map((t) => `examples/${t}_example.txt`),
  ];
  const missing = expected.filter((f) => !files.includes(f));
  check(missing.length === 0, `the tarball holds ${expected.length} expected files${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  const extra = files.filter((f) => f.startsWith('dist/') && !/^dist\/cli\/[a-z]+\.cjs$/.test(f));
  check(extra.length === 0, `no tsc output or code cache of dist/ in the tarball${extra.length ? ` (found ${extra.slice(0, 5).join(', ')}…)` : ''}`);
  console.log(`     tarball: ${packed[0].size} bytes, ${files.length} files, unpacked ${packed[0].unpackedSize} bytes`);

  const prefix = join(work, 'prefix');
  const install = spawnSync('npm', ['install', '-g', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { encoding: 'utf8' });
  check(install.status === 0, `npm install -g --prefix DIR ${packed[0].filename}${install.status ? `: ${install.stderr}` : ''}`);
  check(
    !/install-scripts|allowScripts/.test(install.stdout + install.stderr),
    `the install prints no install-script warning${/allowScripts/.test(install.stderr) ? `:\n${install.stderr}` : ''}`,
  );

  const installed = join(prefix, 'lib', 'node_modules', pkg.name);
  const du = (p, ...a) => Number(execFileSync('du', ['-sb', ...a, p], { encoding: 'utf8' }).split('\t')[0]);
  // Before any run: the bins write V8 code caches into dist/cli/.
  console.log(
    `     installed: ${du(installed)} bytes (package ${du(installed, '--exclude=node_modules')}, node_modules ${du(join(installed, 'node_modules'))})`,
  );
  const deps = readdirSync(join(installed, 'node_modules')).filter((d) => !d.startsWith('.'));
  const rebundled = deps.filter((d) => ['commander', 'nearley', 'moo'].includes(d));
  check(rebundled.length === 0, `bundled dependencies are not installed again (node_modules: ${deps.join(', ')})`);
  check(deps.includes('koffi'), 'koffi (loaded at run time, not bundled) is installed');

  for (const bin of Object.keys(pkg.bin)) {
    const r = spawnSync(join(prefix, 'bin', bin), bin === 'polytrace' ? ['--version'] : ['--help'], { encoding: 'utf8' });
    check(
      r.status === 0 && r.stderr === '' && (bin === 'polytrace' ? r.stdout === `polytrace ${pkg.version}\n` : r.stdout.startsWith(`Usage: ${bin} `)),
      `DIR/bin/${bin} ${bin === 'polytrace' ? '--version' : '--help'}`,
    );
  }
  for (const page of pkg.man) {
    const name = page.replace(/^.*\/|\.8$/g, '');
    const r = spawnSync('man', ['-M', join(prefix, 'share', 'man'), '-w', name], { encoding: 'utf8' });
    const linked = existsSync(join(prefix, 'share', 'man', 'man8', `${name}.8`));
    check(
      linked && r.status === 0 && r.stdout.trim().endsWith(`/man8/${name}.8`),
      `DIR/share/man/man8/${name}.8 linked, found by man -M DIR/share/man${r.status ? `: ${r.stderr.trim()}` : ''}`,
    );
  }
  const page = spawnSync('man', ['-M', join(prefix, 'share', 'man'), 'funccount'], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', PAGER: 'cat' } });
  // Not on a terminal, man overstrikes: X\bX is a bold X, _\bX an underlined one.
  const parts = page.stdout.split('\b');
  const plain = parts
    .map((p, i) => (i < parts.length - 1 ? p.slice(0, -1) : p))
    .join('')
    .replace(/\s+/g, ' ');
  check(page.status === 0 && /examples\/<tool>_example\.txt/.test(plain), 'man funccount renders and names examples/<tool>_example.txt');

  const run = spawnSync(join(prefix, 'bin', 'funccount'), ['-d', '1', 't:syscalls:sys_enter_getpid'], { encoding: 'utf8', cwd: work });
  check(
    run.status === 0 && /^FUNC +COUNT$/m.test(run.stdout) && run.stdout.includes('Detaching...'),
    `the installed funccount counts for 1 s${run.status === 0 ? '' : `: exit ${run.status}, ${run.stderr.trim()}`}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`check-package: ${failures.length} check(s) failed`);
  process.exit(1);
}
