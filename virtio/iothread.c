/* iothread.c - the io_uring event loop (liburing; multishot polls on eventfds). */
#include "iothread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../util.h"

#define IO_RING_ENTRIES 256
#define IO_MAX_WATCHES  64
/* At stop, how long requests already submitted may take to finish (then they are abandoned). */
#define IO_DRAIN_TIMEOUT_S 30

struct io_watch {
	int fd;
	io_fd_cb cb;
	void *arg;
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
	unsigned inflight;      /* io_ops submitted and not yet completed */
};

/* CQE user_data: an io_op pointer, or a watch pointer with bit 0 set (both are aligned). */
#define WATCH_TAG 1ULL

static void stop_cb(void *arg)
{
	((struct iothread *)arg)->stop = true;
}

int iothread_create(struct iothread **out, void (*fatal)(void *arg), void *fatal_arg)
{
	struct iothread *io = calloc(1, sizeof(*io));
	int ret;

	if (!io)
		return -ENOMEM;
	io->fatal = fatal;
	io->fatal_arg = fatal_arg;
	ret = io_uring_queue_init(IO_RING_ENTRIES, &io->ring, 0);
	if (ret < 0) {
		log_err("iothread: io_uring_queue_init: %s%s", strerror(-ret),
			ret == -ENOSYS ? " (this kernel has no io_uring; virtio devices need it)" : "");
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

int iothread_watch(struct iothread *io, int fd, io_fd_cb cb, void *arg)
{
	if (io->nr_watches >= IO_MAX_WATCHES || io->started)
		return -ENOSPC;
	io->watches[io->nr_watches++] = (struct io_watch){ fd, cb, arg };
	return 0;
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
	io_uring_prep_poll_multishot(sqe, w->fd, POLLIN);
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

	if (ud & WATCH_TAG) {
		struct io_watch *w = (struct io_watch *)(uintptr_t)(ud & ~WATCH_TAG);
		uint64_t n;

		if (cqe->res < 0 && cqe->res != -ECANCELED) {
			/* A poll that fails would fail again: re-arming would spin. */
			log_err("iothread: poll on fd %d failed: %s; its events are lost", w->fd,
				strerror(-cqe->res));
			io->failed = true;
			return;
		}
		/* Drain the counter (non-blocking eventfd) before running the callback. */
		if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			log_ratelimited("iothread: read of eventfd %d: %s", w->fd, strerror(errno));
		if (!(cqe->flags & IORING_CQE_F_MORE))
			arm_watch(io, w); /* the kernel ended the multishot poll: re-arm */
		w->cb(w->arg);
	} else if (ud) {
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
 * guest wrote reaches the disk before exit (SIGTERM included); bounded by IO_DRAIN_TIMEOUT_S. */
static void iothread_drain(struct iothread *io)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (io->inflight && !io->failed) {
		struct __kernel_timespec ts = { .tv_sec = 1 };

		iothread_step(io, &ts);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (io->inflight && t.tv_sec - t0.tv_sec >= IO_DRAIN_TIMEOUT_S) {
			log_err("iothread: %u disk requests still unfinished after %d s; exiting without them",
				io->inflight, IO_DRAIN_TIMEOUT_S);
			break;
		}
	}
}

static void *iothread_main(void *arg)
{
	struct iothread *io = arg;

	for (unsigned i = 0; i < io->nr_watches; i++)
		arm_watch(io, &io->watches[i]);
	while (!io->stop && !io->failed)
		iothread_step(io, NULL);
	iothread_drain(io);
	/* Devices without their I/O thread would hang the guest: stop the VM loudly. */
	if (io->failed && io->fatal)
		io->fatal(io->fatal_arg);
	return NULL;
}

int iothread_start(struct iothread *io)
{
	int ret = pthread_create(&io->thread, NULL, iothread_main, io);

	if (ret) {
		log_err("iothread: pthread_create: %s", strerror(ret));
		return -ret;
	}
	io->started = true;
	return 0;
}

void iothread_destroy(struct iothread *io)
{
	uint64_t one = 1;

	if (!io)
		return;
	if (io->started) {
		(void)!write(io->stop_fd, &one, sizeof(one));
		pthread_join(io->thread, NULL);
	}
	io_uring_queue_exit(&io->ring);
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	free(io);
}
