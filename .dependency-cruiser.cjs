// Folder dependency rules of polytrace (docs/ARCHITECTURE.md, "Folders and their allowed imports").
// Run: npx depcruise src   (part of `npm run lint`)
//
// Layers, bottom up:
//   errors.ts                         nothing of ours
//   pure core: specs btf emit symbols output compile
//                                     runs and is tested on any machine: no kernel, no koffi
//   sys                               the only importer of koffi
//   live: kernel attach events features session.ts
//   probes                            providers per probe kind: pure core + features/kernel host reads
//   report                            output, kernel, events, session: what a run prints and when it stops
//   pipeline                          everything but multitools
//   multitools                        the five tools; the only importer of commander; imported by nobody

/** Pure core folders: no kernel, no koffi. */
const PURE = '^src/(specs|btf|emit|symbols|output|compile)/';
/** Live layers (own fds, touch the kernel). */
const LIVE = '^src/(sys|kernel|attach|events|features)/|^src/session\\.ts$';
/** Orchestration above the live layers. */
const UPPER = '^src/(probes|pipeline|report|multitools)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles: every folder and file sits above what it imports. A cycle closed only by type-only ' +
        'imports (erased at build time) is reported by no-circular-type-only instead.',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-type-only',
      severity: 'info',
      comment: 'A cycle through a type-only import: harmless at run time, shown so that it stays known.',
      from: {},
      to: { circular: true, via: { dependencyTypes: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file (the nearley .gen.ts files are made by the build).',
      from: {},
      to: { couldNotResolve: true, pathNot: '\\.gen\\.js$' },
    },
    {
      name: 'koffi-only-in-sys',
      severity: 'error',
      comment: 'Only src/sys/ may import koffi: everything else reaches the kernel through sys.',
      from: { pathNot: '^src/sys/' },
      to: { path: '(^|/)node_modules/koffi/' },
    },
    {
      name: 'commander-only-in-multitools',
      severity: 'error',
      comment: 'Only src/multitools/ may import commander: option parsing stays in the tools.',
      from: { pathNot: '^src/multitools/' },
      to: { path: '(^|/)node_modules/commander/' },
    },
    {
      name: 'nothing-imports-multitools',
      severity: 'error',
      comment: 'src/multitools/ is the top: nothing below may import it.',
      from: { path: '^src/', pathNot: '^src/multitools/' },
      to: { path: '^src/multitools/' },
    },
    {
      name: 'errors-imports-nothing',
      severity: 'error',
      comment: 'src/errors.ts is the bottom: it imports nothing of ours.',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'pure-core-not-live',
      severity: 'error',
      comment: 'The pure core (specs, btf, emit, symbols, output, compile) must not import sys, the live layers or the layers above them.',
      from: { path: PURE },
      to: { path: [LIVE, UPPER] },
    },
    {
      name: 'specs-only-errors',
      severity: 'error',
      comment: 'src/specs/ imports nothing of ours but src/errors.ts.',
      from: { path: '^src/specs/' },
      to: { path: '^src/', pathNot: ['^src/specs/', '^src/errors\\.ts$'] },
    },
    {
      name: 'btf-emit-symbols-only-errors',
      severity: 'error',
      comment: 'src/btf/, src/emit/ and src/symbols/ import nothing of ours but src/errors.ts (and themselves).',
      from: { path: '^src/(btf|emit|symbols)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', '^src/errors\\.ts$'] },
    },
    {
      name: 'output-only-errors-and-symbols',
      severity: 'error',
      comment:
        'src/output/ imports src/errors.ts, and src/symbols/ for symbolization (output/symbolize.ts reads kallsyms, ' +
        'ELF and /proc maps through the symbols parsers): nothing else of ours.',
      from: { path: '^src/output/' },
      to: { path: '^src/', pathNot: ['^src/output/', '^src/errors\\.ts$', '^src/symbols/'] },
    },
    {
      name: 'sys-only-errors',
      severity: 'error',
      comment: 'src/sys/ sits right above koffi: it imports nothing of ours but src/errors.ts.',
      from: { path: '^src/sys/' },
      to: { path: '^src/', pathNot: ['^src/sys/', '^src/errors\\.ts$'] },
    },
    {
      name: 'live-not-upper',
      severity: 'error',
      comment:
        'The live layers (sys, kernel, attach, events, features, session.ts) import sys and the pure core, ' +
        'never pipeline, report or multitools (type-only imports of probes are allowed: a ProbeTarget is a description).',
      from: { path: LIVE },
      to: { path: '^src/(pipeline|report|multitools)/' },
    },
    {
      name: 'live-probes-types-only',
      severity: 'error',
      comment: 'The live layers may name probe types (ProbeTarget, ...) but not run probes code.',
      from: { path: LIVE },
      to: { path: '^src/probes/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'probes-allowed',
      severity: 'error',
      comment:
        'src/probes/ may import specs, btf, symbols, emit, compile (context types), features and kernel (host reads), ' +
        'and errors: not sys, attach, events, session, pipeline, report or multitools.',
      from: { path: '^src/probes/' },
      to: {
        path: '^src/',
        pathNot: ['^src/(probes|specs|btf|symbols|emit|compile|features|kernel)/', '^src/errors\\.ts$'],
      },
    },
    {
      name: 'probes-compile-types-only',
      severity: 'error',
      comment: 'src/probes/ only names compile types (ProbeSite, ...): compile code is the caller, not the callee.',
      from: { path: '^src/probes/' },
      to: { path: '^src/compile/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'report-allowed',
      severity: 'error',
      comment:
        'src/report/ may import output, kernel, events, session and the pure core: not sys directly, ' +
        'not pipeline, probes or multitools, and not commander.',
      from: { path: '^src/report/' },
      to: { path: ['^src/(sys|pipeline|probes|multitools)/', '(^|/)node_modules/commander/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|test/\\.build)/' },
    // type-only imports count (for cycles and for the *-types-only rules)
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
