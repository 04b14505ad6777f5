/* fuzz_virtq.c - the split virtqueue walker (virtio/virtq.c) against a guest that writes
 * anything into its descriptor table, avail ring and indices, in any order.
 *
 * Input: a header (queue size, ring addresses, EVENT_IDX), then a program of operations,
 * each an opcode byte and its operands, run against 64 KiB of fake guest RAM.
 */
#include <stdlib.h>
#include <string.h>

#include "../../util.h"
#include "../../virtio/virtq.h"
#include "fuzz.h"

#define RAM_SIZE 0x10000u
#define MAX_OPS  256

/* A guest address: mostly inside RAM, sometimes anywhere (bit 0 of the selector). */
static uint64_t pick_gpa(struct fuzz_in *in)
{
	uint8_t how = fin_u8(in);

	if (how & 1)
		return fin_u64(in);
	return FAKE_RAM_GPA + fin_u16(in) % (RAM_SIZE + 0x40);
}

static void setup_queue(struct virtq *q, struct vm *vm, struct fuzz_in *in)
{
	uint8_t sz = fin_u8(in);

	virtq_reset(q);
	q->mem = &vm->mem;
	/* Mostly a power of two up to 256; the top bit tries any 16-bit size. */
	q->size = (sz & 0x80) ? fin_u16(in) : (uint16_t)(1u << (sz % 9));
	q->desc_gpa = pick_gpa(in);
	q->avail_gpa = pick_gpa(in);
	q->used_gpa = pick_gpa(in);
	if (virtq_enable(q) == 0) {
		/* Accepted rings lie in RAM with the alignment virtio 1.2, 2.7 asks for. */
		FUZZ_CHECK(q->size && q->size <= VIRTQ_MAX_SIZE && !(q->size & (q->size - 1)));
		FUZZ_CHECK(guest_mem_ptr(&vm->mem, q->desc_gpa, 16ULL * q->size));
		FUZZ_CHECK(IS_ALIGNED(q->desc_gpa, 16) && IS_ALIGNED(q->avail_gpa, 2) && IS_ALIGNED(q->used_gpa, 4));
	}
	q->event_idx = sz & 0x40;
}

/* Every segment of a chain virtq_pop returns lies wholly in guest RAM. */
static void check_chain(struct vm *vm, const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t out = 0, in = 0;

	FUZZ_CHECK(c->nr <= VIRTQ_MAX_CHAIN && c->nr <= q->size && c->nr_out <= c->nr);
	FUZZ_CHECK(c->head < q->size);
	for (unsigned i = 0; i < c->nr; i++) {
		const struct virtq_buf *b = &c->bufs[i];

		FUZZ_CHECK(b->len == 0 || guest_mem_ptr(&vm->mem, b->gpa, b->len));
		FUZZ_CHECK(b->write == (i >= c->nr_out));
		if (b->write)
			in += b->len;
		else
			out += b->len;
	}
	FUZZ_CHECK(out == c->out_len && in == c->in_len);
}

/* Every iovec points into guest RAM. */
static void check_iov(struct vm *vm, const struct iovec *iov, int n, uint64_t len)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++) {
		const uint8_t *b = iov[i].iov_base;

		FUZZ_CHECK(b >= vm->mem.hva && iov[i].iov_len <= vm->mem.size &&
			   (uint64_t)(b - vm->mem.hva) <= vm->mem.size - iov[i].iov_len);
		total += iov[i].iov_len;
	}
	FUZZ_CHECK(total == len);
}

/* Read, write and map parts of a popped chain as a device model would, then return it. */
static void use_chain(struct vm *vm, struct virtq *q, struct virtq_chain *c, struct fuzz_in *in)
{
	uint64_t off = fin_u16(in), len = fin_u16(in);
	struct iovec iov[8];
	bool writable = fin_u8(in) & 1;
	uint16_t head;
	uint8_t *buf = malloc(len ? len : 1); /* exact size: ASan catches an overrun */
	int n;

	if (!buf)
		abort();
	memset(buf, 0x5a, len);
	if (virtq_chain_read(q, c, off, buf, len) == 0)
		FUZZ_CHECK(off + len <= c->out_len);
	if (virtq_chain_write(q, c, off, buf, len) == 0)
		FUZZ_CHECK(off + len <= c->in_len);
	n = virtq_chain_iov(q, c, writable, off, len, iov, ARRAY_SIZE(iov));
	if (n >= 0)
		check_iov(vm, iov, n, len);
	free(buf);
	/* Mostly the chain's own head; sometimes another index. */
	head = fin_u8(in) & 1 ? fin_u16(in) : c->head;
	virtq_push(q, head, fin_u32(in));
}

/* Guest side: put bytes somewhere in RAM (descriptors, rings, indices, data). */
static void guest_write(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off = fin_u16(in) % RAM_SIZE;
	uint8_t len = fin_u8(in) % 33, tmp[32];

	if (len > RAM_SIZE - off)
		len = RAM_SIZE - off;
	fin_bytes(in, tmp, len);
	memcpy(vm->mem.hva + off, tmp, len);
}

/* Guest side: one whole descriptor at index idx of the queue's table. */
static void guest_desc(struct vm *vm, const struct virtq *q, struct fuzz_in *in)
{
	uint8_t d[16];
	uint64_t gpa = q->desc_gpa + 16ULL * fin_u8(in);
	void *p;

	le_store(d, 8, pick_gpa(in));
	le_store(d + 8, 4, fin_u8(in) & 1 ? fin_u32(in) : fin_u8(in));
	le_store(d + 12, 2, fin_u8(in) & 7);
	le_store(d + 14, 2, fin_u16(in));
	p = guest_mem_ptr(&vm->mem, gpa, sizeof(d));
	if (p)
		memcpy(p, d, sizeof(d));
}

/* Guest side: make head available and bump avail->idx, as a driver does (any alignment:
 * the queue need not have been accepted). */
static void guest_avail(struct vm *vm, const struct virtq *q, struct fuzz_in *in)
{
	uint8_t *idx = guest_mem_ptr(&vm->mem, q->avail_gpa + 2, 2), *slot;
	uint16_t i;

	if (!idx || !q->size)
		return;
	i = (uint16_t)le_load(idx, 2);
	slot = guest_mem_ptr(&vm->mem, q->avail_gpa + 4 + 2ULL * (i % q->size), 2);
	if (slot)
		le_store(slot, 2, fin_u16(in) % (q->size + 1));
	le_store(idx, 2, (uint16_t)(i + 1));
}

static void step(struct vm *vm, struct virtq *q, struct virtq_chain *c, struct fuzz_in *in)
{
	uint16_t head;
	int ret;

	switch (fin_u8(in) % 8) {
	case 0: guest_write(vm, in); break;
	case 1: guest_desc(vm, q, in); break;
	case 2: guest_avail(vm, q, in); break;
	case 3:
	case 4:
		ret = virtq_pop(q, c);
		FUZZ_CHECK(ret >= -22 && ret <= 1);
		if (ret < 0)
			FUZZ_CHECK(q->broken);
		if (ret == 1) {
			check_chain(vm, q, c);
			use_chain(vm, q, c, in);
		}
		break;
	case 5: virtq_should_notify(q); break;
	case 6: setup_queue(q, vm, in); break;
	case 7:
		head = fin_u16(in);
		virtq_push(q, head, fin_u32(in));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain chain;
	static struct vm *vm;
	struct fuzz_in in = { data, size };
	struct virtq q;

	/* One VM for the whole run; each input starts from zeroed RAM. */
	if (!vm)
		vm = fake_vm_create(RAM_SIZE, FAKE_GICV3_ITS, 0);
	memset(vm->mem.hva, 0, RAM_SIZE);
	setup_queue(&q, vm, &in);
	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(vm, &q, &chain, &in);
	return 0;
}
