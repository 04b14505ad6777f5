/* iothread.c - the io_uring event loop (liburing; multishot polls on eventfds).
 *
 * The ring is locked down before the thread starts (io_uring_register(2)): it is created
 * disabled (IORING_SETUP_R_DISABLED), gets its files registered, then restrictions (the four
 * opcodes used, IOSQE_FIXED_FILE required, no register opcode afterwards), and only then
 * is enabled. Seccomp sees io_uring_enter but not the operations behind it, and the kernel's
 * io-wq workers run them outside any filter: the ring's own restrictions are what keep a
 * compromised I/O thread to reads, writes and fsyncs of the registered files and polls. */
#include "iothread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../seccomp.h"
#include "../util.h"

#define IO_RING_ENTRIES 256
#define IO_MAX_WATCHES  64
#define IO_MAX_FILES    (IO_MAX_WATCHES + 16)
/* At stop, how long requests already submitted may take to finish (then they are abandoned,
 * and the process exits). VMM_DRAIN_TIMEOUT_S overrides it, for the tests (README). */
#define IO_DRAIN_TIMEOUT_S 30

struct io_watch {
	int fd;
	int index;              /* its fixed-file index */
	io_fd_cb cb;
	void *arg;
	bool input;             /* not an eventfd: the callback reads it (iothread_watch_input) */
};

struct iothread {
	struct io_uring ring;
	pthread_t thread;
	bool started, stop;
	bool failed;            /* the loop cannot go on: the VM is stopped */
	void (*fatal)(void *arg);
	void *fatal_arg;
	int stop_fd;
	struct io_watch watches[IO_MAX_WATCHES];
	unsigned nr_watches;
	int files[IO_MAX_FILES]; /* registered at start, in index order */
	unsigned nr_files;
	/* What the start-up checks of the restrictions saw (info io): -errno of each. */
	int check_register, check_nop;
	unsigned inflight;      /* io_ops submitted and not yet completed */
	unsigned drain_timeout_s;
	bool abandoned;         /* stopped with io_ops still in the kernel's hands */
};

/* CQE user_data: an io_op pointer, or a watch pointer with bit 0 set (both are aligned). */
#define WATCH_TAG 1ULL

int iothread_features_check(unsigned features, const char **missing)
{
	/* IORING_FEAT_EXT_ARG (Linux 5.11): io_uring_submit_and_wait_timeout passes its timeout
	 * to io_uring_enter. Without it liburing queues an IORING_OP_TIMEOUT sqe of its own,
	 * which the ring's restrictions refuse. IORING_POLL_ADD_MULTI (the eventfd watches)
	 * came in 5.13 with no feature flag; IORING_FEAT_RSRC_TAGS came in that release too. */
	static const struct { unsigned flag; const char *name; } need[] = {
		{ IORING_FEAT_EXT_ARG, "IORING_FEAT_EXT_ARG (Linux 5.11)" },
		{ IORING_FEAT_RSRC_TAGS, "IORING_FEAT_RSRC_TAGS, for multishot poll (Linux 5.13)" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(need); i++) {
		if (!(features & need[i].flag)) {
			*missing = need[i].name;
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

enum io_cqe_kind iothread_cqe_kind(uint64_t user_data)
{
	/* 0: the start-up NOP (ring_check reaps it itself). LIBURING_UDATA_TIMEOUT (all ones,
	 * bit 0 set): liburing's own timeout sqe, never ours; taken for a watch it would be a
	 * wild pointer. Only reachable without IORING_FEAT_EXT_ARG, which start refuses. */
	if (user_data == 0 || user_data == LIBURING_UDATA_TIMEOUT)
		return IO_CQE_FOREIGN;
	return (user_data & WATCH_TAG) ? IO_CQE_WATCH : IO_CQE_OP;
}

static void stop_cb(void *arg)
{
	((struct iothread *)arg)->stop = true;
}

/* IO_DRAIN_TIMEOUT_S, or VMM_DRAIN_TIMEOUT_S (1 to 3600) when set: a short one lets the
 * boot tests see a drain give up without waiting half a minute. */
static unsigned drain_timeout(void)
{
	const char *env = getenv("VMM_DRAIN_TIMEOUT_S");
	char *end;
	unsigned long v;

	if (!env || !*env)
		return IO_DRAIN_TIMEOUT_S;
	v = strtoul(env, &end, 10);
	if (*end || v < 1 || v > 3600) {
		log_warn("iothread: VMM_DRAIN_TIMEOUT_S=%s ignored (1 to 3600 seconds)", env);
		return IO_DRAIN_TIMEOUT_S;
	}
	return v;
}

int iothread_create(struct iothread **out, void (*fatal)(void *arg), void *fatal_arg)
{
	struct iothread *io = calloc(1, sizeof(*io));
	const char *missing;
	int ret;

	if (!io)
		return -ENOMEM;
	io->fatal = fatal;
	io->fatal_arg = fatal_arg;
	io->drain_timeout_s = drain_timeout();
	/* Disabled until iothread_start has registered the files and the restrictions. */
	ret = io_uring_queue_init(IO_RING_ENTRIES, &io->ring, IORING_SETUP_R_DISABLED);
	if (ret < 0) {
		log_err("iothread: io_uring_queue_init: %s%s", strerror(-ret),
			ret == -ENOSYS ? " (this kernel has no io_uring; virtio devices need it)" :
			ret == -EINVAL ? " (IORING_SETUP_R_DISABLED: virtio devices need Linux 5.13 or later)" : "");
		free(io);
		return ret;
	}
	ret = iothread_features_check(io->ring.features, &missing);
	if (ret) {
		log_err("iothread: this kernel's io_uring lacks %s: virtio devices need Linux 5.13 or later",
			missing);
		io_uring_queue_exit(&io->ring);
		free(io);
		return ret;
	}
	io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->stop_fd < 0 || iothread_watch(io, io->stop_fd, stop_cb, io)) {
		ret = -errno;
		iothread_destroy(io);
		return ret ? ret : -ENOMEM;
	}
	*out = io;
	return 0;
}

int iothread_register_file(struct iothread *io, int fd)
{
	if (io->nr_files >= IO_MAX_FILES || io->started)
		return -ENOSPC;
	io->files[io->nr_files] = fd;
	return io->nr_files++;
}

static int watch_add(struct iothread *io, int fd, io_fd_cb cb, void *arg, bool input)
{
	int index;

	if (io->nr_watches >= IO_MAX_WATCHES || io->started)
		return -ENOSPC;
	index = iothread_register_file(io, fd);
	if (index < 0)
		return index;
	io->watches[io->nr_watches++] = (struct io_watch){ fd, index, cb, arg, input };
	return 0;
}

int iothread_watch(struct iothread *io, int fd, io_fd_cb cb, void *arg)
{
	return watch_add(io, fd, cb, arg, false);
}

int iothread_watch_input(struct iothread *io, int fd, io_fd_cb cb, void *arg)
{
	return watch_add(io, fd, cb, arg, true);
}

static struct io_uring_sqe *ring_sqe(struct iothread *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	if (!sqe) {
		io_uring_submit(&io->ring); /* ring full: hand what we have to the kernel */
		sqe = io_uring_get_sqe(&io->ring);
	}
	return sqe;
}

static int arm_watch(struct iothread *io, struct io_watch *w)
{
	struct io_uring_sqe *sqe = ring_sqe(io);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, w->index, POLLIN);
	iothread_sqe_fixed(sqe);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)w | WATCH_TAG);
	return 0;
}

struct io_uring_sqe *iothread_sqe(struct iothread *io, struct io_op *op)
{
	struct io_uring_sqe *sqe = ring_sqe(io);

	if (sqe) {
		io_uring_sqe_set_data(sqe, op);
		io->inflight++;
	}
	return sqe;
}

static void handle_cqe(struct iothread *io, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	enum io_cqe_kind kind = iothread_cqe_kind(ud);

	if (kind == IO_CQE_FOREIGN) {
		if (ud)
			log_ratelimited("iothread: a completion of liburing's own (%s) ignored",
					strerror(-cqe->res));
		return;
	}
	if (kind == IO_CQE_WATCH) {
		struct io_watch *w = (struct io_watch *)(uintptr_t)(ud & ~WATCH_TAG);
		uint64_t n;

		if (cqe->res < 0 && cqe->res != -ECANCELED) {
			/* A poll that fails would fail again: re-arming would spin. */
			log_err("iothread: poll on fd %d failed: %s; its events are lost", w->fd,
				strerror(-cqe->res));
			io->failed = true;
			return;
		}
		/* Drain the counter (non-blocking eventfd) before running the callback; an input
		 * watch's fd is the callback's to read. */
		if (!w->input && read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			log_ratelimited("iothread: read of eventfd %d: %s", w->fd, strerror(errno));
		if (!(cqe->flags & IORING_CQE_F_MORE))
			arm_watch(io, w); /* the kernel ended the multishot poll: re-arm */
		w->cb(w->arg);
	} else {
		struct io_op *op = (struct io_op *)(uintptr_t)ud;

		io->inflight--;
		op->done(op->arg, cqe->res);
	}
}

/* Submit, wait for at least one completion (or the timeout), and handle what completed. */
static void iothread_step(struct iothread *io, struct __kernel_timespec *timeout)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int ret = timeout ? io_uring_submit_and_wait_timeout(&io->ring, &cqe, 1, timeout, NULL)
			  : io_uring_submit_and_wait(&io->ring, 1);

	if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN && ret != -ETIME) {
		log_err("iothread: io_uring_submit_and_wait: %s", strerror(-ret));
		io->failed = true;
	}
	io_uring_for_each_cqe(&io->ring, head, cqe) {
		handle_cqe(io, cqe);
		n++;
	}
	io_uring_cq_advance(&io->ring, n);
}

/* At stop (vCPUs already stopped): let the device I/O already submitted finish, so what the
 * guest wrote reaches the disk before exit (SIGTERM included); bounded by drain_timeout_s.
 * What is left then is abandoned: the kernel still owns it (iothread_destroy). */
static void iothread_drain(struct iothread *io)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (io->inflight && !io->failed) {
		struct __kernel_timespec ts = { .tv_sec = 1 };

		iothread_step(io, &ts);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (io->inflight && t.tv_sec - t0.tv_sec >= io->drain_timeout_s) {
			log_err("iothread: %u disk requests still unfinished after %u s; giving up on them",
				io->inflight, io->drain_timeout_s);
			break;
		}
	}
	io->abandoned = io->inflight != 0;
}

static void *iothread_main(void *arg)
{
	struct iothread *io = arg;

	if (seccomp_thread_enter(SC_ROLE_IO, "io", (const int[SC_IO_NR_FDS]){ io->ring.ring_fd }, SC_IO_NR_FDS)) {
		io->failed = true;
		io->stop = true;
	}
	for (unsigned i = 0; !io->stop && i < io->nr_watches; i++)
		arm_watch(io, &io->watches[i]);
	while (!io->stop && !io->failed)
		iothread_step(io, NULL);
	iothread_drain(io);
	/* Devices without their I/O thread would hang the guest: stop the VM loudly. */
	if (io->failed && io->fatal)
		io->fatal(io->fatal_arg);
	return NULL;
}

/* The sqe ops the devices use: readv, writev, fsync (virtio-blk), poll (eventfds). */
static const uint8_t allowed_ops[] = { IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_POLL_ADD };

/* After the restrictions: the ring must refuse a register opcode and an sqe opcode we did
 * not allow. What it answered is kept for info io; anything but EACCES stops the VM. */
static int ring_check(struct iothread *io)
{
	struct io_uring_probe *probe = calloc(1, sizeof(*probe) + 256 * sizeof(struct io_uring_probe_op));
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	if (!probe)
		return -ENOMEM;
	io->check_register = io_uring_register_probe(&io->ring, probe, 256);
	free(probe);
	sqe = io_uring_get_sqe(&io->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 0);
	ret = io_uring_submit_and_wait(&io->ring, 1);
	if (ret >= 0)
		ret = io_uring_peek_cqe(&io->ring, &cqe);
	if (ret < 0)
		return ret;
	io->check_nop = cqe->res;
	io_uring_cqe_seen(&io->ring, cqe);
	if (io->check_register != -EACCES || io->check_nop != -EACCES) {
		log_err("iothread: io_uring restrictions not in force (register probe: %s, nop: %s)",
			strerror(-io->check_register), strerror(-io->check_nop));
		return -EPERM;
	}
	return 0;
}

/* liburing 2.3's shared library lacks io_uring_register_restrictions and _enable_rings
 * (the unit tests link it): the raw call, 0 or -errno. */
static int ring_register(struct iothread *io, unsigned op, const void *arg, unsigned n)
{
	return syscall(__NR_io_uring_register, io->ring.ring_fd, op, arg, n) < 0 ? -errno : 0;
}

/* io_uring_register(2): files, then restrictions, then enable: only a disabled ring takes
 * restrictions, and from enabling on every sqe and register call is checked against them. */
static int ring_lock_down(struct iothread *io)
{
	struct io_uring_restriction res[ARRAY_SIZE(allowed_ops) + 2];
	unsigned n = 0;
	int ret;

	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < ARRAY_SIZE(allowed_ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = allowed_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	ret = io_uring_register_files(&io->ring, io->files, io->nr_files);
	if (ret < 0) {
		log_err("iothread: io_uring_register_files (%u files): %s", io->nr_files, strerror(-ret));
		return ret;
	}

	ret = ring_register(io, IORING_REGISTER_RESTRICTIONS, res, n);
	if (ret < 0) {
		log_err("iothread: IORING_REGISTER_RESTRICTIONS: %s%s", strerror(-ret),
			ret == -EINVAL ? " (needs Linux 5.10 or later)" : "");
		return ret;
	}
	ret = ring_register(io, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (ret < 0) {
		log_err("iothread: IORING_REGISTER_ENABLE_RINGS: %s", strerror(-ret));
		return ret;
	}
	return ring_check(io);
}

void iothread_describe(struct iothread *io, struct strbuf *out)
{
	unsigned eventfds = 0;

	sb_printf(out, "ring: %u entries, created IORING_SETUP_R_DISABLED, enabled after its restrictions\n",
		  io->ring.sq.ring_entries);
	for (unsigned i = 0; i < io->nr_watches; i++)
		eventfds += !io->watches[i].input;
	/* Device files: disk images, and the taps (polled, iothread_watch_input). */
	sb_printf(out, "fixed files: %u (eventfds %u, device files %u); every sqe must use IOSQE_FIXED_FILE\n",
		  io->nr_files, eventfds, io->nr_files - eventfds);
	sb_printf(out, "sqe opcodes allowed: readv writev fsync poll_add; register opcodes allowed: none\n");
	sb_printf(out, "checked at start: register probe -> %s, nop sqe -> %s\n",
		  io->check_register == -EACCES ? "EACCES (refused)" : strerror(-io->check_register),
		  io->check_nop == -EACCES ? "EACCES (refused)" : strerror(-io->check_nop));
}

int iothread_start(struct iothread *io)
{
	int ret = ring_lock_down(io);

	if (ret)
		return ret;
	ret = pthread_create(&io->thread, NULL, iothread_main, io);
	if (ret) {
		log_err("iothread: pthread_create: %s", strerror(ret));
		return -ret;
	}
	io->started = true;
	return 0;
}

int iothread_destroy(struct iothread *io)
{
	uint64_t one = 1;

	if (!io)
		return 0;
	if (io->started) {
		(void)!write(io->stop_fd, &one, sizeof(one));
		pthread_join(io->thread, NULL);
	}
	/* Requests the drain gave up on are still running in the kernel (an io-wq worker in a
	 * read of a hung disk): the ring, its files and the buffers they name stay until the
	 * process exits, when the kernel waits for them (io_uring_cancel_generic). */
	if (io->abandoned)
		return -EBUSY;
	/* The kernel drops the ring's registered files later, from a worker, so a disk image
	 * stays open a while after this: blk_destroy unlocks it before its close. (Unregistering
	 * them here would wait forever on the armed multishot polls.) */
	io_uring_queue_exit(&io->ring);
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	free(io);
	return 0;
}
