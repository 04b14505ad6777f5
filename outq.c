/* outq.c - bounded output queues, each drained by a thread of its own (outq.h).
 *
 * The writer copies a chunk out under the lock and writes it without the lock, so a write
 * that blocks for ever (a stalled terminal) holds up only this thread: producers keep
 * queueing (and dropping past cap), and every other thread runs on. A failed write is not
 * followed by a close() here: closing is the owner's business, on the owner's thread
 * (a writer's seccomp list has no close). */
#include "outq.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "seccomp.h"
#include "util.h"

static const int blocked[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };

/* Bytes one write() takes at most: at most one such chunk is outside the queue. */
#define OUTQ_CHUNK 16384

struct outq {
	pthread_mutex_t lock;
	pthread_cond_t more;    /* bytes queued, or stop */
	pthread_cond_t idle;    /* the queue emptied, or the writer stopped */
	pthread_t thread;
	int fd;
	char name[16];
	const char *what;
	uint8_t *buf;
	size_t cap, head, len;
	size_t writing;         /* bytes taken out and being written */
	uint64_t dropped;
	int error;              /* errno of the write that stopped the queue, 0 */
	bool stop, done;        /* asked to stop; the writer has returned */
	struct ratelimit rl;
};

static void outq_write_chunk(struct outq *q, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(q->fd, p, n);

		if (w > 0) {
			p += w;
			n -= w;
		} else if (w < 0 && errno == EAGAIN) {
			/* A non-blocking fd: wait here, this thread is the only one that waits. */
			struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };

			(void)!poll(&pfd, 1, 1000);
		} else if (!(w < 0 && errno == EINTR)) {
			pthread_mutex_lock(&q->lock);
			q->error = w < 0 ? errno : EIO;
			pthread_mutex_unlock(&q->lock);
			return;
		}
	}
}

static void *outq_main(void *arg)
{
	struct outq *q = arg;
	uint8_t *chunk = malloc(OUTQ_CHUNK);
	bool reported = false;

	if (seccomp_thread_enter(SC_ROLE_WRITER, q->name, NULL, 0) || !chunk) {
		pthread_mutex_lock(&q->lock);
		q->error = chunk ? EPERM : ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&q->lock);
	for (;;) {
		size_t n;

		while (!q->len && !q->stop && !(q->error && !reported))
			pthread_cond_wait(&q->more, &q->lock);
		if (q->error && !reported) {
			/* Everything queued from here on is dropped; said once, from this thread. */
			int err = q->error;
			uint64_t lost = q->len + q->writing;

			q->dropped += q->len;
			q->len = q->writing = 0;
			reported = true;
			pthread_cond_broadcast(&q->idle);
			pthread_mutex_unlock(&q->lock);
			if (q->what)
				log_err("console: writing %s failed: %s; it gets no more output (%llu bytes lost)",
					q->what, strerror(err), (unsigned long long)lost);
			pthread_mutex_lock(&q->lock);
			continue;
		}
		if (!q->len)
			break; /* asked to stop, nothing left (after a failure nothing is ever queued) */
		n = q->cap - q->head;
		n = n < q->len ? n : q->len;
		n = n < OUTQ_CHUNK ? n : OUTQ_CHUNK;
		memcpy(chunk, q->buf + q->head, n);
		q->head = (q->head + n) % q->cap;
		q->len -= n;
		q->writing = n;
		pthread_mutex_unlock(&q->lock);
		outq_write_chunk(q, chunk, n);
		pthread_mutex_lock(&q->lock);
		q->writing = 0;
		if (!q->len)
			pthread_cond_broadcast(&q->idle);
	}
out:
	q->done = true;
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
	free(chunk);
	return NULL;
}

int outq_create(struct outq **out, int fd, size_t cap, const char *name, const char *what)
{
	struct outq *q = calloc(1, sizeof(*q));
	sigset_t all, old;
	int ret;

	if (!q || !(q->buf = malloc(cap))) {
		free(q);
		return -ENOMEM;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->idle, NULL);
	q->fd = fd;
	q->cap = cap;
	q->what = what;
	snprintf(q->name, sizeof(q->name), "%s", name);
	/* The process's signals blocked in the writer: SIGINT/SIGTERM/SIGHUP reach the event
	 * loop's signalfd only if no thread takes them (signalfd(2)); SIGUSR1 kicks vCPUs only. */
	sigemptyset(&all);
	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++)
		sigaddset(&all, blocked[i]);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&q->thread, NULL, outq_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		log_err("console: starting the %s writer: %s", what, strerror(-ret));
		free(q->buf);
		free(q);
		return ret;
	}
	*out = q;
	return 0;
}

size_t outq_put(struct outq *q, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t room, n, tail;
	uint64_t dropped = 0;

	pthread_mutex_lock(&q->lock);
	room = q->error || q->done ? 0 : q->cap - q->len;
	n = len < room ? len : room;
	tail = (q->head + q->len) % q->cap;
	for (size_t done = 0; done < n;) {
		size_t k = q->cap - tail < n - done ? q->cap - tail : n - done;

		memcpy(q->buf + tail, p + done, k);
		tail = (tail + k) % q->cap;
		done += k;
	}
	if (n && !q->len)
		pthread_cond_signal(&q->more);
	q->len += n;
	if (n < len) {
		q->dropped += len - n;
		if (!q->error)
			dropped = q->dropped; /* after a failure the writer already said it all */
	}
	pthread_mutex_unlock(&q->lock);
	/* Outside the lock: the log line is a write of its own. Per queue, so one flood
	 * cannot hide another's. */
	if (dropped && q->what && ratelimit_ok(&q->rl))
		log_warn("console: %s is not keeping up; %llu bytes of output dropped so far", q->what,
			(unsigned long long)dropped);
	return n;
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int outq_flush(struct outq *q, int timeout_ms)
{
	struct timespec deadline;
	int ret = 0;

	deadline_in(&deadline, timeout_ms);
	pthread_mutex_lock(&q->lock);
	while ((q->len || q->writing) && !q->error && !q->done && !ret)
		ret = pthread_cond_timedwait(&q->idle, &q->lock, &deadline) == ETIMEDOUT ? -ETIMEDOUT : 0;
	if (q->error)
		ret = -q->error;
	pthread_mutex_unlock(&q->lock);
	return ret;
}

uint64_t outq_dropped(struct outq *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t outq_pending(struct outq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->len + q->writing;
	pthread_mutex_unlock(&q->lock);
	return n;
}

bool outq_destroy(struct outq *q, int timeout_ms)
{
	struct timespec deadline;
	size_t left, discarded;
	bool done;

	if (!q)
		return true;
	outq_flush(q, timeout_ms);
	deadline_in(&deadline, 100);
	pthread_mutex_lock(&q->lock);
	/* What is still queued is given up: the writer finishes at most the chunk in hand. */
	q->stop = true;
	discarded = q->error ? 0 : q->len;
	q->dropped += q->len;
	left = q->len + q->writing;
	q->len = 0;
	pthread_cond_signal(&q->more);
	while (!q->done && pthread_cond_timedwait(&q->idle, &q->lock, &deadline) != ETIMEDOUT)
		;
	done = q->done;
	pthread_mutex_unlock(&q->lock);
	if (q->what && (!done || discarded))
		log_err("console: %zu bytes of output not written: %s is not reading", done ? discarded : left,
			q->what);
	if (!done)
		return false; /* blocked in write(): leave the thread, its queue and its fd */
	pthread_join(q->thread, NULL);
	free(q->buf);
	free(q);
	return true;
}
