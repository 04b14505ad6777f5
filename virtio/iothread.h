/* iothread.h - the I/O thread: one io_uring that waits on eventfds (queue kicks, INTx
 * resamples) and completes device I/O, so no vCPU thread ever blocks on a disk. */
#ifndef VMM_IOTHREAD_H
#define VMM_IOTHREAD_H

#include <liburing.h>

struct iothread;
struct strbuf;

/* Called on the I/O thread when a watched eventfd fired (its counter already drained). */
typedef void (*io_fd_cb)(void *arg);
/* Called on the I/O thread when a request completes; res is the CQE result (bytes or -errno). */
typedef void (*io_done_cb)(void *arg, int res);

/* Embed in a request and pass to iothread_submit; must live until done runs. */
struct io_op {
	io_done_cb done;
	void *arg;
};

/* Does a ring with these io_uring_params features have what the I/O thread needs? 0, or
 * -EOPNOTSUPP with *missing naming the first feature lacking (and its Linux release). */
int iothread_features_check(unsigned features, const char **missing);
/* What a CQE's user_data is: one of our io_ops, one of our eventfd watches, or nothing of
 * ours (0, or liburing's internal LIBURING_UDATA_TIMEOUT): ignored. */
enum io_cqe_kind { IO_CQE_OP, IO_CQE_WATCH, IO_CQE_FOREIGN };
enum io_cqe_kind iothread_cqe_kind(uint64_t user_data);

/* Set up the ring; fatal(arg) runs if the loop has to give up. -ENOSYS (logged) when the
 * kernel has no io_uring, -EOPNOTSUPP (logged) when it is older than Linux 5.13. */
int iothread_create(struct iothread **out, void (*fatal)(void *arg), void *fatal_arg);
/* Register fd as a fixed file of the ring (before iothread_start): its index for SQEs, or
 * -ENOSPC. The ring takes no other file: sqes name files by index, with iothread_sqe_fixed. */
int iothread_register_file(struct iothread *io, int fd);
/* Watch an eventfd (before iothread_start; registers it). 0 or -ENOSPC. */
int iothread_watch(struct iothread *io, int fd, io_fd_cb cb, void *arg);
/* Watch any readable fd (a tap) for POLLIN without reading it: cb reads what it wants, and
 * the poll fires again on the next wake-up of the fd (new input), not while input it left
 * waits (before iothread_start; registers it). 0 or -ENOSPC. */
int iothread_watch_input(struct iothread *io, int fd, io_fd_cb cb, void *arg);
/* A free submission entry, on the I/O thread only; flushes the ring when full. NULL if stuck. */
struct io_uring_sqe *iothread_sqe(struct iothread *io, struct io_op *op);
/* After io_uring_prep_*(sqe, index, ...): the file is a registered index (the ring refuses
 * any sqe without IOSQE_FIXED_FILE). */
static inline void iothread_sqe_fixed(struct io_uring_sqe *sqe)
{
	sqe->flags |= IOSQE_FIXED_FILE;
}
/* Register the files, restrict and enable the ring, check it refuses the rest, start the
 * thread; 0 or -errno (logged). */
int iothread_start(struct iothread *io);
/* The ring's restrictions and the start-up checks, for info io. */
void iothread_describe(struct iothread *io, struct strbuf *out);
/* Stop and join the thread (it drains submitted requests first, bounded), then free
 * everything: 0. -EBUSY when requests were still in the kernel at the drain's end: then
 * nothing is freed, and guest RAM and the registered files must stay until the process
 * exits. Safe on NULL and before start. */
int iothread_destroy(struct iothread *io);

#endif
