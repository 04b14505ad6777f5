/* Unit tests: the seccomp-BPF programs (seccomp.c, arch/arm64/seccomp_arch.c), built for real
 * and run on synthetic struct seccomp_data by a small classic-BPF interpreter, as the kernel
 * would run them (Documentation/userspace-api/seccomp_filter.rst). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_tun.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

#include "../../seccomp.h"

#define MAX_INSNS 4096

static struct sock_filter prog[MAX_INSNS];
static int prog_len;

/* Classic BPF as seccomp allows it: A, absolute word loads from seccomp_data, AND, JEQ/JGT/
 * JGE/JSET with constants, JA and RET. Anything else fails the test. */
static uint32_t run(const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (int pc = 0; pc < prog_len; pc++) {
		const struct sock_filter *f = &prog[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(f->k + 4 <= sizeof(*d) && f->k % 4 == 0);
			memcpy(&a, (const char *)d + f->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K: a &= f->k; break;
		case BPF_JMP | BPF_JA: pc += f->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += a & f->k ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return f->k;
		default: fail_msg("instruction %d: opcode 0x%x", pc, f->code);
		}
	}
	fail_msg("the program ran off its end");
	return 0;
}

static void build(enum sc_role role, bool restart, const int *fds, unsigned nfds)
{
	prog_len = seccomp_build_program(role, restart, fds, nfds, prog, MAX_INSNS);
	assert_true(prog_len > 0);
}

/* What the program answers for call nr with arguments a0..a3 (the rest 0). */
static uint32_t call(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_AARCH64,
				  .args = { a0, a1, a2, a3 } };

	return run(&d);
}

#define ALLOW SECCOMP_RET_ALLOW
#define TRAP SECCOMP_RET_TRAP

static const int vcpu_fds[SC_VCPU_NR_FDS] = { [SC_VCPU_FD] = 11, [SC_VCPU_VM_FD] = 5 };
static const int main_fds[SC_MAIN_NR_FDS] = {
	[SC_MAIN_VM_FD] = 5, [SC_MAIN_GIC_FD] = 9, [SC_MAIN_ITS_FD] = 10, [SC_MAIN_CTL_DIR_FD] = 20,
	[SC_MAIN_CTL_LISTEN_FD] = 21, [SC_MAIN_TTY_FD] = 0,
};
static const int io_fds[SC_IO_NR_FDS] = { [SC_IO_RING_FD] = 7 };

static void test_arch_checked_first(void **state)
{
	struct seccomp_data d = { .nr = __NR_write, .arch = AUDIT_ARCH_ARM };

	(void)state;
	build(SC_ROLE_VCPU, false, vcpu_fds, SC_VCPU_NR_FDS);
	assert_int_equal(prog[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(prog[0].k, offsetof(struct seccomp_data, arch));
	assert_int_equal(run(&d), SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(call(__NR_write, 1, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_execve, 0, 0, 0, 0), TRAP);
}

static void test_vcpu_own_fd(void **state)
{
	(void)state;
	build(SC_ROLE_VCPU, false, vcpu_fds, SC_VCPU_NR_FDS);
	assert_int_equal(call(__NR_ioctl, 11, KVM_RUN, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 12, KVM_RUN, 0, 0), TRAP);
	/* Only the low 32 bits of an fd count (the kernel ignores the rest). */
	assert_int_equal(call(__NR_ioctl, 0x100000000ull | 11, KVM_RUN, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 11, KVM_SET_VCPU_EVENTS, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 11, KVM_CREATE_VCPU, 0, 0), TRAP);
	/* No executable mappings, on any thread. */
	assert_int_equal(call(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, 0), ALLOW);
	assert_int_equal(call(__NR_mmap, 0, 4096, PROT_READ | PROT_EXEC, 0), TRAP);
}

/* An fd the thread does not have (-1, or past its array) allows nothing. */
static void test_missing_fd_allows_nothing(void **state)
{
	const int none[SC_VCPU_NR_FDS] = { -1 };

	(void)state;
	build(SC_ROLE_VCPU, false, none, SC_VCPU_NR_FDS);
	assert_int_equal(call(__NR_ioctl, 0xffffffffu, KVM_RUN, 0, 0), TRAP);
	build(SC_ROLE_VCPU, false, NULL, 0);
	assert_int_equal(call(__NR_ioctl, 0, KVM_RUN, 0, 0), TRAP);
	assert_int_equal(call(__NR_write, 1, 0, 0, 0), ALLOW);
}

/* Issue 11 (d): what MMIO exits do to the VM goes to the VM fd only. */
static void test_vcpu_vm_ioctls_on_the_vm_fd(void **state)
{
	static const unsigned long reqs[] = { KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD,
					      KVM_SIGNAL_MSI, KVM_IRQ_LINE };

	(void)state;
	build(SC_ROLE_VCPU, false, vcpu_fds, SC_VCPU_NR_FDS);
	for (unsigned i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		assert_int_equal(call(__NR_ioctl, 5, reqs[i], 0, 0), ALLOW);
		assert_int_equal(call(__NR_ioctl, 6, reqs[i], 0, 0), TRAP);
		assert_int_equal(call(__NR_ioctl, 11, reqs[i], 0, 0), TRAP);
	}
	assert_int_equal(call(__NR_ioctl, 5, KVM_RUN, 0, 0), TRAP);
	assert_int_equal(call(__NR_openat, AT_FDCWD, 0, O_RDONLY, 0), TRAP);
}

/* Issue 11 (d): after setup the main thread opens nothing, removes only in the control
 * directory, accepts only on its socket, and reaches the vGIC, the ITS, the VM and the
 * terminal each on its own fd. */
static void test_main_after_setup(void **state)
{
	int no_its[SC_MAIN_NR_FDS];

	(void)state;
	build(SC_ROLE_MAIN, false, main_fds, SC_MAIN_NR_FDS);
	assert_int_equal(call(__NR_openat, AT_FDCWD, 0, O_RDONLY, 0), TRAP);
	assert_int_equal(call(__NR_openat, 20, 0, O_WRONLY | O_CREAT, 0), TRAP);
	assert_int_equal(call(__NR_unlinkat, 20, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_unlinkat, (uint32_t)AT_FDCWD, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_unlinkat, 21, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_accept4, 21, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_accept4, 22, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 9, KVM_GET_DEVICE_ATTR, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 10, KVM_GET_DEVICE_ATTR, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 10, KVM_SET_DEVICE_ATTR, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 9, KVM_SET_DEVICE_ATTR, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 5, KVM_GET_DEVICE_ATTR, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 5, KVM_IRQ_LINE, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 5, KVM_SIGNAL_MSI, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 9, KVM_IRQ_LINE, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 5, KVM_SET_GSI_ROUTING, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 5, KVM_CREATE_DEVICE, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 0, TCSETS, 0, 0), ALLOW);
	assert_int_equal(call(__NR_ioctl, 3, TCSETS, 0, 0), TRAP);
	/* fstat of a stream, not stat of a path. */
	assert_int_equal(call(__NR_newfstatat, 3, 0, 0, AT_EMPTY_PATH), ALLOW);
	assert_int_equal(call(__NR_newfstatat, (uint32_t)AT_FDCWD, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_clone, CLONE_THREAD, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_socket, 1, 1, 0, 0), TRAP);
	/* No ITS: nothing reaches fd -1. */
	memcpy(no_its, main_fds, sizeof(no_its));
	no_its[SC_MAIN_ITS_FD] = -1;
	build(SC_ROLE_MAIN, false, no_its, SC_MAIN_NR_FDS);
	assert_int_equal(call(__NR_ioctl, 0xffffffffu, KVM_GET_DEVICE_ATTR, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 9, KVM_GET_DEVICE_ATTR, 0, 0), ALLOW);
}

static void test_io_ring_fd(void **state)
{
	(void)state;
	build(SC_ROLE_IO, false, io_fds, SC_IO_NR_FDS);
	assert_int_equal(call(__NR_io_uring_enter, 7, 1, 0, 0), ALLOW);
	assert_int_equal(call(__NR_io_uring_enter, 8, 1, 0, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 7, KVM_RUN, 0, 0), TRAP);
	/* virtio-net's data path: readv and writev on the tap; nothing opens or ioctls one. */
	assert_int_equal(call(__NR_readv, 9, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_writev, 9, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_openat, AT_FDCWD, 0, O_RDWR, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 9, TUNSETIFF, 0, 0), TRAP);
}

/* --reboot=restart: the main thread's union builds a VM (any fd, setup calls). */
static void test_restart_union(void **state)
{
	(void)state;
	build(SC_ROLE_MAIN, true, main_fds, SC_MAIN_NR_FDS);
	assert_int_equal(call(__NR_ioctl, 42, KVM_RUN, 0, 0), ALLOW);
	assert_int_equal(call(__NR_openat, AT_FDCWD, 0, O_RDONLY, 0), ALLOW);
	assert_int_equal(call(__NR_clone, CLONE_THREAD | CLONE_VM, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_io_uring_enter, 42, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_clone, 0, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_execve, 0, 0, 0, 0), TRAP);
}

/* glibc's allocator runs on every thread: a new arena (sched_getaffinity), realloc past the
 * mmap threshold (mremap), and its fatal-error report (writev). Issue 11 (a): the main thread
 * died on mremap growing a large `info gic all` reply. */
static void test_allocator_everywhere(void **state)
{
	static const long nrs[] = { __NR_mremap, __NR_sched_getaffinity, __NR_writev, __NR_brk,
				    __NR_munmap, __NR_madvise };
	static const struct { enum sc_role role; bool restart; const int *fds; unsigned n; } t[] = {
		{ SC_ROLE_VCPU, false, vcpu_fds, SC_VCPU_NR_FDS },
		{ SC_ROLE_IO, false, io_fds, SC_IO_NR_FDS },
		{ SC_ROLE_MAIN, false, main_fds, SC_MAIN_NR_FDS },
		{ SC_ROLE_MAIN, true, main_fds, SC_MAIN_NR_FDS },
		{ SC_ROLE_WRITER, false, NULL, 0 },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		build(t[i].role, t[i].restart, t[i].fds, t[i].n);
		for (unsigned j = 0; j < sizeof(nrs) / sizeof(nrs[0]); j++)
			if (call(nrs[j], 0, 4096, 8192, MREMAP_MAYMOVE) != ALLOW)
				fail_msg("role %d%s: syscall %ld trapped", t[i].role, t[i].restart ? " (restart)" : "",
					 nrs[j]);
	}
}

/* The console's output writers (outq.c) write and wait, nothing else: a failed write is
 * reported, and the fd is closed by its owner on the main thread. Issue 11 (1): a failed
 * --console-log write used to close() on a vCPU thread, whose list has no close. */
static void test_writer_role(void **state)
{
	(void)state;
	build(SC_ROLE_WRITER, false, NULL, 0);
	assert_int_equal(call(__NR_write, 1, 0, 16, 0), ALLOW);
	assert_int_equal(call(__NR_ppoll, 0, 1, 0, 0), ALLOW);
	assert_int_equal(call(__NR_futex, 0, 0, 0, 0), ALLOW);
	assert_int_equal(call(__NR_close, 1, 0, 0, 0), TRAP);
	assert_int_equal(call(__NR_openat, AT_FDCWD, 0, O_RDONLY, 0), TRAP);
	assert_int_equal(call(__NR_ioctl, 5, KVM_RUN, 0, 0), TRAP);
	/* No vCPU or I/O thread needs close either: output errors never lead there. */
	build(SC_ROLE_VCPU, false, vcpu_fds, SC_VCPU_NR_FDS);
	assert_int_equal(call(__NR_close, 1, 0, 0, 0), TRAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch_checked_first),
		cmocka_unit_test(test_vcpu_own_fd),
		cmocka_unit_test(test_missing_fd_allows_nothing),
		cmocka_unit_test(test_vcpu_vm_ioctls_on_the_vm_fd),
		cmocka_unit_test(test_main_after_setup),
		cmocka_unit_test(test_io_ring_fd),
		cmocka_unit_test(test_restart_union),
		cmocka_unit_test(test_allocator_everywhere),
		cmocka_unit_test(test_writer_role),
	};
	return cmocka_run_group_tests_name("seccomp", tests, NULL, NULL);
}
