/**
 * Every example of BCC-GRAMMAR.md and of the tools' --help texts (BCC-FEATURES.md appendix A),
 * with the parse we expect. Expressions are given as source text and compared structurally
 * (spans aside) with parseExpr of that text.
 */

export interface TraceCase {
  id: string;
  text: string;
  ref?: Record<string, unknown>;
  sig?: { type: string; name: string; user?: boolean }[];
  pred?: string;
  fmt?: string;
  convs?: string[];
  args?: string[];
}

export const TRACE: TraceCase[] = [
  { id: 'T01', text: 'do_sys_open', ref: { type: 'p', library: '', function: 'do_sys_open', typeExplicit: false }, args: [] },
  { id: 'T02', text: 'kfree_skb+0x12', ref: { type: 'p', library: '', function: 'kfree_skb', offset: 18 } },
  { id: 'T03', text: 'kfree_skb+56', ref: { type: 'p', library: '', function: 'kfree_skb', offset: 56 } },
  { id: 'T04', text: '::do_sys_open "%s", arg2@user', ref: { type: 'p', library: '', function: 'do_sys_open', typeExplicit: false }, fmt: '%s', convs: ['s'], args: ['arg2@user'] },
  { id: 'T05', text: 'r::do_sys_open "%llx", retval', ref: { type: 'r', library: '', function: 'do_sys_open', typeExplicit: true }, fmt: '%llx', convs: ['llx'], args: ['retval'] },
  { id: 'T06', text: 'c:malloc "size = %d", arg1', ref: { type: 'p', library: 'c', function: 'malloc', typeExplicit: false }, fmt: 'size = %d', convs: ['d'], args: ['arg1'] },
  { id: 'T07', text: ':c:malloc "size = %d", arg1', ref: { type: 'p', library: 'c', function: 'malloc', typeExplicit: false }, fmt: 'size = %d', args: ['arg1'] },
  { id: 'T08', text: 'p:c:write (arg1 == 1) "writing %d bytes to STDOUT", arg3', ref: { type: 'p', library: 'c', function: 'write' }, pred: 'arg1 == 1', fmt: 'writing %d bytes to STDOUT', args: ['arg3'] },
  { id: 'T09', text: 'r::__kmalloc (retval == 0) "kmalloc failed!"', ref: { type: 'r', library: '', function: '__kmalloc' }, pred: 'retval == 0', fmt: 'kmalloc failed!', convs: [], args: [] },
  { id: 'T10', text: 't:block:block_rq_complete "sectors=%d", args->nr_sector', ref: { type: 't', category: 'block', function: 'block_rq_complete', library: '' }, fmt: 'sectors=%d', args: ['args->nr_sector'] },
  { id: 'T11', text: 'u:pthread:libpthread:pthread_create (arg4 != 0)', ref: { type: 'u', library: 'pthread', provider: 'libpthread', function: 'pthread_create' }, pred: 'arg4 != 0' },
  { id: 'T12', text: 'p::SyS_nanosleep(struct timespec *ts) "sleep for %lld ns", ts->tv_nsec', ref: { type: 'p', library: '', function: 'SyS_nanosleep' }, sig: [{ type: 'struct timespec *', name: 'ts' }], fmt: 'sleep for %lld ns', args: ['ts->tv_nsec'] },
  { id: 'T13', text: 'udpv6_sendmsg(struct sock *sk) (sk->sk_dport == 13568)', ref: { type: 'p', library: '', function: 'udpv6_sendmsg' }, sig: [{ type: 'struct sock *', name: 'sk' }], pred: 'sk->sk_dport == 13568' },
  {
    id: 'T14',
    text: 'sys_setsockopt(int fd, int level, int optname, char* optval, int optlen)(level==0 && optname == 1 && STRCMP("{0x6C, 0x00, 0x00, 0x00}", optval))',
    ref: { type: 'p', function: 'sys_setsockopt' },
    sig: [{ type: 'int', name: 'fd' }, { type: 'int', name: 'level' }, { type: 'int', name: 'optname' }, { type: 'char *', name: 'optval' }, { type: 'int', name: 'optlen' }],
    pred: 'level==0 && optname == 1 && STRCMP("{0x6C, 0x00, 0x00, 0x00}", optval)',
  },
  { id: 'T15', text: 'p:c:open (STRCMP("test.txt", arg1)) "opening %s", arg1', ref: { library: 'c', function: 'open' }, pred: 'STRCMP("test.txt", arg1)', fmt: 'opening %s', args: ['arg1'] },
  { id: 'T16', text: 'r:c:read ((int)retval < 0) "read failed: %d", retval', ref: { type: 'r', library: 'c', function: 'read' }, pred: '(int)retval < 0', fmt: 'read failed: %d', args: ['retval'] },
  { id: 'T17', text: 'p:c:open (((arg2 & 3) == 1) && (arg1 != 0)) "%s", arg1', pred: '((arg2 & 3) == 1) && (arg1 != 0)', args: ['arg1'] },
  { id: 'T18', text: 'p:c:open (arg1 != 0) "a,b (%s)", arg1', pred: 'arg1 != 0', fmt: 'a,b (%s)', args: ['arg1'] },
  { id: 'T19', text: 'p:c:open "%s, %d", arg1, arg2', fmt: '%s, %d', convs: ['s', 'd'], args: ['arg1', 'arg2'] },
  { id: 'T20', text: 'p:c:puts "say \\"hi\\" %s", arg1', ref: { library: 'c', function: 'puts' }, fmt: 'say "hi" %s', args: ['arg1'] },
  {
    id: 'T21',
    text: 'p:c:write(int fd, const void *buf, size_t count) (fd == 1 && count > 100) "%d bytes: %s", count, buf',
    sig: [{ type: 'int', name: 'fd' }, { type: 'const void *', name: 'buf' }, { type: 'size_t', name: 'count' }],
    pred: 'fd == 1 && count > 100',
    fmt: '%d bytes: %s',
    args: ['count', 'buf'],
  },
  { id: 'T22', text: 'p:./a.out:main+0xd "%x", ctx->dx', ref: { type: 'p', library: './a.out', function: 'main', offset: 13 }, fmt: '%x', args: ['ctx->dx'] },
  { id: 'T23', text: 'p:/opt/a:b/bin:func "x"', ref: { type: 'p', library: '/opt/a:b/bin', function: 'func' }, fmt: 'x', args: [] },
  { id: 'T24', text: 'r:c:malloc (retval) "allocated = %x", retval', ref: { type: 'r', library: 'c', function: 'malloc' }, pred: 'retval', fmt: 'allocated = %x', args: ['retval'] },
  {
    id: 'T25',
    text: 't:syscalls:sys_enter_openat (args->flags & 0x40) "%s %x", args->filename, args->flags',
    ref: { type: 't', category: 'syscalls', function: 'sys_enter_openat' },
    pred: 'args->flags & 0x40',
    fmt: '%s %x',
    args: ['args->filename', 'args->flags'],
  },
  {
    id: 'T26',
    text: 'u:/usr/bin/python3.11:python:line (arg3 > 100) "%s:%d", arg1, arg3',
    ref: { type: 'u', library: '/usr/bin/python3.11', provider: 'python', function: 'line' },
    pred: 'arg3 > 100',
    fmt: '%s:%d',
    args: ['arg1', 'arg3'],
  },
  { id: 'T27', text: 'mntns_install "users = %d", $task->fs->users', ref: { type: 'p', library: '', function: 'mntns_install' }, fmt: 'users = %d', args: ['$task->fs->users'] },
  { id: 'T28', text: 'p:c:malloc ($pid == $tgid && $uid == 0) "%d on cpu %d", arg1, $cpu', pred: '$pid == $tgid && $uid == 0', args: ['arg1', '$cpu'] },
  { id: 'T29', text: 'p::__x64_sys_openat "%s", arg2@user', ref: { type: 'p', library: '', function: '__x64_sys_openat' }, args: ['arg2@user'] },
  { id: 'T30', text: 'p:c:memcpy "%d", max(arg3, 100)', args: ['max(arg3, 100)'] },
  { id: 'T31', text: 'c:open(char *f) "%s)", f', sig: [{ type: 'char *', name: 'f' }], fmt: '%s)', args: ['f'] },
  { id: 'T32', text: 'p:c:malloc "%d%d", arg1, arg2', convs: ['d', 'd'], args: ['arg1', 'arg2'] },
  { id: 'T33', text: 'p:c:malloc "%c", arg1', convs: ['c'], args: ['arg1'] },
  { id: 'T34', text: 'p:c:malloc "%d%%", arg1', fmt: '%d%', convs: ['d'], args: ['arg1'] },
  { id: 'T35', text: 'p:c:malloc "%d" arg1', convs: ['d'], args: ['arg1'] },
  { id: 'T38a', text: 'r:c:read ((int)retval < 0) "read failed: %d", retval', ref: { type: 'r', function: 'read' } },
  { id: 'T38b', text: 'r:c:write ((int)retval < 0) "write failed: %d", retval', ref: { type: 'r', function: 'write' } },
  // Accepted at parse time; the checker or the resolver has the last word (M11-M13, M16, M17, M19).
  { id: 'M11', text: 'u:c:nosuchprobe', ref: { type: 'u', library: 'c', function: 'nosuchprobe' } },
  { id: 'M12', text: 'p:nosuchlib:malloc', ref: { type: 'p', library: 'nosuchlib', function: 'malloc' } },
  { id: 'M13', text: 'p:c:nosuchfunc', ref: { function: 'nosuchfunc' } },
  { id: 'M16', text: 't:nosuch:tp', ref: { type: 't', category: 'nosuch', function: 'tp' } },
  { id: 'M17', text: 'p:c:malloc "%s", STRCMP("a" , arg1)', args: ['STRCMP("a", arg1)'] },
  { id: 'M19', text: 'p:c:foo "%d", arg7', args: ['arg7'] },
  // trace --help examples.
  { id: 'H1', text: 'do_sys_open "%s", arg2@user', ref: { type: 'p', function: 'do_sys_open' }, args: ['arg2@user'] },
  { id: 'H2', text: 'sys_read (arg3 > 20000) "read %d bytes", arg3', pred: 'arg3 > 20000', args: ['arg3'] },
  { id: 'H3', text: 'c:open (arg2 == 42) "%s %d", arg1, arg2', ref: { library: 'c', function: 'open' }, pred: 'arg2 == 42', args: ['arg1', 'arg2'] },
  { id: 'H4', text: 'u:pthread:pthread_create (arg4 != 0)', ref: { type: 'u', library: 'pthread', function: 'pthread_create' }, pred: 'arg4 != 0' },
  { id: 'H5', text: '__x64_sys_nanosleep', ref: { function: '__x64_sys_nanosleep' } },
  { id: 'H6', text: '__x64_sys_clone', ref: { function: '__x64_sys_clone' } },
  {
    id: 'H7',
    text: 'p::uprobe_register(struct inode *inode) "a_ops = %llx", inode->i_mapping->a_ops',
    sig: [{ type: 'struct inode *', name: 'inode' }],
    args: ['inode->i_mapping->a_ops'],
  },
  {
    id: 'H8',
    text: 'p::__account_cfs_rq_runtime(struct cfs_rq *cfs_rq) "%d", cfs_rq->runtime_remaining',
    sig: [{ type: 'struct cfs_rq *', name: 'cfs_rq' }],
    args: ['cfs_rq->runtime_remaining'],
  },
  { id: 'H9', text: 'p:c:inet_pton', ref: { type: 'p', library: 'c', function: 'inet_pton', typeExplicit: true } },
  // More shapes.
  { id: 'X1', text: 'p:c:open(const char __user *filename) "%s", filename', sig: [{ type: 'const char __user *', name: 'filename', user: true }] },
  { id: 'X2', text: '  do_sys_open  ', ref: { function: 'do_sys_open' } },
  { id: 'X3', text: 'p:c:malloc (arg1 > 0 ? 1 : 0) "%d, %u", arg1 ? 1 : 2, (u32)-1,', args: ['arg1 ? 1 : 2', '(u32)-1'] },
  { id: 'X4', text: 'p:c:write(void) "x"', sig: [] },
  { id: 'X5', text: 'p:c:f "%i %X %o %p %K %U %hhd %hu %ld %lu %lld %llu %lx %llx %c %s", 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', convs: ['i', 'X', 'o', 'p', 'K', 'U', 'hhd', 'hu', 'ld', 'lu', 'lld', 'llu', 'lx', 'llx', 'c', 's'] },
  { id: 'X6', text: 'p:c:f "tab\\there\\x41\\101\\\\ %d", arg1', fmt: 'tab\there\x41A\\ %d' },
  { id: 'X7', text: 'r:c:f ($retval) "%d", retval', pred: '$retval' },
  // bpftrace's raw tracepoint spellings (issue 15): read before BCC's LIBRARY:FUNCTION.
  {
    id: 'R01',
    text: 'rawtracepoint:sched_switch "%s -> %s", args->prev->comm, args->next->comm',
    ref: { type: 'rawtracepoint', library: '', function: 'sched_switch', typeExplicit: true },
    fmt: '%s -> %s',
    args: ['args->prev->comm', 'args->next->comm'],
  },
  { id: 'R02', text: 'rt:sched_switch "%d", arg2', ref: { type: 'rawtracepoint', library: '', function: 'sched_switch' }, args: ['arg2'] },
  { id: 'R03', text: 'rawtracepoint::sys_enter (arg2 == 1) "write"', ref: { type: 'rawtracepoint', library: '', function: 'sys_enter' }, pred: 'arg2 == 1', args: [] },
  { id: 'R04', text: 'rt:sched_process_exec', ref: { type: 'rawtracepoint', function: 'sched_process_exec' }, args: [] },
  { id: 'R05', text: 'rtx:sched_switch', ref: { type: 'p', library: 'rtx', function: 'sched_switch', typeExplicit: false } },
  { id: 'R06', text: 'p:rt:clock_gettime', ref: { type: 'p', library: 'rt', function: 'clock_gettime', typeExplicit: true } },
  { id: 'R07', text: ':rt:clock_gettime', ref: { type: 'p', library: 'rt', function: 'clock_gettime', typeExplicit: false } },
];

export interface TraceError {
  id: string;
  text: string;
  message: string;
  /** The text under the caret. */
  at?: string;
}

export const TRACE_ERRORS: TraceError[] = [
  { id: 'M01', text: 'x:c:malloc', message: "probe type must be '', 'p', 't', 'r', or 'u', but got 'x'", at: 'x' },
  { id: 'M02', text: 'p::foo+zz', message: "invalid offset format 'zz', must be decimal or hexadecimal", at: 'zz' },
  { id: 'M03', text: 'p:c:malloc (arg1 > 0', message: 'unmatched end of predicate', at: '(arg1 > 0' },
  { id: 'M04', text: 'p:c:malloc "%d', message: 'expected format string in "s', at: '"%d' },
  { id: 'M05', text: 'p:c:malloc %d, arg1', message: 'expected format string in "s', at: '%d, arg1' },
  { id: 'M06', text: 'p:c:malloc "%d", arg1, arg2', message: 'format string has 1 conversion(s) but 2 argument(s)', at: 'arg2' },
  { id: 'M07', text: 'p:c:malloc "%d %d", arg1', message: 'format string has 2 conversion(s) but 1 argument(s)', at: '"%d %d"' },
  { id: 'M08', text: 'p:c:malloc "%q", arg1', message: "unsupported format conversion '%q'", at: '%q' },
  { id: 'M09', text: 'p:c:malloc "%5d", arg1', message: "width/flags not supported in '%5d'", at: '%5d' },
  { id: 'M10', text: 't:sched:sched_switch(int x)', message: "USDT and tracepoint probes can't have a function signature; use arg1, arg2, ... instead", at: '(int x)' },
  { id: 'M14', text: '', message: 'empty probe specification' },
  { id: 'M15', text: 'p::', message: 'missing function name' },
  { id: 'M18', text: 'r:c:malloc+8 "%d", retval', message: 'offsets are only supported for entry probes (p)', at: '+8' },
  { id: 'M20', text: 'p:c:malloc (arg1 > 0)) "x"', message: "unexpected ')' after predicate", at: ')' },
  { id: 'T36', text: 'p:c:malloc junk "%d", arg1', message: 'unexpected text before format string', at: 'junk ' },
  { id: 'T37', text: 'c:open (char *f)', message: "'(char *f)' is not a valid predicate", at: '(char *f)' },
  { id: 'E01', text: 'p:c:malloc "%d", (arg1', message: 'unexpected end of input' },
  { id: 'E02', text: 'p:c:malloc"%d", arg1', message: `unexpected '"' in probe specification`, at: '"' },
  { id: 'E03', text: 'p:c:malloc "%ls", arg1', message: "unsupported format conversion '%ls'", at: '%ls' },
  { id: 'E04', text: 'p:c:malloc "100%", arg1', message: "incomplete format conversion '%'", at: '%' },
  { id: 'E05', text: 'p:c:malloc "%d", $foo', message: "unknown special variable '$foo'", at: '$foo' },
  { id: 'E06', text: 'p:c:malloc "%d", arg1@kernel', message: "'@' is only allowed in 'argN@user', got 'arg1@kernel'", at: 'arg1@kernel' },
  { id: 'E07', text: 'p:c:malloc (arg1 = 1)', message: "unexpected '=' (assignment is not supported; use '==' to compare)", at: '=' },
  { id: 'E08', text: 'p:c:malloc "%d", STRCMP(arg1, "x")', message: 'STRCMP takes a string literal and an expression', at: 'STRCMP(arg1, "x")' },
  { id: 'E09', text: 't:a:b:c', message: "too many ':'-separated components in tracepoint probe", at: ':c' },
  { id: 'E10', text: 'p:c:write(int) "x"', message: "signature parameter 'int' has no name", at: 'int' },
  { id: 'E11', text: 'p:c:f "\\q"', message: "unknown escape sequence '\\q'", at: '\\q' },
  { id: 'E12', text: 'p:c:f "%d", 12abc', message: "invalid integer literal '12abc'", at: '12abc' },
  { id: 'E13', text: '(arg1)', message: "missing probe specification before '('", at: '(' },
  { id: 'E14', text: 'p:c:f+ "x"', message: "invalid offset format '', must be decimal or hexadecimal" },
  { id: 'E15', text: 'p:c:f "%d", (foo)arg1', message: "unexpected 'arg1'", at: 'arg1' },
  { id: 'RE1', text: 'rawtracepoint:sched:sched_switch', message: "too many ':'-separated components in raw tracepoint probe", at: 'sched' },
  { id: 'RE2', text: 'rt:a::b', message: "too many ':'-separated components in raw tracepoint probe", at: ':b' },
  { id: 'RE3', text: 'rt: "x"', message: 'missing raw tracepoint name' },
  { id: 'RE4', text: 'rawtracepoint::', message: 'missing raw tracepoint name' },
  { id: 'RE5', text: 'rt:sched_switch+8', message: 'offsets are only supported for entry probes (p)', at: '+8' },
  { id: 'RE6', text: 'rt:sched_switch(int x) "%d", x', message: "raw tracepoints can't have a function signature: their arguments are named from BTF", at: '(int x)' },
];

export interface ArgdistCase {
  id: string;
  kind: 'C' | 'H';
  text: string;
  ref?: Record<string, unknown>;
  sig?: { type: string; name: string; user?: boolean }[];
  types?: string[];
  exprs?: string[];
  filter?: string;
  label?: string;
  defaultExpr?: boolean;
}

export const ARGDIST: ArgdistCase[] = [
  { id: 'A01', kind: 'H', text: 'p::__kmalloc(u64 size):u64:size', ref: { type: 'p', library: '', function: '__kmalloc' }, sig: [{ type: 'u64', name: 'size' }], types: ['u64'], exprs: ['size'] },
  { id: 'A02', kind: 'C', text: 'p:c:malloc(size_t size):size_t:size:size==16', ref: { type: 'p', library: 'c', function: 'malloc' }, sig: [{ type: 'size_t', name: 'size' }], types: ['size_t'], exprs: ['size'], filter: 'size==16' },
  { id: 'A03', kind: 'C', text: 'r:c:gets():char*:$retval#snooped strings', ref: { type: 'r', library: 'c', function: 'gets' }, sig: [], types: ['char *'], exprs: ['$retval'], label: 'snooped strings' },
  { id: 'A04', kind: 'H', text: 'r::__kmalloc(size_t size):u64:$latency/$entry(size)#ns per byte', sig: [{ type: 'size_t', name: 'size' }], exprs: ['$latency/$entry(size)'], label: 'ns per byte' },
  { id: 'A05', kind: 'C', text: 'p::__kmalloc(size_t sz, gfp_t flags):size_t:sz:flags&GFP_ATOMIC', sig: [{ type: 'size_t', name: 'sz' }, { type: 'gfp_t', name: 'flags' }], types: ['size_t'], exprs: ['sz'], filter: 'flags&GFP_ATOMIC' },
  { id: 'A06', kind: 'H', text: 'r:c:read()', ref: { type: 'r', library: 'c', function: 'read' }, defaultExpr: true, types: ['int'], exprs: ['$retval'] },
  { id: 'A07', kind: 'C', text: 'p:c:fork()#fork calls', defaultExpr: true, types: ['u64'], exprs: ['1'], label: 'fork calls' },
  { id: 'A08', kind: 'H', text: 't:block:block_rq_complete():u32:args->nr_sector', ref: { type: 't', category: 'block', function: 'block_rq_complete' }, types: ['u32'], exprs: ['args->nr_sector'] },
  { id: 'A09', kind: 'C', text: 'u:pthread:pthread_start():u64:arg2', ref: { type: 'u', library: 'pthread', function: 'pthread_start' }, types: ['u64'], exprs: ['arg2'] },
  { id: 'A10', kind: 'H', text: 'p:c:nanosleep(struct timespec *req):long:req->tv_nsec', sig: [{ type: 'struct timespec *', name: 'req' }], types: ['long'], exprs: ['req->tv_nsec'] },
  { id: 'A11', kind: 'C', text: 'p:c:write(int fd, char* buf, size_t len):char*:buf:fd==1', sig: [{ type: 'int', name: 'fd' }, { type: 'char *', name: 'buf' }, { type: 'size_t', name: 'len' }], types: ['char *'], exprs: ['buf'], filter: 'fd==1' },
  { id: 'A12', kind: 'C', text: 'p::__kmalloc(size_t size, gfp_t flags):gfp_t,size_t:flags,size', types: ['gfp_t', 'size_t'], exprs: ['flags', 'size'] },
  {
    id: 'A13',
    kind: 'C',
    text: 'p::__vfs_read(struct file *file, void *buf, size_t count):char*,size_t:file->f_path.dentry->d_iname,count:file->f_path.dentry->d_iname[0]!=0',
    types: ['char *', 'size_t'],
    exprs: ['file->f_path.dentry->d_iname', 'count'],
    filter: 'file->f_path.dentry->d_iname[0]!=0',
  },
  { id: 'A14', kind: 'H', text: 'r:c:open(char *file):u64:$latency/1000:STRCMP("test.txt",$entry(file))', sig: [{ type: 'char *', name: 'file' }], exprs: ['$latency/1000'], filter: 'STRCMP("test.txt",$entry(file))' },
  {
    id: 'A15',
    kind: 'C',
    text: 'p::do_sys_open(int dfd, const char __user *filename, int flags, umode_t mode):char*:filename:STRCMP("sample.txt", filename)',
    sig: [{ type: 'int', name: 'dfd' }, { type: 'const char __user *', name: 'filename', user: true }, { type: 'int', name: 'flags' }, { type: 'umode_t', name: 'mode' }],
    exprs: ['filename'],
    filter: 'STRCMP("sample.txt", filename)',
  },
  { id: 'A16', kind: 'C', text: 'r::__vfs_read():u32:$PID:$latency > 100000', types: ['u32'], exprs: ['$PID'], filter: '$latency > 100000' },
  { id: 'A17', kind: 'C', text: 'r:c:malloc():int', defaultExpr: true, types: ['int'], exprs: ['$retval'] },
  { id: 'A18', kind: 'C', text: 'p:c:malloc(size_t size):u64:size#label: with colons', exprs: ['size'], label: 'label: with colons' },
  { id: 'A19', kind: 'C', text: 'p:c:malloc(size_t size):u64:size#a#b', exprs: ['size'] },
  { id: 'A20', kind: 'H', text: 'p:c:write(int fd, const void *buf, size_t count):size_t:count:fd==1 && (count > 10 || count < 2)', filter: 'fd==1 && (count > 10 || count < 2)' },
  { id: 'A21', kind: 'C', text: 'r:c:malloc(size_t size):u64:$latency:$entry(size) > 1024', exprs: ['$latency'], filter: '$entry(size) > 1024' },
  { id: 'A22', kind: 'C', text: 'r:/usr/bin/bash:readline():char*:$retval', ref: { type: 'r', library: '/usr/bin/bash', function: 'readline' }, types: ['char *'], exprs: ['$retval'] },
  { id: 'A23', kind: 'C', text: 't:syscalls:sys_enter_openat():int,char*:args->dfd,args->filename', ref: { type: 't', category: 'syscalls', function: 'sys_enter_openat' }, types: ['int', 'char *'], exprs: ['args->dfd', 'args->filename'] },
  { id: 'A24', kind: 'C', text: 'p:c:foo(int a, int b):int:max(a, b)', exprs: ['max(a, b)'] },
  { id: 'A25', kind: 'H', text: 'p:c:malloc(size_t size):u64:size*2+1', exprs: ['size*2+1'] },
  { id: 'A26', kind: 'H', text: 'p:c:malloc(size_t size):u32:(u32)(size >> 10)', exprs: ['(u32)(size >> 10)'] },
  { id: 'A27', kind: 'C', text: 'p:c:memcpy(void *d, const void *s, size_t n):size_t:n:STRCMP("abc", s)', filter: 'STRCMP("abc", s)' },
  { id: 'A28', kind: 'C', text: 'u:/usr/bin/python3.11:line():int:arg3', ref: { type: 'u', library: '/usr/bin/python3.11', function: 'line' }, types: ['int'], exprs: ['arg3'] },
  { id: 'A29', kind: 'C', text: 't:sched:sched_switch():char*,int:args->next_comm,args->next_pid', types: ['char *', 'int'], exprs: ['args->next_comm', 'args->next_pid'] },
  { id: 'A30', kind: 'C', text: 'r:c:malloc(size_t size):u64:$entry(size):$retval==0', exprs: ['$entry(size)'], filter: '$retval==0' },
  // Parse fine; the checker rejects or resolves them (B08, B13-B15).
  { id: 'B08', kind: 'C', text: 'r:c:malloc():int:$entry(size)', exprs: ['$entry(size)'] },
  { id: 'B12', kind: 'C', text: 'p:c:malloc(size_t size):int:size > 1 ? 1 : 0', exprs: ['size > 1 ? 1 : 0'] },
  { id: 'B13', kind: 'C', text: 'p:c:write():int:arg1', exprs: ['arg1'] },
  { id: 'B14', kind: 'C', text: 'p:c:malloc(size_t size):u64:$latency', exprs: ['$latency'] },
  { id: 'B15', kind: 'C', text: 'p:c:malloc(size_t size):u64:$retval', exprs: ['$retval'] },
  // argdist --help examples.
  { id: 'AH1', kind: 'C', text: 'r:c:gets():char*:(char*)$retval#snooped strings', exprs: ['(char *)$retval'], label: 'snooped strings' },
  { id: 'AH2', kind: 'C', text: 'p:c:write(int fd):int:fd', exprs: ['fd'] },
  { id: 'AH3', kind: 'H', text: 'r::__vfs_read(void *file, void *buf, size_t count):size_t:\n            $entry(count):$latency > 1000000', exprs: ['$entry(count)'], filter: '$latency > 1000000' },
  { id: 'AH4', kind: 'C', text: 't:irq:irq_handler_entry():int:args->irq', ref: { type: 't', category: 'irq', function: 'irq_handler_entry' }, exprs: ['args->irq'] },
  { id: 'AH5', kind: 'H', text: 'p:c:sleep(u32 seconds):u32:seconds', sig: [{ type: 'u32', name: 'seconds' }], exprs: ['seconds'] },
  { id: 'AH6', kind: 'C', text: 'p::__account_cfs_rq_runtime(struct cfs_rq *cfs_rq):s64:cfs_rq->runtime_remaining', types: ['s64'], exprs: ['cfs_rq->runtime_remaining'] },
  { id: 'AH7', kind: 'H', text: 'r::__vfs_read():u32:$latency/$entry(count)#ns per byte', exprs: ['$latency/$entry(count)'], label: 'ns per byte' },
  // More shapes.
  { id: 'AX1', kind: 'C', text: 'p:c:f(int a):int:a:STRCMP("a:b", (char *)a)', filter: 'STRCMP("a:b", (char *)a)' },
  { id: 'AX2', kind: 'C', text: 'p:c:f(int a):int:a ? a : 1:a ? 1 : 0', exprs: ['a ? a : 1'], filter: 'a ? 1 : 0' },
  { id: 'AX3', kind: 'C', text: '  p:c:f(unsigned long long x, const volatile char **pp):unsigned long,u64:x,*pp[1]  ', types: ['unsigned long', 'u64'], exprs: ['x', '*pp[1]'] },
  { id: 'AX4', kind: 'C', text: 'p:c:f(int a):int:a#tag "#"', label: 'tag "#"' },
  { id: 'AR1', kind: 'C', text: 'rawtracepoint::sched_switch():int:args->prev->pid', ref: { type: 'rawtracepoint', library: '', function: 'sched_switch' }, sig: [], types: ['int'], exprs: ['args->prev->pid'] },
  { id: 'AR2', kind: 'C', text: 'rt::sched_switch()#switches', ref: { type: 'rawtracepoint', library: '', function: 'sched_switch' }, defaultExpr: true, types: ['u64'], exprs: ['1'], label: 'switches' },
  { id: 'AR3', kind: 'H', text: 'rt::sys_enter():u64:arg2:args->id != 0', ref: { type: 'rawtracepoint', function: 'sys_enter' }, types: ['u64'], exprs: ['arg2'], filter: 'args->id != 0' },
];

export const ARGDIST_ERRORS: { id: string; kind: 'C' | 'H'; text: string; message: string; at?: string }[] = [
  { id: 'B01', kind: 'C', text: 'p:c', message: 'at least the probe type, library, and function signature must be specified', at: 'p:c' },
  { id: 'B02', kind: 'C', text: 'x:c:malloc()', message: "probe type must be 'p', 'r', 't', or 'u' but got 'x'", at: 'x' },
  { id: 'B03', kind: 'C', text: 'p:c:malloc', message: "function signature 'malloc' has an invalid format", at: 'malloc' },
  { id: 'B04', kind: 'C', text: 'p:c:malloc():int,int:a', message: 'mismatched # of exprs and types', at: 'int,int:a' },
  { id: 'B05', kind: 'C', text: 'p:c:malloc(size_t size):int:size:size>1:extra:more', message: "extraneous ':'-separated parts detected", at: ':extra:more' },
  { id: 'B06', kind: 'C', text: 'p:c:malloc(size_t size)::size', message: 'no expr types specified', at: ':' },
  { id: 'B07', kind: 'C', text: 'p:c:malloc(size_t size):int:', message: 'no exprs specified', at: ':' },
  { id: 'B09', kind: 'H', text: 'p:c:malloc()', message: 'histograms must have expr', at: 'p:c:malloc()' },
  { id: 'B10', kind: 'H', text: 'p:c:malloc(size_t size):int,int:size,size', message: 'histograms can only have 1 expr', at: 'size' },
  { id: 'B16', kind: 'C', text: 't:sched:sched_switch(int x):int:x', message: 'tracepoint signature must be empty', at: '(int x)' },
  { id: 'B17', kind: 'C', text: 'u:pthread:libpthread:pthread_start():u64:arg2', message: "function signature 'libpthread' has an invalid format", at: 'libpthread' },
  { id: 'B18', kind: 'C', text: 'p:c:qsort(void *b, size_t n, size_t s, int (*cmp)(const void *, const void *)):size_t:n', message: 'function-pointer parameters are not supported', at: '(' },
  { id: 'B19', kind: 'C', text: 'p:c:malloc(size_t):u64:size', message: "signature parameter 'size_t' has no name", at: 'size_t' },
  { id: 'BR1', kind: 'C', text: 'rt:x:sched_switch()', message: 'a raw tracepoint has no library or category', at: 'x' },
  { id: 'BR2', kind: 'C', text: 'rawtracepoint::sched_switch(int x):int:x', message: 'raw tracepoint signature must be empty', at: '(int x)' },
  { id: 'BR3', kind: 'C', text: 'rawtracepoint:sched_switch()', message: 'at least the probe type, library, and function signature must be specified' },
  { id: 'BR4', kind: 'C', text: 'rt:sched_switch():int:args->prev->pid', message: 'a raw tracepoint has no library or category', at: 'sched_switch()' },
  { id: 'B20', kind: 'C', text: '', message: 'at least the probe type, library, and function signature must be specified' },
  { id: 'BX1', kind: 'C', text: 'p:c:f(int a):int:a:', message: 'no filter specified', at: ':' },
  { id: 'BX2', kind: 'C', text: 'p:c:f(int a):int:a +', message: 'unexpected end of input' },
  { id: 'BX3', kind: 'C', text: 'p:c:f(int a):int:STRCMP("", a)', message: 'STRCMP needs a non-empty string literal', at: '""' },
];

export interface PatternCase {
  id: string;
  text: string;
  type: 'p' | 't' | 'u' | 'rawtracepoint';
  library: string;
  pattern: string;
  category?: string;
  event?: string;
}

/** funccount C*, D*; stackcount S*, P* (same forms); help examples. */
export const COUNT_PATTERNS: PatternCase[] = [
  { id: 'C01', text: 'vfs_*', type: 'p', library: '', pattern: 'vfs_*' },
  { id: 'C02', text: '^vfs.*', type: 'p', library: '', pattern: '^vfs.*' },
  { id: 'C03', text: 't:sched:sched_fork', type: 't', library: '', pattern: 'sched:sched_fork', category: 'sched', event: 'sched_fork' },
  { id: 'C04', text: 'u:node:gc*', type: 'u', library: 'node', pattern: 'gc*' },
  { id: 'C05', text: 'c:malloc', type: 'p', library: 'c', pattern: 'malloc' },
  { id: 'C06', text: 'go:os.*', type: 'p', library: 'go', pattern: 'os.*' },
  { id: 'C07', text: './test:read*', type: 'p', library: './test', pattern: 'read*' },
  { id: 'C08', text: '/home/ubuntu/contentions:*', type: 'p', library: '/home/ubuntu/contentions', pattern: '*' },
  { id: 'C09', text: 'c:(write|read)$', type: 'p', library: 'c', pattern: '(write|read)$' },
  { id: 'C10', text: 't:block:*', type: 't', library: '', pattern: 'block:*', category: 'block', event: '*' },
  { id: 'C11', text: 'u:pthread:*mutex*', type: 'u', library: 'pthread', pattern: '*mutex*' },
  { id: 'C12', text: '*tcp*send*', type: 'p', library: '', pattern: '*tcp*send*' },
  { id: 'C13', text: 'p::vfs_read', type: 'p', library: '', pattern: 'vfs_read' },
  { id: 'C14', text: 'p:c:malloc', type: 'p', library: 'c', pattern: 'malloc' },
  { id: 'C15', text: 't:*:sched_switch', type: 't', library: '', pattern: '*:sched_switch' },
  { id: 'C16', text: 't:sched:sched_(switch|wakeup)', type: 't', library: '', pattern: 'sched:sched_(switch|wakeup)' },
  { id: 'C17', text: 't:sched_switch', type: 'p', library: 't', pattern: 'sched_switch' },
  { id: 'C18', text: 'u:/usr/bin/python3.11:*', type: 'u', library: '/usr/bin/python3.11', pattern: '*' },
  { id: 'C19', text: 'c:str?cmp', type: 'p', library: 'c', pattern: 'str?cmp' },
  { id: 'C20', text: 'c:[a-c]*', type: 'p', library: 'c', pattern: '[a-c]*' },
  { id: 'C21', text: 'c:malloc+', type: 'p', library: 'c', pattern: 'malloc+' },
  { id: 'C22', text: 'c:mall', type: 'p', library: 'c', pattern: 'mall' },
  { id: 'C23', text: 'lapic_next_deadline', type: 'p', library: '', pattern: 'lapic_next_deadline' },
  { id: 'C24', text: 'p:/usr/lib/x86_64-linux-gnu/libc.so.6:read', type: 'p', library: '/usr/lib/x86_64-linux-gnu/libc.so.6', pattern: 'read' },
  { id: 'C25', text: ':vfs_read', type: 'p', library: '', pattern: 'vfs_read' },
  { id: 'C26', text: 'c:*printf', type: 'p', library: 'c', pattern: '*printf' },
  { id: 'C27', text: 't:syscalls:sys_enter_open*', type: 't', library: '', pattern: 'syscalls:sys_enter_open*' },
  { id: 'C28', text: 't:.*:.*_exit', type: 't', library: '', pattern: '.*:.*_exit' },
  { id: 'D04', text: 't:nosuch:*', type: 't', library: '', pattern: 'nosuch:*' },
  { id: 'D06', text: 'nosuchlib:foo', type: 'p', library: 'nosuchlib', pattern: 'foo' },
  { id: 'D08', text: 'c:(unclosed', type: 'p', library: 'c', pattern: '(unclosed' },
  { id: 'D09', text: '*foo', type: 'p', library: '', pattern: '*foo' },
  { id: 'D15', text: 'p:c', type: 'p', library: 'p', pattern: 'c' },
  { id: 'D17', text: 'u:/nonexistent:probe', type: 'u', library: '/nonexistent', pattern: 'probe' },
  { id: 'D18', text: 't:sched', type: 'p', library: 't', pattern: 'sched' },
  { id: 'D19', text: 'p::', type: 'p', library: '', pattern: '' },
  { id: 'D20', text: '', type: 'p', library: '', pattern: '' },
  { id: 'S01', text: 'submit_bio', type: 'p', library: '', pattern: 'submit_bio' },
  { id: 'S05', text: 'tcp_send*', type: 'p', library: '', pattern: 'tcp_send*' },
  { id: 'S06', text: '^tcp_send.*', type: 'p', library: '', pattern: '^tcp_send.*' },
  { id: 'S09', text: 'put_prev_entity', type: 'p', library: '', pattern: 'put_prev_entity' },
  { id: 'S12', text: 'u:node:*', type: 'u', library: 'node', pattern: '*' },
  { id: 'S13', text: 't:sched:sched_switch', type: 't', library: '', pattern: 'sched:sched_switch' },
  { id: 'S21', text: 'u:pthread:pthread_create', type: 'u', library: 'pthread', pattern: 'pthread_create' },
  { id: 'S26', text: './testprog:add', type: 'p', library: './testprog', pattern: 'add' },
  { id: 'S28', text: 't:syscalls:sys_enter_exit_group', type: 't', library: '', pattern: 'syscalls:sys_enter_exit_group' },
  { id: 'S30', text: 't:block:*', type: 't', library: '', pattern: 'block:*' },
  { id: 'P15', text: 'u:c:*', type: 'u', library: 'c', pattern: '*' },
  { id: 'R10', text: 'rawtracepoint:sched_*', type: 'rawtracepoint', library: '', pattern: 'sched_*' },
  { id: 'R11', text: 'rt:sched_switch', type: 'rawtracepoint', library: '', pattern: 'sched_switch' },
  { id: 'R12', text: 'rawtracepoint::sys_e.+', type: 'rawtracepoint', library: '', pattern: 'sys_e.+' },
];

export const LATENCY_PATTERNS: PatternCase[] = [
  { id: 'L01', text: 'do_sys_open', type: 'p', library: '', pattern: 'do_sys_open' },
  { id: 'L02', text: 'c:read', type: 'p', library: 'c', pattern: 'read' },
  { id: 'L04', text: 'do_nanosleep', type: 'p', library: '', pattern: 'do_nanosleep' },
  { id: 'L05', text: 'c:open', type: 'p', library: 'c', pattern: 'open' },
  { id: 'L08', text: 'vfs_fstat*', type: 'p', library: '', pattern: 'vfs_fstat*' },
  { id: 'L09', text: 'c:*printf', type: 'p', library: 'c', pattern: '*printf' },
  { id: 'L10', text: 'vfs_r*', type: 'p', library: '', pattern: 'vfs_r*' },
  { id: 'L13', text: 'pthread:pthread_mutex_lock', type: 'p', library: 'pthread', pattern: 'pthread_mutex_lock' },
  { id: 'L14', text: '/home/user/primes:*', type: 'p', library: '/home/user/primes', pattern: '*' },
  { id: 'L15', text: '^vfs_r.*', type: 'p', library: '', pattern: '^vfs_r.*' },
  { id: 'L16', text: 'c:^(read|write)$', type: 'p', library: 'c', pattern: '^(read|write)$' },
  { id: 'L17', text: './a.out:main', type: 'p', library: './a.out', pattern: 'main' },
  { id: 'L18', text: 'bash:readline', type: 'p', library: 'bash', pattern: 'readline' },
  { id: 'L21', text: './testprog:fact', type: 'p', library: './testprog', pattern: 'fact' },
  { id: 'L27', text: '/usr/lib/x86_64-linux-gnu/libc.so.6:malloc', type: 'p', library: '/usr/lib/x86_64-linux-gnu/libc.so.6', pattern: 'malloc' },
  { id: 'L28', text: 'c:mall*', type: 'p', library: 'c', pattern: 'mall*' },
  { id: 'L29', text: 'c:str?len', type: 'p', library: 'c', pattern: 'str?len' },
  { id: 'N05', text: 'nosuchlib:foo', type: 'p', library: 'nosuchlib', pattern: 'foo' },
  { id: 'N14', text: ':read', type: 'p', library: '', pattern: 'read' },
  { id: 'N15', text: 'c:', type: 'p', library: 'c', pattern: '' },
  { id: 'N16', text: '', type: 'p', library: '', pattern: '' },
];

export const PATTERN_ERRORS: { id: string; tool: 'funccount' | 'stackcount' | 'funclatency'; text: string; message: string; at?: string }[] = [
  { id: 'D01', tool: 'funccount', text: 'a:b:c', message: "Type must be 'p', 't', or 'u', but got 'a'", at: 'a' },
  { id: 'D02', tool: 'funccount', text: 'a:b:c:d', message: "Too many ':'-separated components in pattern a:b:c:d", at: ':d' },
  { id: 'D03', tool: 'funccount', text: 'r:c:malloc', message: "Type must be 'p', 't', or 'u', but got 'r'", at: 'r' },
  { id: 'D16', tool: 'funccount', text: 't:sched:sched_switch:x', message: "Too many ':'-separated components in pattern t:sched:sched_switch:x", at: ':x' },
  { id: 'P01', tool: 'stackcount', text: 'x:y:z', message: "Type must be 'p', 't', or 'u', but got x", at: 'x' },
  { id: 'P02', tool: 'stackcount', text: 'a:b:c:d', message: "Too many ':'-separated components in pattern a:b:c:d", at: ':d' },
  { id: 'P09', tool: 'stackcount', text: 'r:c:malloc', message: "Type must be 'p', 't', or 'u', but got r", at: 'r' },
  { id: 'N01', tool: 'funclatency', text: 'a:b:c', message: "unrecognized pattern format 'a:b:c'", at: 'a:b:c' },
  { id: 'N02', tool: 'funclatency', text: 'p::vfs_read', message: "unrecognized pattern format 'p::vfs_read'" },
  { id: 'N03', tool: 'funclatency', text: 't:sched:sched_switch', message: "unrecognized pattern format 't:sched:sched_switch'" },
  { id: 'N04', tool: 'funclatency', text: 'u:python3:line', message: "unrecognized pattern format 'u:python3:line'" },
  { id: 'R13', tool: 'funclatency', text: 'rt:sched_switch', message: "funclatency times functions from entry to return, and a raw tracepoint has no return: 'rt:sched_switch'", at: 'rt' },
  { id: 'R14', tool: 'funccount', text: 'rawtracepoint:sched:*', message: "too many ':'-separated components in raw tracepoint probe", at: 'sched' },
  { id: 'R15', tool: 'stackcount', text: 'rt:', message: 'missing raw tracepoint name' },
];
