#!/bin/busybox sh
# PID 1 of the VM that scripts/vm/run.mjs boots. The initramfs holds a static busybox, the
# modules listed in /modules (numbered in load order), and /job: `command` (a /bin/sh script
# that sets the caller's environment, cds and execs the command) and `shares` (lines "TAG DIR").
# Builds the command's root from the tree the runner shares as "host" (the host's /, or for
# --arch arm64 an arm64 tree; 9p, read-only, under a tmpfs overlay), runs it, and reports on
# the console:  POLYTRACE_VM_DONE <status> <stdout bytes> <stderr bytes>
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys

say() { echo "polytrace-vm: $*"; }
# No DONE line: the runner reports a failed boot (exit 125) with the console's tail.
die() { say "error: $*"; poweroff -f; }

for m in /modules/*.ko; do
  [ -e "$m" ] || continue
  insmod "$m" || die "insmod $m failed"
done

p9=trans=virtio,version=9p2000.L,msize=512000
new=/new
mkdir -p /host /scratch $new
# cache=loose: the host's files are read-only here and do not change under a test run.
mount -t 9p -o ro,$p9,cache=loose host /host || die "cannot mount the host's / over 9p"
mount -t tmpfs -o mode=755 scratch /scratch && mkdir /scratch/upper /scratch/work
mount -t overlay -o lowerdir=/host,upperdir=/scratch/upper,workdir=/scratch/work root $new ||
  die "cannot put an overlay on the host's /"

mount -t proc proc $new/proc
mount -t sysfs sys $new/sys
mount -t devtmpfs dev $new/dev
mkdir -p $new/dev/pts $new/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $new/dev/pts
mount -t tmpfs -o mode=1777 shm $new/dev/shm
mount -t tracefs tracefs $new/sys/kernel/tracing
mount -t debugfs debugfs $new/sys/kernel/debug
mount -t bpf bpf $new/sys/fs/bpf
mount -t cgroup2 cgroup2 $new/sys/fs/cgroup || die "cannot mount cgroup2"
mount -t tmpfs -o mode=1777 tmp $new/tmp
mount -t tmpfs -o mode=755 run $new/run
# The read-write shares: cache=mmap, so that files written on either side are seen by both,
# and can still be mmapped (executables built on the host run from them).
while read -r tag dir; do
  mkdir -p "$new$dir" && mount -t 9p -o $p9,cache=mmap "$tag" "$new$dir" || die "cannot mount $dir"
done </job/shares
cp /job/command $new/run/polytrace-vm-command
ip link set lo up
hostname polytrace-vm

# The command's stdout and stderr go to the virtio ports the runner named "stdout" and
# "stderr". virtio_console adds ports from a work queue: they can appear after insmod returns.
port() {
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && echo "/dev/${p##*/}" && return
  done
}
i=0
until out=$(port stdout) && err=$(port stderr) && [ -c "$out" ] && [ -c "$err" ]; do
  i=$((i + 1)) && [ $i -le 100 ] || die "no virtio ports named stdout and stderr"
  sleep 0.1
done
# Through pipes (as in CI, and not a character device), each counted on its way out.
mkfifo /stdout /stderr
tee "$out" </stdout | wc -c >/stdout.bytes &
tee "$err" </stderr | wc -c >/stderr.bytes &

# The command and whatever it leaves behind run in one cgroup, killed as one when it exits:
# leftovers would hold the pipes open.
cg=$new/sys/fs/cgroup/polytrace-vm
mkdir $cg || die "cannot create $cg"
say "running the command"
sh -c 'echo $$ >"$1/cgroup.procs" && exec env -i chroot "$2" /bin/sh /run/polytrace-vm-command' \
  sh $cg $new </dev/null >/stdout 2>/stderr
status=$?
echo 1 >$cg/cgroup.kill
wait
# virtio_console's write() returns before the host has read the data, and powering off
# could lose what qemu still holds: the runner stops the VM once it has relayed as many
# bytes as this line says.
echo POLYTRACE_VM_DONE $status $(cat /stdout.bytes) $(cat /stderr.bytes)
while :; do sleep 3600; done
