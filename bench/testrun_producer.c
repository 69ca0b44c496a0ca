/* testrun_producer N [pace RATE]: an in-kernel producer for trace's ceiling (issue 17). Waits
 * for a line on stdin (getpid_loop.c's protocol), then finds the newest loaded raw-tracepoint
 * program whose name starts with "trace_" (polytrace trace's program at a raw tracepoint whose
 * arguments it does not read: t:sched:sched_kthread_stop) and runs it N times with
 * BPF_PROG_TEST_RUN (a zero argument), about RATE times a second; reports the elapsed ns per
 * event.
 * Each run is one bpf(2) call: raw-tracepoint test runs take no repeat count (the kernel
 * refuses test.repeat for them), but a bpf() call costs less than a traced getpid(), and the
 * program, its records, the ring buffer and the reader are trace's own. */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *a) { return syscall(SYS_bpf, cmd, a, sizeof *a); }

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* fd of the newest raw-tracepoint program named trace_*, or -1 */
static int find_prog(void) {
  union bpf_attr a;
  unsigned id = 0, best = 0;
  for (;;) {
    memset(&a, 0, sizeof a);
    a.start_id = id;
    if (bpf(BPF_PROG_GET_NEXT_ID, &a)) break;
    id = a.next_id;
    memset(&a, 0, sizeof a);
    a.prog_id = id;
    int fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (fd < 0) continue;
    struct bpf_prog_info info;
    memset(&info, 0, sizeof info);
    memset(&a, 0, sizeof a);
    a.info.bpf_fd = (unsigned)fd;
    a.info.info_len = sizeof info;
    a.info.info = (unsigned long)&info;
    if (bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && info.type == BPF_PROG_TYPE_RAW_TRACEPOINT && strncmp(info.name, "trace_", 6) == 0) best = id;
    close(fd);
  }
  if (!best) return -1;
  memset(&a, 0, sizeof a);
  a.prog_id = best;
  return (int)bpf(BPF_PROG_GET_FD_BY_ID, &a);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  double rate = argc > 3 && strcmp(argv[2], "pace") == 0 ? atof(argv[3]) : 0;
  char line[16];
  printf("ready\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 1;
  int fd = find_prog();
  if (fd < 0) {
    fprintf(stderr, "testrun_producer: no trace_* raw tracepoint program loaded\n");
    return 1;
  }
  unsigned long long args[1] = {0};
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = (unsigned)fd;
  a.test.ctx_in = (unsigned long)args;
  a.test.ctx_size_in = sizeof args;
  double per = rate > 0 ? 1e9 / rate : 0;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (per > 0 && (i & 63) == 0)
      while (now_ns() - t0 < i * per) {
      }
    if (bpf(BPF_PROG_TEST_RUN, &a)) {
      perror("testrun_producer: BPF_PROG_TEST_RUN");
      return 1;
    }
  }
  double t1 = now_ns();
  printf("%.1f\n", (t1 - t0) / n);
  return 0;
}
