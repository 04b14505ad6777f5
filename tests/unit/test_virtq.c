/* Unit tests: split virtqueues (virtio/virtq.c) against good and hostile rings in a fake guest RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../mem.h"
#include "../../util.h"
#include "../../virtio/virtq.h"

#define RAM_GPA   0x40000000ULL
#define RAM_SIZE  SZ_1M
#define RAM_END   (RAM_GPA + RAM_SIZE)
#define DESC_GPA  (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x1000)
#define USED_GPA  (RAM_GPA + 0x2000)
#define TABLE_GPA (RAM_GPA + 0x4000)   /* indirect tables */
#define TABLE2_GPA (RAM_GPA + 0x8000)
#define DATA_GPA  (RAM_GPA + 0x10000)  /* buffers */

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct guest_mem mem; /* the queue's view of guest RAM: no struct vm needed */
static struct virtq q;
static struct virtq_chain chain;

static uint8_t *hva(uint64_t gpa)
{
	return ram + (gpa - RAM_GPA);
}

static void put16(uint64_t gpa, uint16_t v)
{
	memcpy(hva(gpa), &v, sizeof(v));
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, hva(gpa), sizeof(v));
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, hva(gpa), sizeof(v));
	return v;
}

/* Write descriptor idx of the table at table_gpa, as the driver would. */
static void set_desc(uint64_t table_gpa, unsigned idx, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = hva(table_gpa + 16 * (uint64_t)idx);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* Driver side: put head in the next avail slot and bump avail->idx. */
static void avail_add(uint16_t head)
{
	uint16_t idx = get16(AVAIL_GPA + 2);

	put16(AVAIL_GPA + 4 + 2 * (uint64_t)(idx % q.size), head);
	put16(AVAIL_GPA + 2, idx + 1);
}

static void used_elem(unsigned slot, uint32_t *id, uint32_t *len)
{
	uint64_t gpa = USED_GPA + 4 + 8 * (uint64_t)slot;

	*id = get32(gpa);
	*len = get32(gpa + 4);
}

static void program_queue(uint16_t size, bool event_idx)
{
	virtq_reset(&q);
	q.size = size;
	q.desc_gpa = DESC_GPA;
	q.avail_gpa = AVAIL_GPA;
	q.used_gpa = USED_GPA;
	q.event_idx = event_idx;
}

/* Fresh zeroed RAM and an enabled queue of the given size. */
static void setup_queue(uint16_t size, bool event_idx)
{
	memset(ram, 0, sizeof(ram));
	mem = (struct guest_mem){ .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	memset(&q, 0, sizeof(q));
	q.mem = &mem;
	program_queue(size, event_idx);
	assert_int_equal(virtq_enable(&q), 0);
	assert_true(q.ready);
}

/* The queue must refuse the pending chain, stay refused, and not consume anything. */
static void assert_broken(void)
{
	uint16_t last = q.last_avail;

	assert_int_equal(virtq_pop(&q, &chain), -EINVAL);
	assert_true(q.broken);
	assert_int_equal(virtq_pop(&q, &chain), -EINVAL);
	assert_int_equal(q.last_avail, last);
}

static void assert_buf(unsigned i, uint64_t gpa, uint32_t len, bool write)
{
	assert_int_equal(chain.bufs[i].gpa, gpa);
	assert_int_equal(chain.bufs[i].len, len);
	assert_int_equal(chain.bufs[i].write, write);
}

static void test_good_chain_roundtrip(void **state)
{
	uint32_t id, len;

	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 0x100, VIRTQ_DESC_F_NEXT, 3);
	set_desc(DESC_GPA, 3, DATA_GPA + 0x1000, 0x20, VIRTQ_DESC_F_NEXT, 5);
	set_desc(DESC_GPA, 5, DATA_GPA + 0x2000, 0x200, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);

	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.head, 0);
	assert_int_equal(chain.nr, 3);
	assert_int_equal(chain.nr_out, 2);
	assert_int_equal(chain.out_len, 0x120);
	assert_int_equal(chain.in_len, 0x200);
	assert_buf(0, DATA_GPA, 0x100, false);
	assert_buf(1, DATA_GPA + 0x1000, 0x20, false);
	assert_buf(2, DATA_GPA + 0x2000, 0x200, true);
	assert_int_equal(q.last_avail, 1);
	assert_int_equal(virtq_pop(&q, &chain), 0);

	assert_int_equal(virtq_push(&q, 0, 0x50), 0);
	assert_int_equal(get16(USED_GPA + 2), 1);
	used_elem(0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0x50);
	assert_false(q.broken);
}

static void test_empty_and_not_ready(void **state)
{
	(void)state;
	setup_queue(8, false);
	assert_int_equal(virtq_pop(&q, &chain), 0);
	assert_int_equal(q.last_avail, 0);
	/* A queue the driver has not enabled has nothing to pop and takes no pushes. */
	avail_add(0);
	virtq_reset(&q);
	assert_int_equal(virtq_pop(&q, &chain), 0);
	assert_int_equal(virtq_push(&q, 0, 0), -EINVAL);
	assert_false(virtq_should_notify(&q));
}

static void test_several_chains_in_order(void **state)
{
	static const uint16_t heads[] = { 2, 0, 1 };
	uint32_t id, len;
	unsigned i;

	(void)state;
	setup_queue(4, false);
	for (i = 0; i < 3; i++) {
		set_desc(DESC_GPA, heads[i], DATA_GPA + 0x100 * i, 10 + i, VIRTQ_DESC_F_WRITE, 0);
		avail_add(heads[i]);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(&q, &chain), 1);
		assert_int_equal(chain.head, heads[i]);
		assert_int_equal(chain.nr, 1);
		assert_int_equal(chain.nr_out, 0);
		assert_int_equal(chain.in_len, 10 + i);
	}
	assert_int_equal(virtq_pop(&q, &chain), 0);
	/* Completion order is the device's choice. */
	assert_int_equal(virtq_push(&q, 1, 7), 0);
	assert_int_equal(virtq_push(&q, 2, 8), 0);
	used_elem(0, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 7);
	used_elem(1, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(len, 8);
	assert_int_equal(get16(USED_GPA + 2), 2);
}

static void test_index_wrap(void **state)
{
	unsigned i;

	(void)state;
	/* Free-running u16 indices (virtio 1.2, 2.7.6): ring slot = idx mod size, across 65535 -> 0. */
	setup_queue(4, false);
	q.last_avail = q.used_idx = 0xfffe;
	put16(AVAIL_GPA + 2, 0xfffe);
	set_desc(DESC_GPA, 3, DATA_GPA, 4, 0, 0);
	for (i = 0; i < 4; i++)
		avail_add(3);
	assert_int_equal(get16(AVAIL_GPA + 2), 2);
	for (i = 0; i < 4; i++) {
		assert_int_equal(virtq_pop(&q, &chain), 1);
		assert_int_equal(virtq_push(&q, chain.head, 0), 0);
	}
	assert_int_equal(virtq_pop(&q, &chain), 0);
	assert_int_equal(q.last_avail, 2);
	assert_int_equal(get16(USED_GPA + 2), 2);
}

static void test_full_ring_accepted(void **state)
{
	unsigned i;

	(void)state;
	/* avail idx exactly size ahead is a full ring, not an error. */
	setup_queue(8, false);
	for (i = 0; i < 8; i++) {
		set_desc(DESC_GPA, i, DATA_GPA, 1, 0, 0);
		avail_add(i);
	}
	for (i = 0; i < 8; i++)
		assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(virtq_pop(&q, &chain), 0);
}

static void test_indirect_good(void **state)
{
	(void)state;
	setup_queue(8, false);
	/* A direct readable descriptor, then one indirect table ends the chain (2.7.5.3.2). */
	set_desc(DESC_GPA, 4, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 6);
	set_desc(DESC_GPA, 6, TABLE_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA + 0x100, 32, VIRTQ_DESC_F_NEXT, 2);
	set_desc(TABLE_GPA, 2, DATA_GPA + 0x200, 64, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(TABLE_GPA, 1, DATA_GPA + 0x300, 1, VIRTQ_DESC_F_WRITE, 0);
	avail_add(4);
	/* A chain that is only an indirect table. */
	set_desc(DESC_GPA, 0, TABLE2_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE2_GPA, 0, DATA_GPA + 0x400, 8, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);

	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.head, 4);
	assert_int_equal(chain.nr, 4);
	assert_int_equal(chain.nr_out, 2);
	assert_int_equal(chain.out_len, 48);
	assert_int_equal(chain.in_len, 65);
	assert_buf(0, DATA_GPA, 16, false);
	assert_buf(1, DATA_GPA + 0x100, 32, false);
	assert_buf(2, DATA_GPA + 0x200, 64, true);
	assert_buf(3, DATA_GPA + 0x300, 1, true);

	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.head, 0);
	assert_int_equal(chain.nr, 1);
	assert_buf(0, DATA_GPA + 0x400, 8, true);
	assert_false(q.broken);
}

static void test_chain_length_limit(void **state)
{
	(void)state;
	/* A chain exactly as long as the queue is fine (virtio 1.2, 2.7.5.3.1). */
	setup_queue(4, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 2);
	set_desc(DESC_GPA, 2, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 3);
	set_desc(DESC_GPA, 3, DATA_GPA, 1, 0, 0);
	avail_add(0);
	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.nr, 4);
	/* 3 direct + the indirect descriptor + 2 table entries = 6 > queue size 4. */
	set_desc(DESC_GPA, 3, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(TABLE_GPA, 1, DATA_GPA, 1, 0, 0);
	avail_add(0);
	assert_broken();
}

static void test_indirect_table_longer_than_queue(void **state)
{
	unsigned i;

	(void)state;
	setup_queue(4, false);
	set_desc(DESC_GPA, 0, TABLE_GPA, 8 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	for (i = 0; i < 8; i++)
		set_desc(TABLE_GPA, i, DATA_GPA, 1, i < 7 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	avail_add(0);
	assert_broken();
}

static void test_loop(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
	avail_add(0);
	assert_broken();

	setup_queue(256, false);
	set_desc(DESC_GPA, 7, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 7);
	avail_add(7);
	assert_broken();
}

static void test_indirect_loop(void **state)
{
	(void)state;
	setup_queue(256, false);
	set_desc(DESC_GPA, 0, TABLE_GPA, 4 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 3);
	set_desc(TABLE_GPA, 3, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
	avail_add(0);
	assert_broken();
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	setup_queue(8, false);
	avail_add(8);
	assert_broken();
	setup_queue(8, false);
	avail_add(0xffff);
	assert_broken();
}

static void test_next_out_of_range(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 8);
	avail_add(0);
	assert_broken();
}

static void test_avail_idx_jump(void **state)
{
	(void)state;
	setup_queue(8, false);
	put16(AVAIL_GPA + 2, 9);
	assert_broken();
	/* Going backwards looks like a huge jump forward. */
	setup_queue(8, false);
	q.last_avail = 5;
	put16(AVAIL_GPA + 2, 4);
	assert_broken();
}

static void test_buffer_outside_ram(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, RAM_END - 8, 16, 0, 0);
	avail_add(0);
	assert_broken();

	setup_queue(8, false);
	set_desc(DESC_GPA, 0, RAM_GPA - 0x1000, 16, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);
	assert_broken();

	/* A bad buffer late in a chain breaks the whole chain. */
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, RAM_END, 1, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);
	assert_broken();
}

static void test_buffer_wraps(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, UINT64_MAX - 4, 0x100, 0, 0);
	avail_add(0);
	assert_broken();
}

static void test_zero_length_buffer(void **state)
{
	(void)state;
	/* Allowed and recorded; a zero-length buffer touches no memory, wherever it points. */
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);
	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.nr, 2);
	assert_int_equal(chain.nr_out, 1);
	assert_buf(0, 0, 0, false);
	assert_int_equal(chain.out_len, 0);
	assert_int_equal(chain.in_len, 4);
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(DESC_GPA, 1, DATA_GPA + 0x100, 4, 0, 0);
	avail_add(0);
	assert_broken();

	/* The rule spans the direct part and the indirect table. */
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(DESC_GPA, 1, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA + 0x100, 4, 0, 0);
	avail_add(0);
	assert_broken();
}

static void test_indirect_in_indirect(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(TABLE_GPA, 1, TABLE2_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE2_GPA, 0, DATA_GPA, 4, 0, 0);
	avail_add(0);
	assert_broken();
}

static void test_indirect_with_next(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA, 4, 0, 0);
	avail_add(0);
	assert_broken();
}

static void test_indirect_bad_len(void **state)
{
	static const uint32_t lens[] = { 0, 8, 24, 17, (VIRTQ_MAX_CHAIN + 1) * 16, UINT32_MAX & ~15u };
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		setup_queue(256, false);
		set_desc(DESC_GPA, 0, TABLE_GPA, lens[i], VIRTQ_DESC_F_INDIRECT, 0);
		set_desc(TABLE_GPA, 0, DATA_GPA, 4, 0, 0);
		avail_add(0);
		assert_broken();
	}
}

static void test_indirect_outside_ram(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, RAM_END - 16, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(RAM_END - 16, 0, DATA_GPA, 4, 0, 0);
	avail_add(0);
	assert_broken();

	setup_queue(8, false);
	set_desc(DESC_GPA, 0, UINT64_MAX - 15, 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(0);
	assert_broken();
}

static void test_indirect_next_out_of_table(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(TABLE_GPA, 0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 2);
	/* Entry 2 exists in memory but is past the table the driver declared. */
	set_desc(TABLE_GPA, 2, DATA_GPA, 4, 0, 0);
	avail_add(0);
	assert_broken();
}

static void test_broken_until_reset(void **state)
{
	(void)state;
	setup_queue(8, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
	set_desc(DESC_GPA, 1, DATA_GPA, 1, 0, 0);
	avail_add(0);
	avail_add(1);
	assert_broken();
	/* The good chain behind the bad one is not processed either. */
	assert_int_equal(virtq_pop(&q, &chain), -EINVAL);
	assert_int_equal(virtq_push(&q, 0, 0), -EINVAL);

	virtq_reset(&q);
	assert_false(q.broken);
	assert_false(q.ready);
	assert_ptr_equal(q.mem, &mem);
	assert_int_equal(virtq_pop(&q, &chain), 0);

	/* The driver re-initialises its rings and enables the queue again. */
	memset(ram, 0, 0x3000);
	set_desc(DESC_GPA, 1, DATA_GPA, 1, 0, 0);
	program_queue(8, false);
	assert_int_equal(virtq_enable(&q), 0);
	avail_add(1);
	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.head, 1);
}

/* Enable with one field changed from a good layout; expect -EINVAL and a queue left not ready. */
static void assert_enable_refused(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	q.ready = true;
	q.size = size;
	q.desc_gpa = desc;
	q.avail_gpa = avail;
	q.used_gpa = used;
	assert_int_equal(virtq_enable(&q), -EINVAL);
	assert_false(q.ready);
}

static void assert_enable_ok(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	q.size = size;
	q.desc_gpa = desc;
	q.avail_gpa = avail;
	q.used_gpa = used;
	assert_int_equal(virtq_enable(&q), 0);
	assert_true(q.ready);
}

static void test_enable_checks(void **state)
{
	static const uint16_t bad_sizes[] = { 0, 3, 6, 255, 512, 0x8000, 0xffff };
	unsigned i;

	(void)state;
	setup_queue(1, false);
	setup_queue(256, true);
	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++)
		assert_enable_refused(bad_sizes[i], DESC_GPA, AVAIL_GPA, USED_GPA);
	/* Alignment (virtio 1.2, 2.7): descriptors 16, avail 2, used 4. */
	assert_enable_refused(8, DESC_GPA + 8, AVAIL_GPA, USED_GPA);
	assert_enable_refused(8, DESC_GPA, AVAIL_GPA + 1, USED_GPA);
	assert_enable_refused(8, DESC_GPA, AVAIL_GPA, USED_GPA + 2);
	/* Every ring wholly in RAM, the trailing event fields included. */
	assert_enable_refused(8, RAM_END - 8 * 16 + 16, AVAIL_GPA, USED_GPA);
	assert_enable_refused(8, DESC_GPA, RAM_END - (6 + 2 * 8) + 2, USED_GPA);
	assert_enable_refused(8, DESC_GPA, AVAIL_GPA, RAM_END - (6 + 8 * 8) + 2);
	assert_enable_refused(8, RAM_GPA - 0x1000, AVAIL_GPA, USED_GPA);
	assert_enable_refused(8, DESC_GPA, UINT64_MAX - 1, USED_GPA);
	assert_enable_refused(8, DESC_GPA, AVAIL_GPA, UINT64_MAX - 3);
	/* Rings reaching to the last byte of RAM are fine. */
	assert_enable_ok(8, RAM_END - 8 * 16, AVAIL_GPA, USED_GPA);
	assert_enable_ok(8, DESC_GPA, RAM_END - (6 + 2 * 8), USED_GPA);
	assert_enable_ok(8, DESC_GPA, AVAIL_GPA, RAM_END - (6 + 8 * 8) - 2); /* the last 4-aligned spot */
	q.mem = NULL;
	assert_enable_refused(8, DESC_GPA, AVAIL_GPA, USED_GPA);
}

static void test_enable_resets_state(void **state)
{
	(void)state;
	setup_queue(8, false);
	q.last_avail = 3;
	q.used_idx = 4;
	q.broken = true;
	q.signalled_valid = true;
	assert_int_equal(virtq_enable(&q), 0);
	assert_int_equal(q.last_avail, 0);
	assert_int_equal(q.used_idx, 0);
	assert_false(q.broken);
	assert_false(q.signalled_valid);
}

/* A chain with readable segments of 5, 0, 3, 7 bytes and writable ones of 4 and 6. */
static void setup_rw_chain(void)
{
	static const uint32_t lens[] = { 5, 0, 3, 7, 4, 6 };
	unsigned i, j;
	uint8_t n;

	setup_queue(8, false);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		uint16_t flags = (i < 5 ? VIRTQ_DESC_F_NEXT : 0) | (i >= 4 ? VIRTQ_DESC_F_WRITE : 0);

		set_desc(DESC_GPA, i, DATA_GPA + 0x100 * i, lens[i], flags, i + 1);
	}
	/* The readable bytes hold 0..14 in chain order. */
	for (i = 0, n = 0; i < 4; i++)
		for (j = 0; j < lens[i]; j++)
			hva(DATA_GPA + 0x100 * i)[j] = n++;
	avail_add(0);
	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(chain.nr, 6);
	assert_int_equal(chain.nr_out, 4);
	assert_int_equal(chain.out_len, 15);
	assert_int_equal(chain.in_len, 10);
}

static void test_chain_read(void **state)
{
	uint8_t buf[32];
	unsigned i;

	(void)state;
	setup_rw_chain();
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(virtq_chain_read(&q, &chain, 0, buf, 15), 0);
	for (i = 0; i < 15; i++)
		assert_int_equal(buf[i], i);
	/* Across the empty segment and two boundaries. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(virtq_chain_read(&q, &chain, 3, buf, 8), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(buf[i], 3 + i);
	assert_int_equal(buf[8], 0xee);
	assert_int_equal(virtq_chain_read(&q, &chain, 14, buf, 1), 0);
	assert_int_equal(buf[0], 14);
	assert_int_equal(virtq_chain_read(&q, &chain, 15, buf, 0), 0);
	/* Out of range, including offsets and lengths that would wrap. */
	assert_int_equal(virtq_chain_read(&q, &chain, 0, buf, 16), -EINVAL);
	assert_int_equal(virtq_chain_read(&q, &chain, 10, buf, 6), -EINVAL);
	assert_int_equal(virtq_chain_read(&q, &chain, 16, buf, 0), -EINVAL);
	assert_int_equal(virtq_chain_read(&q, &chain, 1, buf, UINT64_MAX), -EINVAL);
	assert_int_equal(virtq_chain_read(&q, &chain, UINT64_MAX, buf, 2), -EINVAL);
}

static void test_chain_write(void **state)
{
	static const uint8_t src[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	uint8_t *w0, *w1;

	(void)state;
	setup_rw_chain();
	w0 = hva(DATA_GPA + 0x400);
	w1 = hva(DATA_GPA + 0x500);
	/* Bytes 2..7 of the writable part: the end of segment 4 and the start of segment 5. */
	assert_int_equal(virtq_chain_write(&q, &chain, 2, src, 6), 0);
	assert_memory_equal(w0, ((const uint8_t[]){ 0, 0, 1, 2 }), 4);
	assert_memory_equal(w1, ((const uint8_t[]){ 3, 4, 5, 6, 0, 0 }), 6);
	assert_int_equal(virtq_chain_write(&q, &chain, 0, src, 10), 0);
	assert_memory_equal(w0, src, 4);
	assert_memory_equal(w1, src + 4, 6);
	/* Readable segments are never written. */
	assert_int_equal(hva(DATA_GPA)[0], 0);
	assert_int_equal(hva(DATA_GPA + 0x300)[6], 14);
	assert_int_equal(virtq_chain_write(&q, &chain, 0, src, 11), -EINVAL);
	assert_int_equal(virtq_chain_write(&q, &chain, 9, src, 2), -EINVAL);
	assert_int_equal(virtq_chain_write(&q, &chain, 2, src, UINT64_MAX - 1), -EINVAL);
	assert_int_equal(virtq_chain_write(&q, &chain, 11, src, 0), -EINVAL);
}

static void test_chain_copy_rechecks_ram(void **state)
{
	uint8_t buf[8];

	(void)state;
	/* A chain handed in with a segment outside RAM: guest_mem_ptr refuses it. */
	setup_queue(8, false);
	memset(&chain, 0, sizeof(chain));
	chain.nr = 2;
	chain.nr_out = 1;
	chain.bufs[0] = (struct virtq_buf){ .gpa = RAM_END - 4, .len = 8 };
	chain.bufs[1] = (struct virtq_buf){ .gpa = UINT64_MAX - 3, .len = 8, .write = true };
	assert_int_equal(virtq_chain_read(&q, &chain, 0, buf, 4), 0);
	assert_int_equal(virtq_chain_read(&q, &chain, 2, buf, 4), -EINVAL);
	assert_int_equal(virtq_chain_write(&q, &chain, 0, buf, 1), -EINVAL);
	chain.nr_out = 3;
	assert_int_equal(virtq_chain_read(&q, &chain, 0, buf, 1), -EINVAL);
}

static void test_notify_flags(void **state)
{
	(void)state;
	setup_queue(8, false);
	assert_int_equal(virtq_push(&q, 0, 0), 0);
	assert_true(virtq_should_notify(&q));
	put16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(virtq_should_notify(&q));
	/* Without EVENT_IDX, used_event means nothing. */
	put16(AVAIL_GPA, 0);
	put16(AVAIL_GPA + 4 + 2 * 8, 0x1234);
	assert_true(virtq_should_notify(&q));
}

static void test_notify_event_idx(void **state)
{
	const uint64_t used_event = AVAIL_GPA + 4 + 2 * 8;

	(void)state;
	setup_queue(8, true);
	/* EVENT_IDX: NO_INTERRUPT is ignored (2.7.7.2); the first check always notifies. */
	put16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	put16(used_event, 5);
	assert_int_equal(virtq_push(&q, 0, 0), 0);                /* used idx 1 */
	assert_true(virtq_should_notify(&q));
	/* used_event 1: the driver asked to hear once entry 1 is written. */
	put16(used_event, 1);
	assert_int_equal(virtq_push(&q, 1, 0), 0);                /* used idx 2 */
	assert_true(virtq_should_notify(&q));
	/* used_event already behind: no new notification. */
	assert_int_equal(virtq_push(&q, 2, 0), 0);                /* used idx 3 */
	assert_false(virtq_should_notify(&q));
	/* Nothing pushed since the last check. */
	assert_false(virtq_should_notify(&q));
	/* Two pushes passing used_event 3. */
	put16(used_event, 3);
	assert_int_equal(virtq_push(&q, 3, 0), 0);
	assert_int_equal(virtq_push(&q, 4, 0), 0);                /* used idx 5 */
	assert_true(virtq_should_notify(&q));
	/* used_event ahead of used idx. */
	put16(used_event, 10);
	assert_int_equal(virtq_push(&q, 5, 0), 0);                /* used idx 6 */
	assert_false(virtq_should_notify(&q));
	/* Across the u16 wrap. */
	q.used_idx = q.signalled_used = 0xfffe;
	put16(used_event, 0xffff);
	assert_int_equal(virtq_push(&q, 0, 0), 0);
	assert_int_equal(virtq_push(&q, 0, 0), 0);                /* used idx 0 */
	assert_true(virtq_should_notify(&q));
}

static void test_push_checks_and_avail_event(void **state)
{
	(void)state;
	setup_queue(8, true);
	assert_int_equal(virtq_push(&q, 8, 0), -EINVAL);
	assert_int_equal(virtq_push(&q, 0xffff, 0), -EINVAL);
	assert_int_equal(get16(USED_GPA + 2), 0);
	/* With EVENT_IDX the device publishes how far it consumed (avail_event, 2.7.10). */
	set_desc(DESC_GPA, 0, DATA_GPA, 4, 0, 0);
	avail_add(0);
	avail_add(0);
	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(virtq_pop(&q, &chain), 1);
	assert_int_equal(virtq_push(&q, 0, 4), 0);
	assert_int_equal(get16(USED_GPA + 4 + 8 * 8), 2);
	assert_int_equal(get16(USED_GPA + 2), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_chain_roundtrip),
		cmocka_unit_test(test_empty_and_not_ready),
		cmocka_unit_test(test_several_chains_in_order),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_full_ring_accepted),
		cmocka_unit_test(test_indirect_good),
		cmocka_unit_test(test_chain_length_limit),
		cmocka_unit_test(test_indirect_table_longer_than_queue),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_indirect_loop),
		cmocka_unit_test(test_head_out_of_range),
		cmocka_unit_test(test_next_out_of_range),
		cmocka_unit_test(test_avail_idx_jump),
		cmocka_unit_test(test_buffer_outside_ram),
		cmocka_unit_test(test_buffer_wraps),
		cmocka_unit_test(test_zero_length_buffer),
		cmocka_unit_test(test_readable_after_writable),
		cmocka_unit_test(test_indirect_in_indirect),
		cmocka_unit_test(test_indirect_with_next),
		cmocka_unit_test(test_indirect_bad_len),
		cmocka_unit_test(test_indirect_outside_ram),
		cmocka_unit_test(test_indirect_next_out_of_table),
		cmocka_unit_test(test_broken_until_reset),
		cmocka_unit_test(test_enable_checks),
		cmocka_unit_test(test_enable_resets_state),
		cmocka_unit_test(test_chain_read),
		cmocka_unit_test(test_chain_write),
		cmocka_unit_test(test_chain_copy_rechecks_ram),
		cmocka_unit_test(test_notify_flags),
		cmocka_unit_test(test_notify_event_idx),
		cmocka_unit_test(test_push_checks_and_avail_event),
	};
	return cmocka_run_group_tests_name("virtq", tests, NULL, NULL);
}
