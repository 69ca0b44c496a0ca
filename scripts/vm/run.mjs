#!/usr/bin/env node
/**
 * Runs a command as root in a throwaway QEMU VM booted with a Debian kernel, for the tests that
 * need kernel features the host lacks (kprobes, fentry, kprobe_multi). The VM sees the host's
 * filesystem read-only under a tmpfs overlay (writes are thrown away), with the current
 * directory and every --rw DIR shared read-write over 9p at the same path; /tmp and /run are
 * fresh; proc, sysfs, devtmpfs, devpts, tracefs, debugfs, bpffs and cgroup2 are mounted; there
 * is no network, only lo. The command gets the caller's environment and /dev/null as stdin;
 * its stdout and stderr (pipes in the VM) stream here live.
 *
 *   scripts/vm/run.mjs [--arch x86_64|arm64] [--kernel IMAGE] [--timeout S] [--mem SIZE] [--cpus N] [--rw DIR]... [-v] [--] COMMAND...
 *
 *   --arch A        x86_64 (default) or arm64: an emulated arm64 VM (qemu-system-aarch64 -M virt
 *                   -cpu max, always TCG). Its root is not the host's (x86) files but the arm64
 *                   tree of scripts/vm-arm64.mjs (busybox, glibc, bpftool, Node 24), with the
 *                   shares mounted the same way; its default kernel is Debian's linux-image-arm64.
 *
 *   --kernel IMAGE  a bzImage from an unpacked Debian package: its release R is read from the
 *                   image, its modules from DIR/../lib/modules/R (DIR: the image's directory)
 *                   or /lib/modules/R, which needs a modules.dep; arm64 also takes a gzip'd Image
 *                   (Debian's arm64 vmlinuz), decompressed once into the cache. Default: the image Debian's
 *                   linux-image-amd64 depends on (6.1 on bookworm), fetched once by
 *                   scripts/vm-kernels.mjs.
 *   --timeout S     kill the VM after S seconds (default 600);  --mem SIZE: default 2G;
 *   --cpus N        default 2;  -v: also copy the VM's console (kernel log) to stderr.
 *
 * Exit status: the command's; 124 if the VM timed out; 125 if it failed to boot or to set up
 * (or the usage is wrong); 130 if interrupted or if our stdout was closed. A "polytrace-vm:"
 * line on stderr says which.
 *
 * qemu and busybox-static are installed with apt-get when missing. Cache (kernels, and each
 * kernel's decompressed image): POLYTRACE_VM_CACHE, default /var/cache/polytrace-vm.
 * POLYTRACE_VM_ACCEL=kvm|tcg forces the accelerator (default: kvm when usable, else tcg);
 * POLYTRACE_VM_TCG=multi runs TCG with a host thread per vCPU (default: one thread, see below).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { arm64Kernel, arm64Root, ensureArm64HostTools } from '../vm-arm64.mjs';
import { CACHE, ensureHostTools, stockKernel } from '../vm-kernels.mjs';

const log = (line) => process.stderr.write(`${line}\n`);
const say = (line) => log(`polytrace-vm: ${line}`);
const fail = (line, status = 125) => {
  say(line);
  process.exit(status);
};

// ---- arguments ---------------------------------------------------------------------------
const opts = { arch: 'x86_64', kernel: undefined, timeout: 600, mem: '2G', cpus: 2, rw: [], verbose: false };
const argv = process.argv.slice(2);
while (argv.length > 0 && argv[0].startsWith('-')) {
  const a = argv.shift();
  if (a === '--') break;
  if (a === '-v' || a === '--verbose') {
    opts.verbose = true;
    continue;
  }
  const value = argv.shift();
  if (value === undefined) fail(`${a} needs a value`);
  if (a === '--arch') opts.arch = value;
  else if (a === '--kernel') opts.kernel = value;
  else if (a === '--timeout') opts.timeout = Number(value);
  else if (a === '--mem') opts.mem = value;
  else if (a === '--cpus') opts.cpus = Number(value);
  else if (a === '--rw') opts.rw.push(value);
  else fail(`unknown option ${a} (see the top of ${process.argv[1]})`);
}
if (argv.length === 0) fail(`usage: ${basename(process.argv[1])} [--kernel IMAGE] [--timeout S] [--mem SIZE] [--cpus N] [--rw DIR]... [-v] [--] COMMAND...`);
if (opts.arch !== 'x86_64' && opts.arch !== 'arm64') fail('--arch takes x86_64 or arm64');
const arm64 = opts.arch === 'arm64';
if (!(opts.timeout > 0) || !(opts.cpus >= 1)) fail('--timeout and --cpus take positive numbers');
const real = (p, what) => {
  try {
    return realpathSync(p);
  } catch {
    return fail(`no such ${what}: ${p}`);
  }
};
const shares = [process.cwd(), ...opts.rw.map((d) => real(d, 'directory'))];
if (shares[0] === '/') fail('run from a project directory, not /');
if (shares.some((d) => d.includes('\n'))) fail('shared directories cannot have a newline in their path');

// ---- host tools and kernel -----------------------------------------------------------------
try {
  if (arm64) ensureArm64HostTools();
  else ensureHostTools(log);
} catch (e) {
  fail(`cannot install qemu and busybox-static: ${e.message}`);
}
let image;
try {
  image = opts.kernel ? real(opts.kernel, 'kernel') : (arm64 ? arm64Kernel() : stockKernel(log)).vmlinuz;
} catch (e) {
  fail(`cannot get Debian's stock ${opts.arch} kernel: ${e.message}`);
}
/** The VM's root: the host's own, or (arm64) the arm64 tree. */
let rootDir = '/';
try {
  if (arm64) rootDir = arm64Root(new URL('../..', import.meta.url).pathname);
} catch (e) {
  fail(`cannot build the arm64 root: ${e.message}`);
}
const imageBytes = readFileSync(image);
const isBzImage = imageBytes.toString('latin1', 0x202, 0x206) === 'HdrS';

/** The kernel release: from the bzImage's header (kernel_version), else from a vmlinu[xz]-R name. */
function kernelRelease() {
  if (!isBzImage) return basename(image).replace(/^vmlinu[xz]-/, '');
  const at = 0x200 + imageBytes.readUInt16LE(0x20e);
  return imageBytes.toString('latin1', at, imageBytes.indexOf(0, at)).split(' ')[0];
}
const release = kernelRelease();

/**
 * What qemu boots. A bzImage decompresses itself, which takes seconds of emulated CPU; a kernel
 * built with CONFIG_PVH=y can instead be booted as the uncompressed ELF inside it (qemu finds
 * the PVH entry note). That ELF is the bzImage's payload (offset and length in its header;
 * the last 4 bytes are the decompressed size, not compressed data), decompressed once into the cache.
 */
function bootImage() {
  if (imageBytes[0] === 0x1f && imageBytes[1] === 0x8b) {
    // arm64's vmlinuz: a gzip'd Image (the kernel does not decompress itself there).
    const out = join(CACHE, `Image-${release}-${createHash('sha256').update(imageBytes).digest('hex').slice(0, 12)}`);
    if (existsSync(out)) return out;
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(`${out}.${process.pid}`, gunzipSync(imageBytes));
    renameSync(`${out}.${process.pid}`, out);
    return out;
  }
  const config = join(dirname(image), `config-${release}`);
  if (!isBzImage || !existsSync(config) || !/^CONFIG_PVH=y$/m.test(readFileSync(config, 'utf8'))) return image;
  const out = join(CACHE, `vmlinux-${release}-${createHash('sha256').update(imageBytes).digest('hex').slice(0, 12)}`);
  if (existsSync(out)) return out;
  const start = ((imageBytes[0x1f1] || 4) + 1) * 512 + imageBytes.readUInt32LE(0x248);
  const payload = imageBytes.subarray(start, start + imageBytes.readUInt32LE(0x24c) - 4);
  const tool = payload.readUInt32BE(0) === 0xfd377a58 ? 'xz' : payload.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : undefined;
  const elf = tool && spawnSync(tool, ['-dc'], { input: payload, maxBuffer: 1 << 30 }).stdout;
  if (!elf || elf.length < 4 || elf.readUInt32BE(0) !== 0x7f454c46) return image;
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(`${out}.${process.pid}`, elf);
  renameSync(`${out}.${process.pid}`, out);
  return out;
}
const boot = bootImage();

// ---- initramfs ---------------------------------------------------------------------------
/** The modules the VM needs before it can mount anything, and what they depend on, in load order. */
function modules() {
  const dir = [join(dirname(image), '..', 'lib', 'modules', release), join('/lib/modules', release)].find((d) => existsSync(join(d, 'modules.dep')));
  if (!dir) {
    say(`no modules.dep for ${release}: booting as if virtio, 9p and overlay were built in`);
    return [];
  }
  const nameOf = (file) =>
    basename(file)
      .replace(/\.ko(\.\w+)?$/, '')
      .replaceAll('-', '_');
  const deps = new Map();
  for (const line of readFileSync(join(dir, 'modules.dep'), 'utf8').split('\n')) {
    const [file, rest] = line.split(':');
    if (rest !== undefined) deps.set(nameOf(file), { file: join(dir, file), needs: rest.split(' ').filter(Boolean).map(nameOf) });
  }
  const order = [];
  const visit = (name) => {
    const m = deps.get(name); // not there: built in
    if (!m || order.includes(m.file)) return;
    m.needs.forEach(visit);
    order.push(m.file);
  };
  ['virtio_pci', 'virtio_console', '9pnet_virtio', '9p', 'overlay'].forEach(visit);
  return order;
}

/** A module as a plain ELF (Debian compresses 6.12's with xz): busybox insmod then just loads it. */
function moduleBytes(file) {
  if (file.endsWith('.ko')) return readFileSync(file);
  if (file.endsWith('.gz')) return gunzipSync(readFileSync(file));
  const r = spawnSync(file.endsWith('.xz') ? 'xz' : 'zstd', ['-dc', file], { maxBuffer: 1 << 28 });
  if (r.status !== 0) fail(`cannot decompress ${file}`);
  return r.stdout;
}

/** A cpio archive in the "newc" format the kernel unpacks: [path, mode, contents?] per entry. */
function cpio(entries) {
  const parts = [];
  const pad = (n) => Buffer.alloc(-n & 3);
  entries.push(['TRAILER!!!', 0]);
  entries.forEach(([name, mode, data = Buffer.alloc(0)], i) => {
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const fields = [i + 1, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const head = `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`;
    parts.push(Buffer.from(head, 'latin1'), pad(head.length), data, pad(data.length));
  });
  return Buffer.concat(parts);
}

const quote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const command = [
  ...Object.entries(process.env)
    .filter(([k]) => /^[A-Za-z_]\w*$/.test(k))
    .map(([k, v]) => `export ${k}=${quote(v)}`),
  // The arm64 tree: its ld.so.cache is made here (ldconfig is an arm64 program), and Node finds
  // the arm64 builds of vitest's native packages through NODE_PATH.
  ...(arm64 ? ['ldconfig', `export NODE_PATH=/usr/lib/polytrace-node`] : []),
  `cd ${quote(process.cwd())} || exit 125`,
  `exec ${argv.map(quote).join(' ')}`,
].join('\n');
const DIR = 0o40755;
const FILE = 0o100644;
const EXEC = 0o100755;
const initramfs = cpio([
  ...['bin', 'dev', 'proc', 'sys', 'modules', 'job'].map((d) => [d, DIR]),
  ['bin/busybox', EXEC, readFileSync(join(rootDir, 'bin', 'busybox'))],
  ['init', EXEC, readFileSync(new URL('init.sh', import.meta.url))],
  ...modules().map((file, i) => [`modules/${String(i).padStart(2, '0')}-${basename(file).replace(/\.ko.*/, '')}.ko`, FILE, moduleBytes(file)]),
  ['job/command', FILE, Buffer.from(`${command}\n`)],
  ['job/shares', FILE, Buffer.from(shares.map((d, i) => `rw${i} ${d}\n`).join(''))],
]);

// The initramfs holds the caller's environment: it lives in a private (0700) directory.
const job = mkdtempSync(join(tmpdir(), 'polytrace-vm-'));
process.on('exit', () => rmSync(job, { recursive: true, force: true }));
writeFileSync(join(job, 'initramfs'), initramfs, { mode: 0o600 });

// ---- the VM ------------------------------------------------------------------------------
/** kvm needs a writable /dev/kvm and VT-x/AMD-V: some hosts expose a /dev/kvm (PVM) a stock kernel cannot boot on. */
function accel() {
  if (arm64) return 'tcg';
  const forced = process.env.POLYTRACE_VM_ACCEL;
  if (forced && forced !== 'kvm' && forced !== 'tcg') fail('POLYTRACE_VM_ACCEL must be kvm or tcg');
  if (forced) return forced;
  try {
    accessSync('/dev/kvm', constants.W_OK);
    return /\b(vmx|svm)\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) ? 'kvm' : 'tcg';
  } catch {
    return 'tcg';
  }
}
const acc = accel();
const fsdev = (path, tag, extra = '') => ['-virtfs', `local,path=${path.replaceAll(',', ',,')},mount_tag=${tag},security_model=none,multidevs=remap${extra}`];

/**
 * The command's stdout and stderr leave the VM through virtio-serial ports that qemu connects to
 * unix sockets we listen on (sockets work whatever our own stdout is: file, pipe, tty, socket).
 */
const relays = ['stdout', 'stderr'].map((name) => {
  const relay = { name, path: join(job, name), bytes: 0, ended: Promise.resolve() };
  relay.server = createServer((socket) => {
    relay.ended = new Promise((resolve) => socket.on('close', resolve));
    socket.on('data', (chunk) => {
      relay.bytes += chunk.length;
      process[name].write(chunk);
      checkDone();
    });
    socket.on('error', () => {});
  });
  return relay;
});
await Promise.all(relays.map((r) => new Promise((resolve) => r.server.listen(r.path, resolve))));

const qemuArgs = [
  ['-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'],
  ['-nic', 'none'],
  // TCG: one host thread for all vCPUs unless POLYTRACE_VM_TCG=multi. With multi-threaded TCG
  // (QEMU 7.2), Debian's x86 6.1 wedged a vCPU while another patched a tracepoint's static call
  // (text_poke_bp's IPI never answered: a soft lockup in smp_call_function_many_cond, within
  // ~500 raw tracepoint attach/detach rounds); single-threaded, 2,000 rounds ran clean.
  // arm64: pauth-impdef makes TCG's pointer authentication cheap (QEMU's own algorithm, not QARMA).
  arm64
    ? ['-machine', 'virt', '-accel', process.env.POLYTRACE_VM_TCG === 'single' ? 'tcg,thread=single' : 'tcg', '-cpu', 'max,pauth-impdef=on']
    : acc === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : ['-accel', process.env.POLYTRACE_VM_TCG === 'multi' ? 'tcg' : 'tcg,thread=single', '-cpu', 'max'],
  ['-smp', String(opts.cpus), '-m', opts.mem],
  ['-kernel', boot, '-initrd', join(job, 'initramfs')],
  // panic=-1 with -no-reboot: a kernel panic ends qemu at once instead of hanging until the timeout.
  // loglevel=5: warnings (a soft lockup's call trace) reach the console the runner reports.
  ['-append', `console=${arm64 ? 'ttyAMA0' : 'ttyS0'} loglevel=5 panic=-1`],
  ['-serial', 'stdio'],
  fsdev(rootDir, 'host', ',readonly=on'),
  ...shares.map((d, i) => fsdev(d, `rw${i}`)),
  ['-device', 'virtio-serial-pci'],
  ...relays.map((r) => ['-chardev', `socket,id=${r.name},path=${r.path}`, '-device', `virtserialport,chardev=${r.name},name=${r.name}`]),
];
const qemuBinary = arm64 ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
const qemu = spawn(qemuBinary, qemuArgs.flat(), { stdio: ['ignore', 'pipe', 'pipe'] });

// The console (the kernel's messages, init's "polytrace-vm:" lines, the DONE line), and qemu's
// own stderr: kept for the report when the VM fails, and copied to stderr with -v.
let consoleText = '';
// The kernel's first report of trouble (a soft lockup, an RCU stall, a BUG or WARNING, an Oops)
// and the lines after it, with its call trace: the rolling tail above is only the last of many
// repeats by the time a hung VM is killed.
let firstTrouble = '';
const TROUBLE = /\b(BUG:|WARNING:|Oops|general protection fault|rcu: INFO|INFO: task .* blocked|Kernel panic)/;
let qemuErrors = '';
let done; // { status, stdout, stderr } from the DONE line
qemu.stdout.on('data', (chunk) => {
  if (opts.verbose) process.stderr.write(chunk);
  consoleText = (consoleText + chunk.toString('latin1')).slice(-20000);
  if (firstTrouble === '') {
    const at = consoleText.search(TROUBLE);
    if (at >= 0) firstTrouble = consoleText.slice(consoleText.lastIndexOf('\n', at) + 1);
  } else if (firstTrouble.length < 12000) firstTrouble += chunk.toString('latin1');
  const m = /POLYTRACE_VM_DONE (\d+) (\d+) (\d+)/.exec(consoleText);
  if (m && !done) {
    done = { status: Number(m[1]), stdout: Number(m[2]), stderr: Number(m[3]) };
    checkDone();
  }
});
qemu.stderr.on('data', (chunk) => {
  qemuErrors = (qemuErrors + chunk.toString('latin1')).slice(-20000);
});

const tail = (text, n) => text.split('\n').slice(-n).join('\n').trimEnd();
function report() {
  if (firstTrouble) process.stderr.write(`--- the kernel's first report ---\n${firstTrouble.split('\n').slice(0, 80).join('\n').trimEnd()}\n`);
  process.stderr.write(`--- console (last lines) ---\n${tail(consoleText, 25)}\n`);
  if (qemuErrors.trim()) process.stderr.write(`--- qemu ---\n${tail(qemuErrors, 10)}\n`);
}

let finished = false;
function finish(status, message, withReport = false) {
  if (finished) return;
  finished = true;
  if (message) say(message);
  if (withReport) report();
  qemu.kill('SIGKILL');
  // Let what we wrote to our own stdout and stderr drain before exiting.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
}

/** Done when the command has ended and every byte it wrote has come through. */
function checkDone() {
  if (done && relays[0].bytes >= done.stdout && relays[1].bytes >= done.stderr) finish(done.status);
}

setTimeout(() => finish(124, `timed out after ${opts.timeout}s; VM killed`, true), opts.timeout * 1000);
qemu.on('error', (e) => finish(125, `cannot start ${qemuBinary}: ${e.message}`));
qemu.on('exit', async (code, signal) => {
  await Promise.all(relays.map((r) => r.ended)); // the sockets' last data
  checkDone();
  finish(125, `the VM stopped before the command ended (qemu ${signal ?? `exit status ${code}`}, ${acc}, ${boot})`, true);
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => finish(130, `interrupted (${sig}); VM killed`));
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => finish(130, 'our output was closed; VM killed'));
