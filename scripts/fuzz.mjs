#!/usr/bin/env node
// The long fuzz run: the same fast-check properties as the default test run (every parser:
// probe specs, C expressions, format strings, BTF, ELF, USDT notes and arguments, tracefs
// formats, kallsyms, /proc maps, ld.so.cache, and whole command lines of the five tools with
// hostile files: test/unit/fuzz/cli.test.ts), with many more cases. The real-CLI half of the
// command-line fuzzer needs the kernel: FUZZ_CLI_RUNS=N npx vitest run test/kernel/fuzz-cli.test.ts.
//
//   node scripts/fuzz.mjs                 # FUZZ_RUNS=50000 cases per property
//   FUZZ_RUNS=200000 node scripts/fuzz.mjs
//   FUZZ_SEED=123 FUZZ_RUNS=5000 node scripts/fuzz.mjs   # replay a failure's seed (one round)
//
// The cases run in rounds of at most 2,000 per property, each round a vitest run with fresh
// random seeds: one property computing for minutes would block vitest's worker past its RPC
// timeout. Per round, FUZZ_RUNS sets the case count of test/unit/fuzz/*, and FUZZ_SCALE that
// of test/unit/specs/fuzz.test.ts (whose properties default to 1,000-2,500 cases).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const total = Number(process.env.FUZZ_RUNS ?? 50000);
if (!Number.isInteger(total) || total <= 0) {
  console.error(`fuzz: FUZZ_RUNS must be a positive integer, got ${process.env.FUZZ_RUNS}`);
  process.exit(2);
}
const ROUND = 2000;
const rounds = process.env.FUZZ_SEED ? 1 : Math.ceil(total / ROUND);
const perRound = Math.min(total, ROUND);
const scale = process.env.FUZZ_SCALE ?? String(Math.max(1, Math.round(perRound / 2000)));
const files = ['test/unit/fuzz/', 'test/unit/specs/fuzz.test.ts', 'test/unit/btf/corrupt.test.ts'];
const t0 = Date.now();
for (let i = 1; i <= rounds; i++) {
  console.error(`fuzz: round ${i}/${rounds}: FUZZ_RUNS=${perRound} FUZZ_SCALE=${scale}${process.env.FUZZ_SEED ? ` FUZZ_SEED=${process.env.FUZZ_SEED}` : ''}`);
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...files, '--testTimeout=0'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: String(perRound), FUZZ_SCALE: scale },
  });
  if (r.status !== 0) {
    console.error(`fuzz: FAILED in round ${i} after ${((Date.now() - t0) / 1000).toFixed(0)} s (fast-check printed the seed and the shrunk input above)`);
    process.exit(r.status ?? 1);
  }
}
console.error(`fuzz: passed, ${rounds * perRound} cases per property in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
