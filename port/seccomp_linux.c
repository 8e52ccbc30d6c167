/*
 * seccomp_linux.c - the system call filter (port_seccomp(), LLMGW_SECCOMP
 * in options.h): once start-up is done (configuration loaded, listeners
 * bound, privileges dropped, TLS and DNS set up), llmgw allows itself only
 * the system calls its loop, a SIGHUP reload, a usage flush and its
 * logging make. Anything else, from a bug or from code an attacker got to
 * run, stops the process with one line on stderr naming the call.
 *
 * The filter is classic BPF: check the architecture (a process may make
 * system calls of another ABI of the same CPU, e.g. i386 on x86_64, under
 * other numbers), then compare the number with each allowed one. The
 * numbers are the target's own, from <sys/syscall.h> at compile time, and
 * the list names both spellings where libcs differ (glibc and musl, 64-bit
 * and 32-bit time, old and *at calls): a call that does not exist on the
 * target is simply not in its list. The kernel's BPF structures are
 * written out here because musl cross toolchains ship no kernel headers.
 *
 * What is not allowed gets SECCOMP_RET_TRAP: the kernel does not run the
 * call and sends SIGSYS, whose handler writes "llmgw: seccomp: system call
 * N is not allowed" to stderr and exits with status 159 (128 + SIGSYS).
 * A build with LLMGW_SECCOMP=2 logs instead (SECCOMP_RET_LOG: the kernel
 * writes an audit line "type=1326 ... syscall=N" to its log and runs the
 * call); that is how the list was checked, with the whole integration
 * suite.
 *
 * Kernels without seccomp filters (CONFIG_SECCOMP_FILTER off) and qemu's
 * user-mode emulator, which refuses a guest's filters (prctl answers
 * EINVAL, seccomp() ENOSYS), make port_seccomp() return 1: llmgw then says
 * so in its log and runs unfiltered (README "Security").
 *
 * Sanitizer builds (the tests) allow what the sanitizer runtime needs on
 * top: LeakSanitizer's check at exit stops the process with a ptrace'd
 * helper (clone, ptrace, wait4, prctl, ...).
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fmt.h"
#include "options.h"
#include "port.h"

/* <linux/filter.h>, <linux/seccomp.h>, <linux/audit.h>: kernel ABI. */
struct bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct bpf_prog {
	unsigned short len;
	struct bpf_insn *insns;
};
#define BPF_LD_W_ABS	0x20	/* BPF_LD | BPF_W | BPF_ABS */
#define BPF_JEQ_K	0x15	/* BPF_JMP | BPF_JEQ | BPF_K */
#define BPF_RET_K	0x06	/* BPF_RET | BPF_K */
#define DATA_NR		0	/* offsetof(struct seccomp_data, nr) */
#define DATA_ARCH	4	/* offsetof(struct seccomp_data, arch) */
#define RET_ALLOW	0x7fff0000u
#define RET_TRAP	0x00030000u
#define RET_LOG		0x7ffc0000u
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif
#ifndef PR_SET_SECCOMP
#define PR_SET_SECCOMP	22
#endif
#define MODE_FILTER	2	/* SECCOMP_MODE_FILTER */

/* AUDIT_ARCH_*: the ELF machine, | 0x80000000 for 64-bit, | 0x40000000
 * for little-endian. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define ARCH_SELF 0xc000003eu		/* x86_64 (x32 numbers differ: refused) */
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define ARCH_SELF 0xc00000b7u
#elif defined(__arm__) && !defined(__ARMEB__)
#define ARCH_SELF 0x40000028u
#elif defined(__mips__) && !defined(__mips64) && defined(__MIPSEL__)
#define ARCH_SELF 0x40000008u		/* o32, little-endian */
#elif defined(__mips__) && !defined(__mips64)
#define ARCH_SELF 0x00000008u		/* o32, big-endian */
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifdef ARCH_SELF
/* Every system call llmgw makes after start-up, by what makes it. */
static const unsigned short allowed[] = {
	/* files: reload (config, key files, passwd-free), usage.state
	 * (write, fsync, rename, the directory's fsync), /proc/self/statm,
	 * /dev/urandom when getrandom is missing */
	SYS_read, SYS_write, SYS_close, SYS_fsync, SYS_pread64,
#ifdef SYS_open
	SYS_open,
#endif
	SYS_openat,
#ifdef SYS_fstat
	SYS_fstat,
#endif
#ifdef SYS_fstat64
	SYS_fstat64,
#endif
#ifdef SYS_newfstatat
	SYS_newfstatat,
#endif
#ifdef SYS_fstatat64
	SYS_fstatat64,
#endif
#ifdef SYS_statx
	SYS_statx,		/* musl's fstat on 32-bit targets (64-bit time) */
#endif
#ifdef SYS_fcntl
	SYS_fcntl,		/* musl's open(O_CLOEXEC) sets FD_CLOEXEC again */
#endif
#ifdef SYS_fcntl64
	SYS_fcntl64,
#endif
#ifdef SYS_access
	SYS_access,		/* reload: is there /etc/llmgw/llmgw.conf? */
#endif
	SYS_faccessat,
#ifdef SYS_faccessat2
	SYS_faccessat2,
#endif
#ifdef SYS_mkdir
	SYS_mkdir,		/* reload: state_dir */
#endif
	SYS_mkdirat,
#ifdef SYS_rename
	SYS_rename,
#endif
#ifdef SYS_renameat
	SYS_renameat,
#endif
#ifdef SYS_renameat2
	SYS_renameat2,
#endif
#ifdef SYS_unlink
	SYS_unlink,
#endif
	SYS_unlinkat,
	/* sockets: clients, providers, DNS over UDP, syslog on /dev/log */
	SYS_socket, SYS_connect, SYS_accept4, SYS_shutdown, SYS_setsockopt, SYS_getsockopt,
	SYS_sendto, SYS_recvfrom, SYS_sendmsg,
#ifdef SYS_send
	SYS_send,
#endif
#ifdef SYS_recv
	SYS_recv,
#endif
	/* the loop and the clocks (when the vDSO does not answer) */
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_ppoll
	SYS_ppoll,
#endif
#ifdef SYS_ppoll_time64
	SYS_ppoll_time64,
#endif
#ifdef SYS_clock_gettime
	SYS_clock_gettime,
#endif
#ifdef SYS_clock_gettime32
	SYS_clock_gettime32,	/* musl's names on 32-bit targets */
#endif
#ifdef SYS_clock_gettime64
	SYS_clock_gettime64,
#endif
#ifdef SYS_time
	SYS_time,
#endif
	SYS_getrandom,
	/* memory: reload allocates and frees; idle buffers are given back */
	SYS_brk, SYS_munmap, SYS_madvise, SYS_mremap,
#ifdef SYS_mmap
	SYS_mmap,
#endif
#ifdef SYS_mmap2
	SYS_mmap2,
#endif
	/* signals, log lines (getpid), the way out; abort() (raise) */
	SYS_rt_sigreturn,
#ifdef SYS_sigreturn
	SYS_sigreturn,
#endif
	SYS_restart_syscall, SYS_getpid, SYS_gettid, SYS_tkill, SYS_tgkill, SYS_rt_sigprocmask,
	SYS_exit, SYS_exit_group,
	/* valgrind (make bench: callgrind) polls for signals on llmgw's
	 * behalf, under llmgw's filter */
	SYS_rt_sigtimedwait,
#ifdef SYS_rt_sigtimedwait_time64
	SYS_rt_sigtimedwait_time64,
#endif
#ifdef SANITIZED
	/* the sanitizer runtime: LeakSanitizer's check at exit (a ptrace'd
	 * helper stops the process and reads its threads' registers), a
	 * report's symbolizer process */
	SYS_futex, SYS_sched_yield, SYS_clone, SYS_ptrace, SYS_wait4, SYS_prctl, SYS_getdents64,
	SYS_mprotect, SYS_sigaltstack, SYS_rt_sigaction, SYS_readlinkat, SYS_getppid, SYS_kill,
	SYS_execve, SYS_pipe2, SYS_dup3, SYS_process_vm_readv, SYS_lseek,
#ifdef SYS_getdents
	SYS_getdents,
#endif
#ifdef SYS_readlink
	SYS_readlink,
#endif
#ifdef SYS_dup2
	SYS_dup2,
#endif
#ifdef SYS_pipe
	SYS_pipe,
#endif
#endif
};

#define NALLOWED (sizeof allowed / sizeof allowed[0])
_Static_assert(NALLOWED < 250, "each check jumps to the allow at the end: offsets are 8 bits");

/* Async-signal-safe: one write and _exit. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[80];
	int n = fmt_snprintf(line, sizeof line, "llmgw: seccomp: system call %d is not allowed\n", si->si_syscall);
	ssize_t r = write(2, line, (size_t)n);
	(void)r;
	_exit(128 + SIGSYS);
}

int port_seccomp(char *err, size_t errlen)
{
	/* the architecture (3), nr, one check per allowed call, deny, allow */
	struct bpf_insn f[NALLOWED + 6], *p = f;
	*p++ = (struct bpf_insn){ BPF_LD_W_ABS, 0, 0, DATA_ARCH };
	*p++ = (struct bpf_insn){ BPF_JEQ_K, 1, 0, ARCH_SELF };
	*p++ = (struct bpf_insn){ BPF_RET_K, 0, 0, RET_TRAP };	/* another ABI */
	*p++ = (struct bpf_insn){ BPF_LD_W_ABS, 0, 0, DATA_NR };
	for (unsigned i = 0; i < NALLOWED; i++)
		*p++ = (struct bpf_insn){ BPF_JEQ_K, (uint8_t)(NALLOWED - i), 0, allowed[i] };
	*p++ = (struct bpf_insn){ BPF_RET_K, 0, 0, LLMGW_SECCOMP == 2 ? RET_LOG : RET_TRAP };
	*p++ = (struct bpf_insn){ BPF_RET_K, 0, 0, RET_ALLOW };
	struct bpf_prog prog = { (unsigned short)(p - f), f };

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	/* no_new_privs (kernel 3.5, like filters) lets an unprivileged
	 * process install a filter. EINVAL/ENOSYS: the kernel or qemu-user
	 * has no filters; anything else is a failure worth stopping for. */
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, MODE_FILTER, &prog, 0, 0) < 0) {
		int e = errno, absent = e == EINVAL || e == ENOSYS;
		fmt_snprintf(err, errlen, "%s: %s", absent ? "not supported by this kernel or emulator" :
			     "cannot install the system call filter", strerror(e));
		return absent ? 1 : -1;
	}
	return 0;
}
#else
int port_seccomp(char *err, size_t errlen)
{
	fmt_snprintf(err, errlen, "no system call list for this architecture");
	return 1;
}
#endif
