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

/* What an argument is compared with: a constant, our process id, or one of the fds the
 * thread passed to seccomp_thread_enter (value: its index in that array). A rule naming an
 * fd the thread does not have (index past the array, or fd -1) allows nothing. */
enum sc_value { SC_CONST, SC_OWN_PID, SC_THREAD_FD };

/* The fds each role passes to seccomp_thread_enter, by index. vCPU: its own fd and the VM's;
 * I/O: its ring; main: the VM, the vGIC and ITS devices (-1 without an ITS), the control
 * directory and listening socket, the terminal (console input). */
enum { SC_VCPU_FD, SC_VCPU_VM_FD, SC_VCPU_NR_FDS };
enum { SC_IO_RING_FD, SC_IO_NR_FDS };
enum { SC_MAIN_VM_FD, SC_MAIN_GIC_FD, SC_MAIN_ITS_FD, SC_MAIN_CTL_DIR_FD, SC_MAIN_CTL_LISTEN_FD,
       SC_MAIN_TTY_FD, SC_MAIN_NR_FDS };

/* (low 32 bits of argument arg) & mask == value (for SC_THREAD_FD, == fds[value]). The calls compared here (ioctl request,
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
 * filter for role, whose SC_THREAD_FD conditions name fds[0..nfds) by index (the role's
 * enum above); only the name when off. 0 or -errno (logged). */
int seccomp_thread_enter(enum sc_role role, const char *name, const int *fds, unsigned nfds);
/* True once seccomp_configure enabled filtering. */
bool seccomp_enabled(void);

struct sock_filter;
/* For tests: the program seccomp_thread_enter would install for role (restart: the main
 * thread's --reboot=restart union), into insn[cap]; its length, or -E2BIG. */
int seccomp_build_program(enum sc_role role, bool restart, const int *fds, unsigned nfds,
			  struct sock_filter *insn, unsigned cap);


/* The arch side, implemented by arch/$(ARCH)/seccomp_arch.c: the audit architecture, the
 * system calls each thread makes (as glibc's static build for the arch makes them), their
 * names, and the raw system call the VMM_SECCOMP_LOG debugging mode runs on a thread's behalf. */
/* seccomp_data.arch of a native system call (AUDIT_ARCH_AARCH64 on arm64). */
extern const uint32_t seccomp_arch_audit;
/* The allowlist of a role; *n gets its length. */
const struct sc_rule *seccomp_arch_rules(enum sc_role role, unsigned *n);
/* The name of system call nr, or NULL if not in the table. */
const char *seccomp_arch_syscall_name(long nr);
/* Run system call nr with six arguments from this one place (log mode only). */
long seccomp_arch_syscall6(long a0, long a1, long a2, long a3, long a4, long a5, long nr);
/* The address seccomp sees as instruction_pointer for seccomp_arch_syscall6's call. */
uint64_t seccomp_arch_syscall6_pc(void);
/* From a SIGSYS handler's ucontext: the trapped call's number and its six arguments. */
void seccomp_arch_trapped(void *ucontext, long *nr, long args[6]);
/* In a SIGSYS handler's ucontext: what the trapped call returns once the handler is done. */
void seccomp_arch_set_return(void *ucontext, long ret);

#endif
