/* seccomp.h - per-thread seccomp-BPF allowlists for `vmm run`
 * (Documentation/userspace-api/seccomp_filter.rst). Each thread installs its own filter
 * once setup is over: a vCPU thread, the I/O thread and the main (event-loop) thread each
 * may make only the system calls that thread's work needs. Anything else raises SIGSYS,
 * which reports the thread and the call on stderr and ends vmm with status 128+31. */
#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

/* Which allowlist a thread gets. SC_ROLE_SETUP is what building a VM needs on top: the
 * main thread keeps it under --reboot=restart, where it builds the VM again. SC_ROLE_WRITER:
 * the console's output writers (outq.c), which only write and wait. */
enum sc_role { SC_ROLE_VCPU, SC_ROLE_IO, SC_ROLE_MAIN, SC_ROLE_SETUP, SC_ROLE_WRITER, SC_NR_ROLES };

/* What an argument is compared with: a constant, our process id, or the fd the thread was
 * given at install time (its vCPU fd, its io_uring fd). */
enum sc_value { SC_CONST, SC_OWN_PID, SC_THREAD_FD };

/* (low 32 bits of argument arg) & mask == value. The calls compared here (ioctl request,
 * fds, pids, mmap prot) take 32-bit values: the kernel ignores the high half. */
struct sc_cond {
	uint8_t arg;
	uint8_t kind;          /* enum sc_value */
	uint32_t mask, value;
};

/* One allowed call: its number and up to two argument conditions, all of which must hold.
 * Several rules may name the same call; any one matching allows it. */
struct sc_rule {
	uint32_t nr;
	uint8_t nconds;
	bool enosys;           /* answer -ENOSYS instead of running it (clone3: glibc falls back) */
	struct sc_cond cond[2];
};

/* Read the settings once, in `vmm run` before any thread starts: off with --no-seccomp;
 * restart: the main thread must be able to build the VM again; the environment's
 * VMM_SECCOMP_SELFTEST and VMM_SECCOMP_LOG debugging aids. Installs the SIGSYS handler. 0 or -errno. */
int seccomp_configure(bool enabled, bool restart);
/* Name the calling thread (e.g. "vcpu0": its comm, and its name in reports) and install its
 * filter for role (fd: its own fd for SC_THREAD_FD, or -1); only the name when off.
 * 0 or -errno (logged). */
int seccomp_thread_enter(enum sc_role role, const char *name, int fd);
/* True once seccomp_configure enabled filtering. */
bool seccomp_enabled(void);

#endif
