/* fake_vm.c - the fuzz targets' stand-ins: KVM at ioctl() (tests/fake/kvm_ioctl.c, set
 * accept-all here; linked with -Wl,--wrap=ioctl),
 * the io_uring I/O thread, and a VM with guest RAM but no KVM behind it. */
#include "fuzz.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../../arch/arm64/arch.h"
#include "../../devices/pci.h"
#include "../../devices/uart.h"
#include "../fake/test_env.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../seccomp.h"
#include "../../util.h"
#include "../../virtio/iothread.h"
#include "../../virtio/virtio.h"

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

/* ---- logging (linked with -Wl,--wrap=log_at, the one function every level goes
 * through): formatted, then dropped ---- */

void __real_log_at(enum log_level level, const char *fmt, ...);
void __wrap_log_at(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Millions of inputs, many of them errors: printing each would be most of the run time.
 * The message is still formatted, so ASan checks its arguments. VMM_FUZZ_LOG=1 shows them. */
void __wrap_log_at(enum log_level level, const char *fmt, ...)
{
	static int show = -1;
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (show < 0)
		show = getenv("VMM_FUZZ_LOG") != NULL;
	if (show)
		__real_log_at(level, "%s", line);
}

/* ---- input reader ---- */

size_t fin_bytes(struct fuzz_in *in, void *buf, size_t len)
{
	size_t n = len < in->n ? len : in->n;

	memcpy(buf, in->p, n);
	memset((uint8_t *)buf + n, 0, len - n);
	in->p += n;
	in->n -= n;
	return n;
}

uint8_t fin_u8(struct fuzz_in *in)
{
	uint8_t v;

	fin_bytes(in, &v, sizeof(v));
	return v;
}

uint16_t fin_u16(struct fuzz_in *in)
{
	uint8_t b[2];

	fin_bytes(in, b, sizeof(b));
	return (uint16_t)le_load(b, 2);
}

uint32_t fin_u32(struct fuzz_in *in)
{
	uint8_t b[4];

	fin_bytes(in, b, sizeof(b));
	return (uint32_t)le_load(b, 4);
}

uint64_t fin_u64(struct fuzz_in *in)
{
	uint8_t b[8];

	fin_bytes(in, b, sizeof(b));
	return le_load(b, 8);
}

/* ---- KVM: tests/fake/kvm_ioctl.c, accept-all: every KVM ioctl succeeds without a kernel ---- */

bool fake_kvm_accept_all = true;

/* ---- the I/O thread: watches recorded, submissions queued until the target completes them ---- */

#define FAKE_IO_WATCHES 64
#define FAKE_IO_QUEUE   1024

struct fake_sub {
	struct io_uring_sqe sqe;
	struct io_op *op;
};

struct iothread {
	struct { int fd; io_fd_cb cb; void *arg; } watches[FAKE_IO_WATCHES];
	unsigned nr_watches;
	struct fake_sub q[FAKE_IO_QUEUE];
	unsigned head, count;
	int files[FAKE_IO_WATCHES];     /* fixed files: index -> fd, as the real ring registers them */
	unsigned nr_files;
};

static struct iothread the_io;

struct iothread *fake_io(void)
{
	return &the_io;
}

int iothread_create(struct iothread **out, void (*fatal)(void *arg), void *fatal_arg)
{
	(void)fatal, (void)fatal_arg;
	memset(&the_io, 0, sizeof(the_io));
	*out = &the_io;
	return 0;
}

int iothread_watch(struct iothread *io, int fd, io_fd_cb cb, void *arg)
{
	if (io->nr_watches >= FAKE_IO_WATCHES)
		return -ENOSPC;
	io->watches[io->nr_watches].fd = fd;
	io->watches[io->nr_watches].cb = cb;
	io->watches[io->nr_watches++].arg = arg;
	return 0;
}

int iothread_watch_input(struct iothread *io, int fd, io_fd_cb cb, void *arg)
{
	return iothread_watch(io, fd, cb, arg); /* fake_io_fire runs it alike */
}

int iothread_register_file(struct iothread *io, int fd)
{
	if (io->nr_files >= FAKE_IO_WATCHES)
		return -ENOSPC;
	io->files[io->nr_files] = fd;
	return io->nr_files++;
}

void iothread_describe(struct iothread *io, struct strbuf *out)
{
	sb_printf(out, "fake I/O thread: %u fixed files, %u requests queued\n", io->nr_files, io->count);
}

/* No filters in the fuzzers: the harness runs on x86_64 and is not the VMM's threads. */
bool seccomp_enabled(void)
{
	return false;
}

int seccomp_thread_enter(enum sc_role role, const char *name, const int *fds, unsigned nfds)
{
	(void)role, (void)name, (void)fds, (void)nfds;
	return 0;
}

struct io_uring_sqe *iothread_sqe(struct iothread *io, struct io_op *op)
{
	struct fake_sub *s;

	if (io->count == FAKE_IO_QUEUE)
		return NULL; /* as the real one does when the ring stays full */
	s = &io->q[(io->head + io->count++) % FAKE_IO_QUEUE];
	memset(s, 0, sizeof(*s));
	s->op = op;
	return &s->sqe;
}

int iothread_start(struct iothread *io)
{
	(void)io;
	return 0;
}

int iothread_destroy(struct iothread *io)
{
	if (io)
		memset(io, 0, sizeof(*io));
	return 0;
}

bool fake_io_fire(struct iothread *io, int fd)
{
	for (unsigned i = 0; i < io->nr_watches; i++) {
		if (io->watches[i].fd == fd) {
			io->watches[i].cb(io->watches[i].arg);
			return true;
		}
	}
	return false;
}

/* What the kernel would do for one SQE: the iovecs must lie in memory we own (ASan checks). */
static int fake_io_do(const struct iothread *io, const struct io_uring_sqe *sqe)
{
	const struct iovec *iov = (const struct iovec *)(uintptr_t)sqe->addr;
	int fd = sqe->fd;
	ssize_t n;

	/* Every sqe must name a registered file, as the real ring's restrictions demand. */
	if (!(sqe->flags & IOSQE_FIXED_FILE) || fd < 0 || (unsigned)fd >= io->nr_files)
		abort();
	fd = io->files[fd];
	switch (sqe->opcode) {
	case IORING_OP_READV:
		n = preadv(fd, iov, sqe->len, sqe->off);
		break;
	case IORING_OP_WRITEV:
		n = pwritev(fd, iov, sqe->len, sqe->off);
		break;
	case IORING_OP_FSYNC:
		n = fdatasync(fd);
		break;
	default:
		abort(); /* the device model asked for an operation the fake does not know */
	}
	return n < 0 ? -errno : (int)n;
}

unsigned fake_io_complete(struct iothread *io, unsigned max, bool fail)
{
	unsigned done = 0;

	while (io->count && done < max) {
		struct fake_sub s = io->q[io->head];

		io->head = (io->head + 1) % FAKE_IO_QUEUE;
		io->count--;
		/* The done callback may submit more: it sees the queue already advanced. */
		s.op->done(s.op->arg, fail ? -EIO : fake_io_do(io, &s.sqe));
		done++;
	}
	return done;
}

unsigned fake_io_pending(const struct iothread *io)
{
	return io->count;
}

/* ---- files ---- */

const char *fake_file(const void *data, size_t size, int *fd_out)
{
	static char path[64];
	int fd = memfd_create("vmm-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (size && write_full(fd, data, size)) {
		close(fd);
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	*fd_out = fd;
	return path;
}

/* ---- the VM ---- */

static const struct irqchip_ops *gic_ops_of(enum fake_gic gic)
{
	switch (gic) {
	case FAKE_GICV2M: return &gicv2m_ops;
	case FAKE_GICV2: return &gicv2_ops;
	default: return &gicv3_ops;
	}
}

/* MPIDR as KVM gives them: Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12]. */
static uint64_t fake_mpidr(unsigned id)
{
	return 0x80000000ULL | ((id >> 12) & 0xffULL) << 16 | ((id >> 4) & 0xffULL) << 8 | (id & 0xf);
}

static void fake_vcpus(struct vm *vm, unsigned nr)
{
	vm->nr_vcpus = nr;
	vm->vcpus = nr ? calloc(nr, sizeof(*vm->vcpus)) : NULL;
	for (unsigned i = 0; vm->vcpus && i < nr; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].fd = 2000 + i; /* never a real fd: the wrapper answers KVM requests */
		vm->vcpus[i].mpidr = fake_mpidr(i);
	}
	/* No vCPU threads: count them parked, so vm_pause returns at once. */
	vm->nr_parked = nr;
}

struct vm *fake_vm_create(uint64_t ram_size, enum fake_gic gic, unsigned nr_vcpus)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	static struct vm_config default_cfg;

	if (!vm)
		abort();
	memset(&fake_kvm, 0, sizeof(fake_kvm));
	mmio_bus_init(&vm->mmio);
	vm->cfg = &default_cfg;
	vm->kvm_fd = 999;
	vm->vm_fd = 1000;
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->boot.kernel_fd = vm->boot.initrd_fd = -1;
	atomic_init(&vm->exit_code, -1);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	vm->mem.gpa = FAKE_RAM_GPA;
	vm->mem.size = ram_size;
	vm->mem.hva = ram_size ? calloc(1, ram_size) : NULL;
	fake_vcpus(vm, nr_vcpus);
	test_env_irqchip(vm, gic_ops_of(gic), gic == FAKE_GICV3_ITS);
	vm->irq.routing.msi_devid = gic == FAKE_GICV3_ITS;
	iothread_create(&vm->io, NULL, NULL);
	test_env_init(vm);
	if ((ram_size && !vm->mem.hva) || (nr_vcpus && !vm->vcpus) || vm->event_fd < 0 ||
	    (gic == FAKE_GICV2M && gicv2m_create(&vm->irq)) || test_env_pci_create(vm))
		abort();
	return vm;
}

void fake_vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_virtio; i++)
		virtio_destroy(vm->virtio[i]);
	uart_destroy(vm->uart);
	test_env_pci_destroy(vm);
	gicv2m_destroy(&vm->irq);
	close(vm->event_fd);
	free(vm->vcpus);
	free(vm->mem.hva);
	free(vm);
}
