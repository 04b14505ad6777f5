/* outq.h - a bounded byte queue with a writer thread of its own: whoever queues output
 * (a vCPU, the I/O thread, the event loop) never waits on the fd's reader, however slow or
 * stalled (a terminal whose ssh session hangs, a FIFO, a log on a full or slow disk). What
 * does not fit is dropped and counted; a write error stops the queue and is reported once. */
#ifndef VMM_OUTQ_H
#define VMM_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outq;

/* Queue up to cap bytes for fd and start its writer thread (named name, under the seccomp
 * role for output writers); what is "stdout" or "--console-log" in messages, or NULL for
 * a queue that says nothing of itself (the log's own: its messages would go into it). */
int outq_create(struct outq **out, int fd, size_t cap, const char *name, const char *what);
/* Queue len bytes, never blocking on the writer; the bytes queued (the rest is dropped and
 * counted, or everything once a write failed). Any thread. */
size_t outq_put(struct outq *q, const void *buf, size_t len);
/* Wait at most timeout_ms until everything queued has been written; 0, -ETIMEDOUT, or the
 * -errno of the write that stopped the queue. */
int outq_flush(struct outq *q, int timeout_ms);
/* Bytes dropped so far: no room, or after a write error. */
uint64_t outq_dropped(struct outq *q);
/* Bytes queued and not yet written. */
size_t outq_pending(struct outq *q);
/* Flush for at most timeout_ms, say what was lost, stop the writer and free the queue;
 * true once the writer is gone (the caller may close the fd). A writer still blocked in
 * write() is left behind with its queue and fd (the process is exiting), and false returned:
 * nothing is freed under it. Safe on NULL. The fd is the caller's. */
bool outq_destroy(struct outq *q, int timeout_ms);

#endif
