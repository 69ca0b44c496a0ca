#!/usr/bin/env node
// The soak test (minutes; not in the default run): funccount, stackcount, trace and argdist on
// one workload calling getpid() at a sustained high rate, with RSS sampling and exact
// accounting. Needs root and a build (npm run build).
//
//   node scripts/soak.mjs                  # SOAK_MINUTES=5
//   SOAK_MINUTES=2 node scripts/soak.mjs
//   SOAK_RATE=200000 node scripts/soak.mjs # calls per second (default: as fast as it can)
//   SOAK_RSS_GROWTH_MB=40 SOAK_SAMPLE_S=5  # the RSS bound after warm-up, the sampling period
//   SOAK_ONLY=churn SOAK_MINUTES=10 node scripts/soak.mjs   # stackcount -P with process churn
//   SOAK_STACK_RSS_MB=120 SOAK_FLAT_MB=8   # its bound, and how much the last quarter may exceed the first
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const minutes = process.env.SOAK_MINUTES ?? '5';
console.error(`soak: SOAK_MINUTES=${minutes}${process.env.SOAK_RATE ? ` SOAK_RATE=${process.env.SOAK_RATE}` : ''}`);
// SOAK_ONLY=churn: only the process-churn test (stackcount -P at sched_switch, issue 20).
const only = process.env.SOAK_ONLY === 'churn' ? ['-t', 'short-lived processes'] : [];
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/soak/vitest.config.ts', ...only], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SOAK_MINUTES: minutes },
});
process.exit(r.status ?? 1);
