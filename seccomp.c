/* seccomp.c - per-thread seccomp-BPF filters (Documentation/userspace-api/seccomp_filter.rst).
 *
 * Each thread calls seccomp_thread_enter once its setup is done and gets a classic-BPF
 * program built from its role's allowlist (arch/arm64/seccomp_arch.c). No TSYNC: a filter
 * binds only the thread that installs it and the threads it creates later, so each thread
 * gets exactly its own list. Unknown calls get SECCOMP_RET_TRAP: the kernel skips the call
 * and sends SIGSYS, whose handler names the thread and the call on stderr and then lets the
 * default action of SIGSYS end the process (exit status 128+31).
 */
#include "seccomp.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "util.h"

/* Room for the largest program: the main thread's under --reboot=restart, every role's
 * rules at about five instructions each. The kernel's limit is BPF_MAXINSNS (4096). */
#define SC_MAX_INSNS 2048
/* Calls VMM_SECCOMP_LOG reports once per role; numbers beyond are reported every time. */
#define SC_LOG_NRS 512

static struct {
	bool enabled, restart, log_mode;
	bool main_installed;   /* the main thread's filter: once, even across restarts */
	pid_t pid;
	char selftest[16];     /* VMM_SECCOMP_SELFTEST: the thread that breaks its filter */
} sc;

/* The calling thread, for the SIGSYS report (TLS is safe to read in a signal handler). */
static __thread char thread_name[16];
static __thread pid_t thread_tid;
static __thread int thread_role = -1;
static unsigned char log_seen[SC_NR_ROLES + 1][SC_LOG_NRS];

bool seccomp_enabled(void)
{
	return sc.enabled;
}

/* ---- the SIGSYS report: async-signal-safe, no stdio, no malloc ---- */

static size_t put_str(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n + 1 < cap)
		buf[n++] = *s++;
	return n;
}

static size_t put_long(char *buf, size_t n, size_t cap, long v)
{
	char tmp[24];
	size_t i = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	do
		tmp[i++] = '0' + u % 10;
	while ((u /= 10) && i < sizeof(tmp));
	if (v < 0 && n + 1 < cap)
		buf[n++] = '-';
	while (i && n + 1 < cap)
		buf[n++] = tmp[--i];
	return n;
}

static size_t report_line(char *buf, size_t cap, const char *what, long nr, const char *tail)
{
	const char *name = seccomp_arch_syscall_name(nr);
	size_t n = 0;

	n = put_str(buf, n, cap, "vmm: seccomp: thread ");
	n = put_str(buf, n, cap, thread_name[0] ? thread_name : "(unnamed)");
	n = put_str(buf, n, cap, what);
	n = put_long(buf, n, cap, nr);
	n = put_str(buf, n, cap, " (");
	n = put_str(buf, n, cap, name ? name : "?");
	n = put_str(buf, n, cap, ")");
	n = put_str(buf, n, cap, tail);
	buf[n++] = '\n';
	return n;
}

/* VMM_SECCOMP_LOG: report each call a role's list lacks once, then make it on the thread's
 * behalf from the one instruction the filter lets through in this mode. */
static void sigsys_log(void *uc)
{
	int role = thread_role >= 0 && thread_role < SC_NR_ROLES ? thread_role : SC_NR_ROLES;
	long nr, a[6];
	char line[200];

	seccomp_arch_trapped(uc, &nr, a);
	if (nr < 0 || nr >= SC_LOG_NRS || !__atomic_exchange_n(&log_seen[role][nr], 1, __ATOMIC_RELAXED)) {
		size_t n = report_line(line, sizeof(line), " made syscall ", nr,
				       ", not in its list; allowed (VMM_SECCOMP_LOG)");

		seccomp_arch_syscall6(STDERR_FILENO, (long)line, (long)n, 0, 0, 0, __NR_write);
	}
	seccomp_arch_set_return(uc, seccomp_arch_syscall6(a[0], a[1], a[2], a[3], a[4], a[5], nr));
}

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	char line[160];
	size_t n;
	pid_t tid;

	(void)sig;
	if (sc.log_mode) {
		sigsys_log(uc);
		errno = saved_errno;
		return;
	}
	n = report_line(line, sizeof(line), " made forbidden syscall ", si->si_syscall, "");
	(void)!write(STDERR_FILENO, line, n);
	/* SA_RESETHAND already put SIG_DFL back; SIGSYS stays blocked until this handler
	 * returns, and then the pending one ends the whole process (its default action). */
	tid = thread_tid ? thread_tid : (pid_t)syscall(__NR_gettid);
	syscall(__NR_tgkill, sc.pid, tid, SIGSYS);
	errno = saved_errno;
}

int seccomp_configure(bool enabled, bool restart)
{
	const char *selftest = getenv("VMM_SECCOMP_SELFTEST"), *log = getenv("VMM_SECCOMP_LOG");
	struct sigaction sa;

	sc.enabled = enabled;
	sc.restart = restart;
	sc.pid = getpid();
	sc.log_mode = log && log[0] && strcmp(log, "0");
	snprintf(sc.selftest, sizeof(sc.selftest), "%s", selftest ? selftest : "");
	if (!enabled) {
		if (selftest || sc.log_mode)
			log_warn("seccomp: off (--no-seccomp): VMM_SECCOMP_SELFTEST and VMM_SECCOMP_LOG do nothing");
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	/* One report, then the default action: reset on entry, no syscall needed to do it. */
	sa.sa_flags = SA_SIGINFO | (sc.log_mode ? 0 : SA_RESETHAND);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		int err = errno;

		log_err("seccomp: sigaction(SIGSYS): %s", strerror(err));
		return -err;
	}
	if (sc.log_mode)
		log_warn("seccomp: VMM_SECCOMP_LOG is set: calls outside the allowlists are reported and allowed");
	return 0;
}

/* ---- building the program ---- */

struct prog {
	struct sock_filter insn[SC_MAX_INSNS];
	unsigned len;
	bool overflow;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (p->len >= SC_MAX_INSNS) {
		p->overflow = true;
		return;
	}
	p->insn[p->len++] = (struct sock_filter){ code, jt, jf, k };
}

/* seccomp_data's 64-bit fields in native byte order: where their low and high words are. */
static unsigned lo_word(size_t off)
{
	return off + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4);
}

static unsigned hi_word(size_t off)
{
	return off + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 4 : 0);
}

/* The thread's fds and how the program is built: any_fd drops the SC_THREAD_FD conditions
 * (the main thread's restart union, inherited by threads whose fds do not exist yet). */
struct fdset {
	const int *fds;
	unsigned n;
	bool any_fd;
};

static bool cond_used(const struct sc_cond *c, const struct fdset *fs)
{
	return !(fs->any_fd && c->kind == SC_THREAD_FD);
}

/* A rule whose fd the thread lacks can never match: it is left out. */
static bool rule_possible(const struct sc_rule *r, const struct fdset *fs)
{
	for (unsigned i = 0; i < r->nconds; i++)
		if (r->cond[i].kind == SC_THREAD_FD && !fs->any_fd &&
		    (r->cond[i].value >= fs->n || fs->fds[r->cond[i].value] < 0))
			return false;
	return true;
}

/* Instructions of one rule: load nr, compare, per condition load [and] compare, return. */
static unsigned rule_len(const struct sc_rule *r, const struct fdset *fs)
{
	unsigned n = 3;

	for (unsigned i = 0; i < r->nconds; i++)
		if (cond_used(&r->cond[i], fs))
			n += 2 + (r->cond[i].mask != 0xffffffffu);
	return n;
}

/* A rule: every failed comparison jumps to the next rule; all passed returns its action. */
static void emit_rule(struct prog *p, const struct sc_rule *r, const struct fdset *fs)
{
	unsigned n = rule_len(r, fs), pos = 1;

	if (!rule_possible(r, fs))
		return;
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, n - pos - 1);
	pos++;
	for (unsigned i = 0; i < r->nconds; i++) {
		const struct sc_cond *c = &r->cond[i];
		uint32_t v = c->kind == SC_OWN_PID ? (uint32_t)sc.pid :
			     c->kind == SC_THREAD_FD ? (uint32_t)fs->fds[c->value] : c->value;

		if (!cond_used(c, fs))
			continue;
		emit(p, BPF_LD | BPF_W | BPF_ABS, lo_word(offsetof(struct seccomp_data, args[c->arg])), 0, 0);
		pos++;
		if (c->mask != 0xffffffffu) {
			emit(p, BPF_ALU | BPF_AND | BPF_K, c->mask, 0, 0);
			pos++;
		}
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, v & c->mask, 0, n - pos - 1);
		pos++;
	}
	emit(p, BPF_RET | BPF_K, r->enosys ? SECCOMP_RET_ERRNO | ENOSYS : SECCOMP_RET_ALLOW, 0, 0);
}

static void emit_role(struct prog *p, enum sc_role role, const struct fdset *fs)
{
	unsigned n;
	const struct sc_rule *rules = seccomp_arch_rules(role, &n);

	for (unsigned i = 0; i < n; i++)
		emit_rule(p, &rules[i], fs);
}

static void build(struct prog *p, enum sc_role role, bool restart, const int *fds, unsigned nfds)
{
	struct fdset fs = { fds, fds ? nfds : 0, false };

	/* Numbers mean different calls on another ABI (AArch32 compat): check the arch first,
	 * and kill outright on a mismatch (seccomp_filter.rst, "Pitfalls"). */
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_audit, 1, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	if (sc.log_mode) {
		/* Log mode only: the handler's own svc, which makes the trapped calls. */
		uint64_t pc = seccomp_arch_syscall6_pc();

		emit(p, BPF_LD | BPF_W | BPF_ABS, lo_word(offsetof(struct seccomp_data, instruction_pointer)), 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)pc, 0, 3);
		emit(p, BPF_LD | BPF_W | BPF_ABS, hi_word(offsetof(struct seccomp_data, instruction_pointer)), 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(pc >> 32), 0, 1);
		emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	}
	if (role == SC_ROLE_MAIN && restart) {
		/* --reboot=restart: this thread builds the next VM and starts its threads, which
		 * inherit this filter before they add their own. */
		fs.any_fd = true;
		emit_role(p, SC_ROLE_VCPU, &fs);
		emit_role(p, SC_ROLE_IO, &fs);
		emit_role(p, SC_ROLE_MAIN, &fs);
		emit_role(p, SC_ROLE_SETUP, &fs);
	} else {
		emit_role(p, role, &fs);
	}
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_TRAP, 0, 0);
}

int seccomp_build_program(enum sc_role role, bool restart, const int *fds, unsigned nfds,
			  struct sock_filter *insn, unsigned cap)
{
	struct prog *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	if (!sc.pid)
		sc.pid = getpid();
	build(p, role, restart, fds, nfds);
	ret = p->overflow || p->len > cap ? -E2BIG : (int)p->len;
	if (ret > 0)
		memcpy(insn, p->insn, p->len * sizeof(*insn));
	free(p);
	return ret;
}

/* VMM_SECCOMP_SELFTEST=<thread>: that thread, filter installed, tries to run a program. */
static void selftest(const char *name)
{
	static char *const argv[] = { "vmm-seccomp-selftest", NULL };

	log_err("seccomp: VMM_SECCOMP_SELFTEST: thread %s makes a forbidden call (execve)", name);
	syscall(__NR_execve, "/nonexistent/vmm-seccomp-selftest", argv, argv + 1);
	log_err("seccomp: VMM_SECCOMP_SELFTEST: thread %s: execve came back: %s", name, strerror(errno));
}

int seccomp_thread_enter(enum sc_role role, const char *name, const int *fds, unsigned nfds)
{
	struct sock_fprog fprog;
	struct prog *p;
	int ret = 0;

	snprintf(thread_name, sizeof(thread_name), "%s", name);
	/* The name shows in /proc/PID/task/TID/comm (filters on or off); the main thread keeps
	 * the process's. */
	if (role != SC_ROLE_MAIN)
		prctl(PR_SET_NAME, thread_name, 0, 0, 0);
	if (!sc.enabled || (role == SC_ROLE_MAIN && sc.main_installed))
		return 0;
	thread_tid = (pid_t)syscall(__NR_gettid);
	thread_role = role;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	build(p, role, sc.restart, fds, nfds);
	if (p->overflow) {
		log_err("seccomp: thread %s: the filter needs more than %d instructions", name, SC_MAX_INSNS);
		ret = -E2BIG;
		goto out;
	}
	fprog = (struct sock_fprog){ .len = p->len, .filter = p->insn };
	/* seccomp_filter.rst: without CAP_SYS_ADMIN a filter needs no_new_privs first. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) {
		ret = -errno;
		log_err("seccomp: thread %s: installing the filter: %s%s", name, strerror(-ret),
			ret == -EINVAL ? " (a kernel without CONFIG_SECCOMP_FILTER? --no-seccomp runs without)" : "");
		goto out;
	}
	if (role == SC_ROLE_MAIN)
		sc.main_installed = true;
	log_debug("seccomp: thread %s: a filter of %u instructions installed", name, p->len);
out:
	free(p);
	if (!ret && sc.selftest[0] && !strcmp(sc.selftest, name))
		selftest(name);
	return ret;
}
