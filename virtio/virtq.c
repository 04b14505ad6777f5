/* virtq.c - split virtqueues (virtio 1.2, section 2.7), checked against a hostile guest. */
#include "virtq.h"

#include <errno.h>
#include <string.h>

#include "../mem.h"
#include "../util.h"

/* Guest layouts (virtio 1.2, 2.7.5, 2.7.6, 2.7.8); all little-endian, as is the host. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

#define DESC_SIZE       16u
#define AVAIL_IDX       2u  /* offset of idx in the avail and used rings */
#define RING_OFF        4u  /* offset of ring[] after flags and idx */
#define USED_ELEM_SIZE  8u

_Static_assert(sizeof(struct vring_desc) == DESC_SIZE, "virtq_desc is 16 bytes");
_Static_assert(sizeof(struct vring_used_elem) == USED_ELEM_SIZE, "virtq_used_elem is 8 bytes");

/* Keeps the compiler from re-reading guest memory instead of the local copy. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

/* One chain walk: where the buffers go and how many descriptors were seen. */
struct chain_walk {
	struct virtq *q;
	struct virtq_chain *c;
	unsigned visited;
	bool seen_write;
};

static uint64_t avail_bytes(uint16_t size)
{
	return RING_OFF + 2 * (uint64_t)size + 2; /* flags, idx, ring, used_event */
}

static uint64_t used_bytes(uint16_t size)
{
	return RING_OFF + USED_ELEM_SIZE * (uint64_t)size + 2; /* flags, idx, ring, avail_event */
}

static uint64_t used_event_gpa(const struct virtq *q)
{
	return q->avail_gpa + RING_OFF + 2 * (uint64_t)q->size;
}

static uint64_t avail_event_gpa(const struct virtq *q)
{
	return q->used_gpa + RING_OFF + USED_ELEM_SIZE * (uint64_t)q->size;
}

/* The guest is wrong: stop using the queue until reset (the transport reports NEEDS_RESET). */
static int queue_break(struct virtq *q, const char *why, uint64_t val)
{
	q->broken = true;
	log_ratelimited_obj(&q->rl, "virtq: %s (%#llx), queue broken until reset", why,
			    (unsigned long long)val);
	return -EINVAL;
}

/*
 * A ring u16 (2-byte aligned as the ring is), resolved afresh on every access.
 * Callers use one __atomic access on it so the driver's concurrent writes are
 * read exactly once.
 */
static uint16_t *guest_u16(struct virtq *q, uint64_t gpa)
{
	return guest_mem_ptr(q->mem, gpa, sizeof(uint16_t));
}

static bool rings_valid(const struct virtq *q)
{
	uint16_t n = q->size;

	/* Alignment: virtio 1.2, 2.7 (desc 16, avail 2, used 4 bytes). */
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return false;
	if (!IS_ALIGNED(q->desc_gpa, 16) || !IS_ALIGNED(q->avail_gpa, 2) || !IS_ALIGNED(q->used_gpa, 4))
		return false;
	return guest_mem_ptr(q->mem, q->desc_gpa, DESC_SIZE * (uint64_t)n) &&
	       guest_mem_ptr(q->mem, q->avail_gpa, avail_bytes(n)) &&
	       guest_mem_ptr(q->mem, q->used_gpa, used_bytes(n));
}

int virtq_enable(struct virtq *q)
{
	q->ready = false;
	if (!q->mem || !rings_valid(q))
		return -EINVAL;
	q->last_avail = 0;
	q->used_idx = 0;
	q->broken = false;
	q->signalled_valid = false;
	q->ready = true;
	return 0;
}

void virtq_reset(struct virtq *q)
{
	const struct guest_mem *mem = q->mem;
	/* The budget outlives the reset: a guest that breaks and resets a queue in a loop
	 * would otherwise get a fresh budget each time. */
	struct ratelimit rl = q->rl;

	memset(q, 0, sizeof(*q));
	q->mem = mem;
	q->rl = rl;
}

/* Copy descriptor idx of a table out of guest memory once; only the copy is used. */
static int read_desc(struct chain_walk *w, uint64_t table_gpa, unsigned idx, struct vring_desc *d)
{
	const void *p = guest_mem_ptr(w->q->mem, table_gpa + (uint64_t)idx * DESC_SIZE, DESC_SIZE);

	if (!p)
		return queue_break(w->q, "descriptor outside RAM", table_gpa);
	memcpy(d, p, sizeof(*d));
	compiler_barrier();
	return 0;
}

/* Record one buffer segment after checking it lies in RAM and keeps readable-before-writable. */
static int add_buf(struct chain_walk *w, const struct vring_desc *d)
{
	struct virtq_chain *c = w->c;
	struct virtq_buf *b = &c->bufs[c->nr];
	bool write = d->flags & VIRTQ_DESC_F_WRITE;

	if (d->len && d->addr > UINT64_MAX - d->len)
		return queue_break(w->q, "buffer address + length wraps", d->addr);
	if (d->len && !guest_mem_ptr(w->q->mem, d->addr, d->len))
		return queue_break(w->q, "buffer outside RAM", d->addr);
	/* virtio 1.2, 2.7.4.2: device-writable descriptors come after device-readable ones. */
	if (!write && w->seen_write)
		return queue_break(w->q, "readable descriptor after writable", d->addr);
	w->seen_write |= write;
	*b = (struct virtq_buf){ .gpa = d->addr, .len = d->len, .write = write };
	c->nr++;
	if (write) {
		c->in_len += d->len;
	} else {
		c->nr_out++;
		c->out_len += d->len;
	}
	return 0;
}

static int walk_table(struct chain_walk *w, uint64_t table_gpa, unsigned entries, uint16_t idx, bool indirect);

/* virtio 1.2, 2.7.5.3: one table per chain, only at its end, and never nested. */
static int walk_indirect(struct chain_walk *w, const struct vring_desc *d, bool indirect)
{
	if (indirect)
		return queue_break(w->q, "indirect descriptor inside an indirect table", d->addr);
	/* 2.7.5.3.1: the driver MUST NOT set both INDIRECT and NEXT. */
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return queue_break(w->q, "indirect descriptor with NEXT set", d->addr);
	if (d->len == 0 || d->len % DESC_SIZE || d->len / DESC_SIZE > VIRTQ_MAX_CHAIN)
		return queue_break(w->q, "bad indirect table length", d->len);
	if (!guest_mem_ptr(w->q->mem, d->addr, d->len))
		return queue_break(w->q, "indirect table outside RAM", d->addr);
	/* The table's first descriptor is its entry 0; next indices are relative to it. */
	return walk_table(w, d->addr, d->len / DESC_SIZE, 0, true);
}

/*
 * Follow a chain from idx through a table of entries descriptors. Counting
 * every descriptor against the queue size ends loops: a chain may not be
 * longer than the queue (virtio 1.2, 2.7.5.3.1).
 */
static int walk_table(struct chain_walk *w, uint64_t table_gpa, unsigned entries, uint16_t idx, bool indirect)
{
	struct vring_desc d;
	int ret;

	for (;;) {
		if (idx >= entries && indirect)
			return queue_break(w->q, "indirect next outside its table", idx);
		if (idx >= entries)
			return queue_break(w->q, "next index >= queue size", idx);
		if (++w->visited > w->q->size || w->visited > VIRTQ_MAX_CHAIN)
			return queue_break(w->q, "chain longer than the queue (loop?)", w->visited);
		ret = read_desc(w, table_gpa, idx, &d);
		if (ret)
			return ret;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return walk_indirect(w, &d, indirect);
		ret = add_buf(w, &d);
		if (ret || !(d.flags & VIRTQ_DESC_F_NEXT))
			return ret;
		idx = d.next;
	}
}

/* How many chains the driver has made available; virtio 1.2, 2.7.6 (idx only grows). */
static int avail_pending(struct virtq *q, uint16_t *pending)
{
	uint16_t *p = guest_u16(q, q->avail_gpa + AVAIL_IDX);
	uint16_t idx;

	if (!p)
		return queue_break(q, "avail ring outside RAM", q->avail_gpa);
	/* Acquire pairs with the driver's release of avail->idx: ring and descriptors are read after it. */
	idx = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	*pending = (uint16_t)(idx - q->last_avail);
	if (*pending > q->size)
		return queue_break(q, "avail idx more than queue size ahead", idx);
	return 0;
}

static int read_head(struct virtq *q, uint16_t *head)
{
	uint64_t slot = q->avail_gpa + RING_OFF + 2 * (uint64_t)(q->last_avail & (q->size - 1));
	uint16_t *p = guest_u16(q, slot);

	if (!p)
		return queue_break(q, "avail ring outside RAM", slot);
	*head = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (*head >= q->size)
		return queue_break(q, "head index >= queue size", *head);
	return 0;
}

static int publish_avail_event(struct virtq *q)
{
	uint16_t *event = guest_u16(q, avail_event_gpa(q));

	if (!event)
		return queue_break(q, "used ring outside RAM", q->used_gpa);
	__atomic_store_n(event, q->last_avail, __ATOMIC_RELAXED);
	return 0;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	struct chain_walk w = { .q = q, .c = c };
	uint16_t pending, head;
	int ret;

	if (q->broken)
		return -EINVAL;
	if (!q->ready)
		return 0;
	ret = avail_pending(q, &pending);
	if (!ret && !pending && q->event_idx) {
		/* 2.7.10: going idle, ask for a kick at the next buffer (avail_event), then look
		 * again: the driver may have added one before it saw the new avail_event. */
		ret = publish_avail_event(q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!ret)
			ret = avail_pending(q, &pending);
	}
	if (ret || !pending)
		return ret;
	ret = read_head(q, &head);
	if (ret)
		return ret;
	c->head = head;
	c->nr = c->nr_out = 0;
	c->out_len = c->in_len = 0;
	ret = walk_table(&w, q->desc_gpa, q->size, head, false);
	if (ret)
		return ret;
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem elem = { .id = head, .len = written };
	uint64_t slot;
	uint16_t *idx, *event;
	void *p;

	if (!q->ready || q->broken || head >= q->size)
		return -EINVAL;
	slot = q->used_gpa + RING_OFF + USED_ELEM_SIZE * (uint64_t)(q->used_idx & (q->size - 1));
	p = guest_mem_ptr(q->mem, slot, sizeof(elem));
	idx = guest_u16(q, q->used_gpa + AVAIL_IDX);
	event = guest_u16(q, avail_event_gpa(q));
	if (!p || !idx || !event)
		return -EINVAL;
	memcpy(p, &elem, sizeof(elem));
	/* virtio 1.2, 2.7.10: tell the driver how far we consumed (avail_event). */
	if (q->event_idx)
		__atomic_store_n(event, q->last_avail, __ATOMIC_RELAXED);
	/* 2.7.8.2: the element (with len) must be visible before used->idx moves. */
	q->used_idx++;
	__atomic_store_n(idx, q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

/* Linux's vring_need_event: did used idx pass event going from old to new? */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t *flags, *event, old;
	bool valid;

	if (!q->ready)
		return false;
	flags = guest_u16(q, q->avail_gpa);
	event = guest_u16(q, used_event_gpa(q));
	/* Unreachable after virtq_enable; a spurious interrupt is harmless (2.7.7.1). */
	if (!flags || !event)
		return true;
	/* Order our used->idx store before reading the driver's suppression fields. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* virtio 1.2, 2.7.7.2: without EVENT_IDX only avail->flags counts. */
	if (!q->event_idx)
		return !(__atomic_load_n(flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* With EVENT_IDX the flags are ignored and used_event decides. */
	old = q->signalled_used;
	valid = q->signalled_valid;
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	return !valid || need_event(__atomic_load_n(event, __ATOMIC_RELAXED), q->used_idx, old);
}

static uint64_t segs_len(const struct virtq_chain *c, unsigned first, unsigned count)
{
	uint64_t total = 0;
	unsigned i;

	for (i = first; i < first + count; i++)
		total += c->bufs[i].len;
	return total;
}

static bool chain_sane(const struct virtq_chain *c)
{
	return c->nr <= VIRTQ_MAX_CHAIN && c->nr_out <= c->nr;
}

int virtq_chain_iov(struct virtq *q, const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, unsigned max)
{
	unsigned first, count, n = 0;
	uint64_t total;

	if (!chain_sane(c))
		return -EINVAL;
	first = writable ? c->nr_out : 0;
	count = writable ? c->nr - c->nr_out : c->nr_out;
	total = segs_len(c, first, count);
	if (off > total || len > total - off)
		return -EINVAL;
	for (unsigned i = first; i < first + count && len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		uint64_t take;
		void *g;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		take = b->len - off < len ? b->len - off : len;
		/* Re-resolved on every use: never trust a pointer kept from virtq_pop. */
		g = guest_mem_ptr(q->mem, b->gpa + off, take);
		if (!g || n == max)
			return -EINVAL;
		iov[n++] = (struct iovec){ g, take };
		len -= take;
		off = 0;
	}
	return n;
}

/* Copy between host memory and [off, off + len) of the readable or writable segments. */
static int chain_copy(struct virtq *q, const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		      uint8_t *to_host, const uint8_t *from_host)
{
	struct iovec iov[VIRTQ_MAX_CHAIN];
	int n = virtq_chain_iov(q, c, writable, off, len, iov, VIRTQ_MAX_CHAIN);

	for (int i = 0; i < n; i++) {
		if (to_host) {
			memcpy(to_host, iov[i].iov_base, iov[i].iov_len);
			to_host += iov[i].iov_len;
		} else {
			memcpy(iov[i].iov_base, from_host, iov[i].iov_len);
			from_host += iov[i].iov_len;
		}
	}
	return n < 0 ? n : 0;
}

int virtq_chain_read(struct virtq *q, const struct virtq_chain *c, uint64_t off, void *dst, uint64_t len)
{
	if (!chain_sane(c) || (len && !dst))
		return -EINVAL;
	return chain_copy(q, c, false, off, len, dst, NULL);
}

int virtq_chain_write(struct virtq *q, const struct virtq_chain *c, uint64_t off, const void *src, uint64_t len)
{
	if (!chain_sane(c) || (len && !src))
		return -EINVAL;
	return chain_copy(q, c, true, off, len, NULL, src);
}
