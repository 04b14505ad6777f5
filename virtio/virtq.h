/* virtq.h - split virtqueues (virtio 1.2, section 2.7), safe against a hostile guest.
 *
 * Every descriptor is copied out of guest memory once, checked, then used.
 * A guest that breaks the rules (loops, chains longer than the queue,
 * out-of-range indices, nested or malformed indirect tables, buffers outside
 * RAM, lengths that wrap) gets the queue marked broken: the transport then
 * sets DEVICE_NEEDS_RESET. The VMM never crashes or touches host memory
 * outside guest RAM.
 */
#ifndef VMM_VIRTQ_H
#define VMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../util.h"

struct guest_mem;

#define VIRTQ_MAX_SIZE 256          /* largest queue size a device offers */
#define VIRTQ_MAX_CHAIN VIRTQ_MAX_SIZE

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
/* Ring flags (2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

struct virtq {
	const struct guest_mem *mem; /* guest RAM: every access goes through guest_mem_ptr() */
	uint16_t size;          /* queue size the driver chose: power of 2, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa;      /* descriptor table, 16 bytes per entry, 16-byte aligned */
	uint64_t avail_gpa;     /* driver area: flags, idx, ring[size], used_event; 2-byte aligned */
	uint64_t used_gpa;      /* device area: flags, idx, ring[size] of {id, len}, avail_event; 4-byte aligned */
	bool event_idx;         /* VIRTIO_F_EVENT_IDX negotiated */
	bool ready;             /* enabled by the driver and checked by virtq_enable */
	bool broken;            /* the guest broke the rules: no more processing until reset */
	uint16_t last_avail;    /* next avail ring index the device consumes */
	uint16_t used_idx;      /* device's copy of used->idx */
	uint16_t signalled_used; /* used_idx when the driver was last notified (event_idx) */
	bool signalled_valid;
	struct ratelimit rl;    /* "queue broken" lines of this queue; kept across resets */
};

/* One checked buffer segment of a chain: [gpa, gpa + len) lies inside guest RAM. */
struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;             /* device-writable (VIRTQ_DESC_F_WRITE) */
};

struct virtq_chain {
	uint16_t head;          /* descriptor index to return in the used ring */
	unsigned nr;            /* segments in bufs */
	unsigned nr_out;        /* leading device-readable segments; the rest are writable */
	uint64_t out_len, in_len; /* total readable / writable bytes */
	struct virtq_buf bufs[VIRTQ_MAX_CHAIN];
};

/* Check the ring addresses and size the driver programmed (alignment, inside RAM)
 * and mark the queue ready; 0 or -EINVAL (queue left not ready). */
int virtq_enable(struct virtq *q);
/* Forget all ring state (device reset / queue reset). Keeps mem. */
void virtq_reset(struct virtq *q);
/* Take the next available chain: 1 with *c filled, 0 if none is available,
 * -EINVAL if the guest broke the rules (q->broken is then set). */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Return a chain to the driver with the number of bytes written into it; 0 or -EINVAL. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);
/* After pushes: should the driver be interrupted (VIRTQ_AVAIL_F_NO_INTERRUPT / used_event)? */
bool virtq_should_notify(struct virtq *q);
/* Host iovecs for bytes [off, off + len) of a chain's readable (writable = false) or writable
 * segments, each checked against guest RAM; how many (<= max), or -EINVAL. */
int virtq_chain_iov(struct virtq *q, const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, unsigned max);
/* Copy len bytes from a chain's readable segments starting at byte offset off; 0 or -EINVAL. */
int virtq_chain_read(struct virtq *q, const struct virtq_chain *c, uint64_t off, void *dst, uint64_t len);
/* Copy len bytes into a chain's writable segments starting at byte offset off; 0 or -EINVAL. */
int virtq_chain_write(struct virtq *q, const struct virtq_chain *c, uint64_t off, const void *src, uint64_t len);

#endif
