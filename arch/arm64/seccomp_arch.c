/* seccomp_arch.c - the arm64 allowlists. The numbers are the asm-generic table arm64 uses,
 * so glibc calls ppoll for poll, openat for open, newfstatat for fstat, clone3 then clone
 * for pthread_create; the lists were found by reading the code and by running the nested
 * suite with VMM_SECCOMP_LOG=1 (README). */
#include "../../seccomp.h"

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

const uint32_t seccomp_arch_audit = AUDIT_ARCH_AARCH64;

#define ANY(n)                 { .nr = (n) }
#define ARG(n, a, m, v)        { .nr = (n), .nconds = 1, .cond = { { (a), SC_CONST, (m), (v) } } }
#define ARG_IS(n, a, kind)     { .nr = (n), .nconds = 1, .cond = { { (a), (kind), 0xffffffffu, 0 } } }
/* Argument a is the thread's fd number idx (seccomp.h's enums). */
#define ARG_FD(n, a, idx)      { .nr = (n), .nconds = 1, .cond = { { (a), SC_THREAD_FD, 0xffffffffu, (idx) } } }
/* ioctl req on the thread's fd number idx. */
#define IOCTL_ON(req, idx)     { .nr = __NR_ioctl, .nconds = 2,                                    \
				 .cond = { { 1, SC_CONST, 0xffffffffu, (uint32_t)(req) },                \
					   { 0, SC_THREAD_FD, 0xffffffffu, (idx) } } }
#define IOCTL(req)             ARG(__NR_ioctl, 1, 0xffffffffu, (uint32_t)(req))
/* Memory may be mapped or re-protected (malloc arenas, thread stacks), never executable. */
#define NO_EXEC(n)             ARG(n, 2, PROT_EXEC, 0)
/* Signals only to threads of this process: the vCPU kick, and the SIGSYS report's re-raise. */
#define TGKILL_OWN             ARG_IS(__NR_tgkill, 0, SC_OWN_PID)

/* Every thread: log lines, locks, the SIGSYS report, malloc and thread exit. glibc's
 * allocator may run on any thread at any time: a new arena asks how many CPUs there are
 * (sched_getaffinity), and realloc moves a block past the mmap threshold with mremap (a
 * control reply over 128 KiB). mremap cannot make memory executable (only mprotect can).
 * glibc's fatal-error path (malloc's consistency checks, __chk_fail) writes its message
 * with writev before abort() raises SIGABRT with tgkill. */
#define COMMON                                                                            \
	ANY(__NR_write), ANY(__NR_writev), ANY(__NR_futex), TGKILL_OWN, ANY(__NR_getpid), \
	ANY(__NR_rt_sigreturn), ANY(__NR_rt_sigprocmask), ANY(__NR_restart_syscall),      \
	ANY(__NR_clock_gettime), NO_EXEC(__NR_mmap), NO_EXEC(__NR_mprotect),              \
	ANY(__NR_mremap), ANY(__NR_munmap), ANY(__NR_madvise), ANY(__NR_brk),             \
	ANY(__NR_sched_getaffinity), ANY(__NR_exit)

/* vCPU threads: KVM_RUN on their own vCPU (first: the hot path), then what MMIO exits into
 * the devices do, on the VM fd: raise SPIs (UART, GICv2m, virtio-mmio), program MSI-X
 * routes and irqfds, move ioeventfds when a BAR or a queue changes; write eventfds and the
 * console. */
static const struct sc_rule vcpu_rules[] = {
	IOCTL_ON(KVM_RUN, SC_VCPU_FD),
	/* An access KVM cannot decode (KVM_EXIT_ARM_NISV) is answered with an external abort. */
	IOCTL_ON(KVM_SET_VCPU_EVENTS, SC_VCPU_FD),
	IOCTL_ON(KVM_IRQ_LINE, SC_VCPU_VM_FD), IOCTL_ON(KVM_SET_GSI_ROUTING, SC_VCPU_VM_FD),
	IOCTL_ON(KVM_IRQFD, SC_VCPU_VM_FD), IOCTL_ON(KVM_IOEVENTFD, SC_VCPU_VM_FD),
	IOCTL_ON(KVM_SIGNAL_MSI, SC_VCPU_VM_FD),
	/* A device reset of a multi-queue virtio-net detaches the tap queues past the first
	 * (virtio/net.c net_set_active); the tap fds are not thread fds seccomp knows. */
	IOCTL(TUNSETQUEUE),
	/* vhost-net (virtio/net_vhost.c) and vhost-vsock (virtio/vsock.c): DRIVER_OK hands the
	 * kernel the features and the rings (vsock: and starts it), a device reset takes them
	 * back (vsock: stops it), an MSI-X table, config or queue-vector write re-wires a
	 * ring's call fd. All from MMIO exits; the vhost fds (one per queue pair, one per vsock
	 * device) are no thread fds seccomp knows, so these are bound by request number only
	 * (the filter compares the number: these VHOST_* only, no other vhost or device ioctl). */
	IOCTL(VHOST_SET_FEATURES), IOCTL(VHOST_SET_VRING_NUM), IOCTL(VHOST_SET_VRING_BASE),
	IOCTL(VHOST_SET_VRING_ADDR), IOCTL(VHOST_SET_VRING_KICK), IOCTL(VHOST_SET_VRING_CALL),
	IOCTL(VHOST_NET_SET_BACKEND), IOCTL(VHOST_GET_VRING_BASE), IOCTL(VHOST_VSOCK_SET_RUNNING),
	COMMON,
};

/* The I/O thread: io_uring_enter on its own ring, eventfd reads, getrandom for virtio-rng,
 * eventfd writes (irqfds) and console output for virtio-console; virtio-net's frames: readv
 * from the tap into receive buffers (writev, in COMMON, sends them). The tap's fd number is
 * not a thread fd seccomp knows (one per NIC), so readv is not bound to it. */
static const struct sc_rule io_rules[] = {
	ARG_FD(__NR_io_uring_enter, 0, SC_IO_RING_FD),
	ANY(__NR_read), ANY(__NR_readv), ANY(__NR_getrandom),
	/* virtio-net's control queue: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET attaches and detaches
	 * tap queues. */
	IOCTL(TUNSETQUEUE),
	COMMON,
};

/* Output writers (outq.c): write, and wait in ppoll when an fd is non-blocking. A failed
 * write is reported, never followed by a close here. */
static const struct sc_rule writer_rules[] = {
	ANY(__NR_ppoll),
	COMMON,
};

/* The main thread's event loop and everything after it: console input, signalfd, the
 * control socket, control commands (vCPU counters for pause/resume, vGIC and ITS state,
 * inject), the terminal restored, --report written, the VM torn down. It opens no file:
 * --report's files were opened at setup (report.c), info dtb FILE is written by the client,
 * and the socket goes with unlinkat in the control directory's fd. */
static const struct sc_rule main_rules[] = {
	ANY(__NR_ppoll), ANY(__NR_read), ANY(__NR_close),
	ARG_FD(__NR_accept4, 0, SC_MAIN_CTL_LISTEN_FD), ANY(__NR_recvfrom), ANY(__NR_sendto),
	/* The vCPU counters (pause/resume): on one of many vCPU fds, which one seccomp's
	 * equality checks cannot bound without a rule per vCPU (README, Security). */
	IOCTL(KVM_GET_ONE_REG), IOCTL(KVM_SET_ONE_REG),
	IOCTL_ON(KVM_GET_DEVICE_ATTR, SC_MAIN_GIC_FD), IOCTL_ON(KVM_GET_DEVICE_ATTR, SC_MAIN_ITS_FD),
	IOCTL_ON(KVM_SET_DEVICE_ATTR, SC_MAIN_ITS_FD), /* KVM_DEV_ARM_ITS_SAVE_TABLES (info its) */
	IOCTL_ON(KVM_IRQ_LINE, SC_MAIN_VM_FD), IOCTL_ON(KVM_SIGNAL_MSI, SC_MAIN_VM_FD),
	IOCTL(VHOST_VSOCK_SET_RUNNING), /* virtio-vsock stopped at the VM's end (vm_destroy) */
	IOCTL_ON(TCGETS, SC_MAIN_TTY_FD), IOCTL_ON(TCSETS, SC_MAIN_TTY_FD),
	IOCTL_ON(TCSETSW, SC_MAIN_TTY_FD), IOCTL_ON(TCSETSF, SC_MAIN_TTY_FD),
	/* stdio's fstat of the report's streams: fstatat(fd, "", AT_EMPTY_PATH). */
	ARG(__NR_newfstatat, 3, AT_EMPTY_PATH, AT_EMPTY_PATH), ANY(__NR_fstat), ANY(__NR_lseek),
	ANY(__NR_mincore), ARG_FD(__NR_unlinkat, 0, SC_MAIN_CTL_DIR_FD), ANY(__NR_gettid),
	ANY(__NR_getrandom), ANY(__NR_clock_nanosleep), ANY(__NR_exit_group),
	/* Teardown (blk_destroy): disks synced, then their OFD locks dropped before the close. */
	ANY(__NR_fdatasync), ARG(__NR_fcntl, 1, 0xffffffffu, F_OFD_SETLK),
	COMMON,
};

/* Building a VM (with --reboot=restart the main thread does it again): any ioctl (KVM,
 * BLKGETSIZE64, the terminal), files, eventfds, a ring, threads, signals, the socket. */
static const struct sc_rule setup_rules[] = {
	ANY(__NR_ioctl), ANY(__NR_openat), ANY(__NR_newfstatat), ANY(__NR_unlinkat),
	ANY(__NR_pread64), ANY(__NR_eventfd2),
	ANY(__NR_io_uring_setup), ANY(__NR_io_uring_register), ANY(__NR_io_uring_enter),
	/* pthread_create: clone3's flags sit behind a pointer seccomp cannot read, so it gets
	 * ENOSYS and glibc falls back to clone, whose flags must make a thread. */
	{ .nr = __NR_clone3, .enosys = true },
	ARG(__NR_clone, 0, CLONE_THREAD, CLONE_THREAD),
	ANY(__NR_set_robust_list), ANY(__NR_rseq),
	/* The new threads name themselves and install their own filters. */
	ARG(__NR_prctl, 0, 0xffffffffu, PR_SET_NO_NEW_PRIVS), ARG(__NR_prctl, 0, 0xffffffffu, PR_SET_NAME),
	ARG(__NR_seccomp, 0, 0xffffffffu, SECCOMP_SET_MODE_FILTER),
	ANY(__NR_rt_sigaction), ANY(__NR_signalfd4),
	ANY(__NR_socket), ANY(__NR_bind), ANY(__NR_listen), ANY(__NR_connect), ANY(__NR_setsockopt),
	ANY(__NR_fchmodat), ANY(__NR_renameat), ANY(__NR_renameat2), ANY(__NR_mkdirat),
	ANY(__NR_geteuid), ANY(__NR_getuid), ANY(__NR_sched_getaffinity), ANY(__NR_faccessat),
	ANY(__NR_readlinkat), ANY(__NR_fcntl), ANY(__NR_dup3), ANY(__NR_uname),
};

const struct sc_rule *seccomp_arch_rules(enum sc_role role, unsigned *n)
{
	switch (role) {
	case SC_ROLE_VCPU: *n = sizeof(vcpu_rules) / sizeof(vcpu_rules[0]); return vcpu_rules;
	case SC_ROLE_IO: *n = sizeof(io_rules) / sizeof(io_rules[0]); return io_rules;
	case SC_ROLE_MAIN: *n = sizeof(main_rules) / sizeof(main_rules[0]); return main_rules;
	case SC_ROLE_SETUP: *n = sizeof(setup_rules) / sizeof(setup_rules[0]); return setup_rules;
	case SC_ROLE_WRITER: *n = sizeof(writer_rules) / sizeof(writer_rules[0]); return writer_rules;
	default: *n = 0; return NULL;
	}
}

static const struct { int nr; const char *name; } syscall_names[] = {
#define N(x) { __NR_##x, #x }
	N(io_setup), N(getxattr), N(dup), N(dup3), N(fcntl), N(epoll_create1), N(epoll_ctl),
	N(epoll_pwait), N(inotify_init1), N(ioctl), N(flock), N(mknodat), N(mkdirat), N(unlinkat),
	N(symlinkat), N(linkat), N(renameat), N(umount2), N(mount), N(pivot_root), N(statfs),
	N(fstatfs), N(truncate), N(ftruncate), N(fallocate), N(faccessat), N(chdir), N(fchdir),
	N(chroot), N(fchmod), N(fchmodat), N(fchownat), N(fchown), N(openat), N(close),
	N(pipe2), N(getdents64), N(lseek), N(read), N(write), N(readv), N(writev), N(pread64),
	N(pwrite64), N(preadv), N(pwritev), N(sendfile), N(pselect6), N(ppoll), N(signalfd4),
	N(vmsplice), N(splice), N(tee), N(readlinkat), N(newfstatat), N(fstat), N(sync),
	N(fsync), N(fdatasync), N(timerfd_create), N(timerfd_settime), N(acct), N(capget),
	N(capset), N(personality), N(exit), N(exit_group), N(waitid), N(set_tid_address),
	N(unshare), N(futex), N(set_robust_list), N(get_robust_list), N(nanosleep),
	N(getitimer), N(setitimer), N(kexec_load), N(init_module), N(delete_module),
	N(timer_create), N(clock_settime), N(clock_gettime), N(clock_getres),
	N(clock_nanosleep), N(syslog), N(ptrace), N(sched_setparam), N(sched_setscheduler),
	N(sched_setaffinity), N(sched_getaffinity), N(sched_yield), N(restart_syscall),
	N(kill), N(tkill), N(tgkill), N(sigaltstack), N(rt_sigsuspend), N(rt_sigaction),
	N(rt_sigprocmask), N(rt_sigpending), N(rt_sigtimedwait), N(rt_sigqueueinfo),
	N(rt_sigreturn), N(setpriority), N(getpriority), N(reboot), N(setregid), N(setgid),
	N(setreuid), N(setuid), N(setresuid), N(getresuid), N(setresgid), N(getresgid),
	N(setfsuid), N(setfsgid), N(times), N(setpgid), N(getpgid), N(getsid), N(setsid),
	N(getgroups), N(setgroups), N(uname), N(sethostname), N(getrlimit), N(setrlimit),
	N(getrusage), N(umask), N(prctl), N(getcpu), N(gettimeofday), N(settimeofday),
	N(getpid), N(getppid), N(getuid), N(geteuid), N(getgid), N(getegid), N(gettid),
	N(sysinfo), N(msgget), N(semget), N(shmget), N(shmat), N(socket), N(socketpair), N(bind),
	N(listen), N(accept), N(connect), N(getsockname), N(getpeername), N(sendto),
	N(recvfrom), N(setsockopt), N(getsockopt), N(shutdown), N(sendmsg), N(recvmsg),
	N(readahead), N(brk), N(munmap), N(mremap), N(add_key), N(request_key), N(keyctl),
	N(clone), N(execve), N(mmap), N(swapon), N(swapoff), N(mprotect), N(msync), N(mlock),
	N(munlock), N(mincore), N(madvise), N(mbind), N(accept4), N(recvmmsg), N(wait4),
	N(prlimit64), N(name_to_handle_at), N(open_by_handle_at), N(syncfs), N(setns),
	N(sendmmsg), N(process_vm_readv), N(process_vm_writev), N(finit_module),
	N(sched_setattr), N(renameat2), N(seccomp), N(getrandom), N(memfd_create), N(bpf),
	N(execveat), N(userfaultfd), N(membarrier), N(mlock2), N(copy_file_range), N(preadv2),
	N(pwritev2), N(pkey_mprotect), N(statx), N(io_pgetevents), N(rseq), N(pidfd_send_signal),
	N(io_uring_setup), N(io_uring_enter), N(io_uring_register), N(open_tree), N(move_mount),
	N(fsopen), N(fsconfig), N(fsmount), N(fspick), N(pidfd_open), N(clone3), N(close_range),
	N(openat2), N(pidfd_getfd), N(faccessat2), N(process_madvise), N(epoll_pwait2),
	N(landlock_create_ruleset), N(eventfd2),
#undef N
};

const char *seccomp_arch_syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

/* x0-x5 are already the arguments; the seventh (x6) is the number, which goes in x8.
 * The label after svc is the return address the kernel reports as instruction_pointer. */
__asm__(".text\n"
	".p2align 2\n"
	".type seccomp_arch_syscall6, %function\n"
	".globl seccomp_arch_syscall6\n"
	"seccomp_arch_syscall6:\n"
	"	mov x8, x6\n"
	"	svc #0\n"
	"seccomp_arch_syscall6_ret:\n"
	"	ret\n"
	".size seccomp_arch_syscall6, . - seccomp_arch_syscall6\n");

uint64_t seccomp_arch_syscall6_pc(void)
{
	uint64_t pc;

	__asm__("adrp %0, seccomp_arch_syscall6_ret\n\tadd %0, %0, :lo12:seccomp_arch_syscall6_ret" : "=r"(pc));
	return pc;
}

void seccomp_arch_trapped(void *ucontext, long *nr, long args[6])
{
	const mcontext_t *mc = &((ucontext_t *)ucontext)->uc_mcontext;

	*nr = (long)mc->regs[8];
	for (int i = 0; i < 6; i++)
		args[i] = (long)mc->regs[i];
}

void seccomp_arch_set_return(void *ucontext, long ret)
{
	((ucontext_t *)ucontext)->uc_mcontext.regs[0] = (unsigned long)ret;
}
