// npm run bench: every benchmark, side by side with bpftrace and BCC where they run here.
// Needs root. Sections can be picked: node bench/run.mjs funccount btf
const all = {
  funccount: async () => (await import('./funccount.mjs')).benchFunccount(),
  btf: async () => import('./btf.mjs'),
};
const picked = process.argv.slice(2);
console.log(`# polytrace benchmarks, ${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} CPUs, Linux ${(await import('node:os')).release()}`);
for (const [name, fn] of Object.entries(all)) {
  if (picked.length && !picked.includes(name)) continue;
  try {
    await fn();
  } catch (e) {
    console.log(`\n## ${name}: failed: ${e instanceof Error ? e.message : e}`);
  }
}
