/* attacks.c - a driver that breaks the virtqueue rules of virtio 1.2, 2.7. For each
 * attack the device must answer without hanging: an error status, or
 * DEVICE_NEEDS_RESET (2.1.1: "the device has experienced an error from which it
 * can't recover"). The guest then resets it, re-initialises it and checks that a
 * sane read works again. */
#include "hostile.h"

/* How often the loop attack repeats: many more breaks than vmm may log lines. */
#define HAMMER 100

enum expect { REFUSED, ANSWERED };

struct chain_attack {
	const char *name;
	enum expect expect;
	/* Build descriptors (desc[0] the head unless it says otherwise); returns the head. */
	uint16_t (*build)(struct vdev *d, uint64_t ram_end);
};

/* ---- descriptor chains (2.7.5) ---- */

static uint16_t loop_writable(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[2].flags |= D_NEXT; /* status -> data -> status -> ... */
	d->desc[2].next = 1;
	return 0;
}

static uint16_t loop_self(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[0].next = 0;
	return 0;
}

static uint16_t next_oob(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[1].next = QSZ;
	return 0;
}

static uint16_t readable_after_writable(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[2].flags = 0; /* 2.7.4.2: writable descriptors come last */
	return 0;
}

static uint16_t no_writable(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[0].flags = 0; /* a header alone: nowhere to put the status */
	return 0;
}

/* ---- buffer addresses ---- */

static uint16_t buf_straddles_ram_end(struct vdev *d, uint64_t ram_end)
{
	vio_build_read(d, 0, 512);
	d->desc[1].addr = ram_end - 256;
	return 0;
}

static uint16_t buf_beyond_ram(struct vdev *d, uint64_t ram_end)
{
	vio_build_read(d, 0, 512);
	d->desc[1].addr = ram_end + 0x1000;
	return 0;
}

static uint16_t buf_on_gic(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[1].addr = GICD_BASE; /* DMA aimed at an MMIO region */
	return 0;
}

static uint16_t buf_wraps(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[1].addr = 0xfffffffffffff000ULL;
	d->desc[1].len = 0x2000;
	return 0;
}

static uint16_t hdr_wraps(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[0].addr = 0xfffffffffffffff8ULL;
	return 0;
}

static uint16_t zero_len_header(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[0].len = 0;
	return 0;
}

/* A zero-length descriptor with a wild address inside a sane chain: harmless, if answered. */
static uint16_t zero_len_wild(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[0].next = 3;
	d->desc[3] = (struct vdesc){ 0xfffffffffffff000ULL, 0, D_NEXT, 1 };
	return 0;
}

static uint16_t zero_len_status(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0, 512);
	d->desc[2].len = 0;
	return 0;
}

static uint16_t read_past_disk(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	vio_build_read(d, 0xffffffffffffff00ULL, 512); /* sector * 512 wraps too */
	return 0;
}

/* ---- indirect tables (2.7.5.3) ---- */

/* A sane read as an indirect table of n entries: header, n - 2 data pieces, status. */
static void indirect_read(struct vdev *d, unsigned n)
{
	vio_build_read(d, 0, 512);
	ind_table[0] = (struct vdesc){ addr_of(&req_hdr), 16, D_NEXT, 1 };
	for (unsigned i = 1; i < n - 1; i++)
		ind_table[i] = (struct vdesc){ addr_of(req_data) + 32 * (i - 1), 32, D_WRITE | D_NEXT, i + 1 };
	ind_table[n - 1] = (struct vdesc){ addr_of(req_status), 1, D_WRITE, 0 };
	d->desc[0] = (struct vdesc){ addr_of(ind_table), 16 * n, D_INDIRECT, 0 };
}

static uint16_t ind_longer_than_queue(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, QSZ + 1); /* 2.7.5.3.1: no chain longer than the queue */
	return 0;
}

static uint16_t ind_len_unaligned(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, 3);
	d->desc[0].len = 40;
	return 0;
}

static uint16_t ind_len_zero(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, 3);
	d->desc[0].len = 0;
	return 0;
}

static uint16_t ind_len_huge(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, 3);
	d->desc[0].len = 0xfffffff0;
	return 0;
}

static uint16_t ind_beyond_ram(struct vdev *d, uint64_t ram_end)
{
	indirect_read(d, 3);
	d->desc[0].addr = ram_end - 16; /* starts in RAM, ends past it */
	return 0;
}

static uint16_t ind_nested(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, 3);
	ind_table[8] = d->desc[0];
	d->desc[0] = (struct vdesc){ addr_of(&ind_table[8]), 16, D_INDIRECT, 0 };
	return 0;
}

static uint16_t ind_with_next(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, 3);
	d->desc[0].flags |= D_NEXT; /* 2.7.5.3.1: INDIRECT and NEXT never together */
	d->desc[0].next = 1;
	return 0;
}

static uint16_t ind_next_oob(struct vdev *d, uint64_t ram_end)
{
	(void)ram_end;
	indirect_read(d, 3);
	ind_table[1].next = 5; /* outside the 3-entry table */
	return 0;
}

static const struct chain_attack chain_attacks[] = {
	{ "desc-loop", REFUSED, loop_writable },
	{ "desc-self-loop", REFUSED, loop_self },
	{ "desc-next-out-of-range", REFUSED, next_oob },
	{ "readable-after-writable", REFUSED, readable_after_writable },
	{ "no-writable-descriptor", REFUSED, no_writable },
	{ "buffer-straddles-ram-end", REFUSED, buf_straddles_ram_end },
	{ "buffer-beyond-ram", REFUSED, buf_beyond_ram },
	{ "buffer-on-gic", REFUSED, buf_on_gic },
	{ "buffer-wraps-64-bits", REFUSED, buf_wraps },
	{ "header-wraps-64-bits", REFUSED, hdr_wraps },
	{ "zero-length-header", REFUSED, zero_len_header },
	{ "zero-length-wild-descriptor", ANSWERED, zero_len_wild },
	{ "zero-length-status", ANSWERED, zero_len_status },
	{ "read-past-disk-end", REFUSED, read_past_disk },
	{ "indirect-longer-than-queue", REFUSED, ind_longer_than_queue },
	{ "indirect-len-not-16n", REFUSED, ind_len_unaligned },
	{ "indirect-len-zero", REFUSED, ind_len_zero },
	{ "indirect-len-huge", REFUSED, ind_len_huge },
	{ "indirect-beyond-ram", REFUSED, ind_beyond_ram },
	{ "indirect-nested", REFUSED, ind_nested },
	{ "indirect-with-next", REFUSED, ind_with_next },
	{ "indirect-next-out-of-range", REFUSED, ind_next_oob },
};

/* The device answered as it must; then reset, re-initialise, read sanely. */
static void judge(struct vdev *d, const char *name, enum expect e, enum outcome o)
{
	if (o == OUT_TIMEOUT || (e == REFUSED && o == OUT_OK)) {
		puts_("HOSTILE-FAIL ");
		puts_(name);
		fail(": outcome (0 ok, 1 error, 2 needs-reset, 3 timeout)", o);
	}
	vio_recover(d, name);
}

static void run_chain_attack(struct vdev *d, const struct chain_attack *a, uint64_t ram_end)
{
	uint16_t head = a->build(d, ram_end);

	vio_submit(d, head);
	judge(d, a->name, a->expect, vio_wait(d));
	report_ok(a->name);
}

/* ---- feature negotiation (2.2, 3.1.1) ---- */

/* Features the device did not offer: FEATURES_OK must not stick (3.1.1 step 6). */
static void features_unoffered(struct vdev *d)
{
	vio_reset(d);
	vio_set_status(d, ST_ACK | ST_DRIVER);
	vio_set_features(d, d->features | 1ULL << 50 | 1ULL << 3);
	vio_set_status(d, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	check(!(vio_status(d) & ST_FEATURES_OK), "FEATURES_OK with unoffered features", vio_status(d));
	/* And DRIVER_OK without FEATURES_OK must not make the device live. */
	vio_set_status(d, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	check(!(vio_status(d) & ST_DRIVER_OK), "DRIVER_OK without FEATURES_OK", vio_status(d));
	vio_recover(d, "unoffered features");
	report_ok("features-not-offered");
}

/* ---- the avail ring (2.7.6) ---- */

static void avail_head_oob(struct vdev *d, uint16_t head, const char *name)
{
	vio_build_read(d, 0, 512);
	vio_submit(d, head);
	judge(d, name, REFUSED, vio_wait(d));
	report_ok(name);
}

static void avail_idx_jump(struct vdev *d)
{
	vio_build_read(d, 0, 512);
	d->avail[2] = 0;
	dmb();
	d->avail[1] = d->avail_idx + 1000; /* 1000 buffers on a ring of QSZ */
	vio_kick(d);
	judge(d, "avail-idx-jumps-ahead", REFUSED, vio_wait(d));
	report_ok("avail-idx-jumps-ahead");
}

/* One head made available twice while the device still owns it (2.7.13.1). */
static void head_twice(struct vdev *d)
{
	vio_build_read(d, 0, 4096);
	d->avail[2 + d->avail_idx % QSZ] = 0;
	d->avail[2 + (d->avail_idx + 1) % QSZ] = 0;
	dmb();
	d->avail_idx += 2;
	d->avail[1] = d->avail_idx;
	vio_kick(d);
	judge(d, "head-twice-in-flight", REFUSED, vio_wait(d));
	report_ok("head-twice-in-flight");
}

/* ---- ring setup and reset ---- */

/* Bad rings must not enable (2.7: sizes are powers of 2 up to the maximum, tables aligned,
 * all of it in memory the device can reach). */
static void bad_ring_setup(struct vdev *d, uint64_t ram_end)
{
	uint64_t b = addr_of(req_data);
	const struct { uint16_t size; uint64_t desc, avail, used; } bad[] = {
		{ QSZ, 0x1000, 0x1400, 0x1800 },             /* below RAM */
		{ QSZ, b + 8, b + 0x400, b + 0x800 },         /* misaligned descriptor table */
		{ 12, b, b + 0x400, b + 0x800 },              /* size not a power of 2 */
		{ 0, b, b + 0x400, b + 0x800 },               /* size 0 */
		{ 1024, b, b + 0x400, b + 0x800 },            /* larger than the device's maximum */
		{ QSZ, b, b + 0x400, ram_end - 4 },           /* used ring straddles the end of RAM */
		{ QSZ, 0xfffffffffffffff0ULL, b + 0x400, b + 0x800 }, /* wraps */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vio_begin(d);
		vio_queue_regs_write(d, bad[i].size, bad[i].desc, bad[i].avail, bad[i].used);
		check(!vio_queue_try_enable(d), "a bad ring was enabled", i);
	}
	vio_recover(d, "bad rings");
	report_ok("rings-bad-size-alignment-or-outside-ram");
}

/* 2.1.2 and 4.1.4.3.2: after a reset the device writes nothing from before it. */
static void reset_during_io(struct vdev *d)
{
	vio_build_read(d, 0, 4096);
	vio_submit(d, 0);
	vio_reset(d);
	vio_init(d); /* fresh rings, used idx 0 */
	delay_us(100000);
	check(d->used[1] == 0, "a completion from before the reset reached the new ring", d->used[1]);
	vio_good_read(d, "reset during I/O");
	report_ok("reset-during-io");
}

/* Rewrites of a live queue that vmm must refuse after one try each round. */
#define REWRITES 20

/*
 * 3.1.1: queues are set up before DRIVER_OK. vmm freezes queue registers from then
 * on: a write is ignored and puts the device in DEVICE_NEEDS_RESET, so the ring the
 * device reads never moves under it (4.1.4.3.2 / 4.2.2.2 for an enabled queue).
 */
static void queue_regs_after_driver_ok(struct vdev *d, uint64_t ram_end)
{
	for (unsigned i = 0; i < REWRITES; i++) {
		vio_queue_regs_write(d, QSZ / 2, ram_end + 0x1000, 0x1, 0x3);
		vio_queue_disable(d);
		check(vio_queue_regs_same(d), "queue registers changed after DRIVER_OK", i);
		check(vio_status(d) & ST_NEEDS_RESET, "no DEVICE_NEEDS_RESET for a live queue rewritten", i);
		d->breaks++;
		vio_init(d);
	}
	vio_good_read(d, "queue registers rewritten");
	report_ok("queue-registers-after-driver-ok");
}

/* 2.1.2: only a reset clears status bits. Dropping DRIVER_OK (and FEATURES_OK) must not
 * thaw the queue registers or the features: the device keeps them and needs a reset. */
static void status_bits_cleared(struct vdev *d)
{
	vio_set_status(d, ST_ACK | ST_DRIVER);
	check(vio_status(d) & ST_DRIVER_OK, "DRIVER_OK cleared without a reset", vio_status(d));
	check(vio_status(d) & ST_NEEDS_RESET, "no DEVICE_NEEDS_RESET for a cleared status bit", vio_status(d));
	d->breaks++;
	vio_queue_disable(d);
	check(vio_queue_regs_same(d), "queue registers thawed by clearing DRIVER_OK", 0);
	vio_recover(d, "status bits cleared");
	report_ok("status-bits-cleared-without-reset");
}

/* 2.1.2: DEVICE_NEEDS_RESET is the device's. A driver writing it (and a reserved bit) sets
 * neither: the queue stays live, and a chain the device refuses still stops it (a
 * driver-set bit once made vmm's own report a no-op, so the queue went on). */
static void status_needs_reset_by_driver(struct vdev *d, uint64_t ram_end)
{
	uint8_t st = vio_status(d);

	vio_set_status(d, st | ST_NEEDS_RESET | 0x20);
	check(vio_status(d) == st, "a driver's write set DEVICE_NEEDS_RESET", vio_status(d));
	vio_good_read(d, "a driver wrote DEVICE_NEEDS_RESET");
	vio_set_status(d, st | ST_NEEDS_RESET);
	vio_submit(d, loop_writable(d, ram_end));
	check(vio_wait(d) == OUT_RESET, "a refused chain did not stop the queue", vio_status(d));
	vio_recover(d, "a driver wrote DEVICE_NEEDS_RESET");
	report_ok("status-needs-reset-by-driver");
}

/* Kicks for queues that do not exist, and the notify area past the last queue. */
static void bogus_notify(struct vdev *d)
{
	vio_bogus_kicks(d);
	vio_good_read(d, "bogus notifications");
	report_ok("notify-bogus-queues");
}

/* Many breaks in a row: vmm's reports of them must stay rate-limited. */
static void hammer(struct vdev *d, uint64_t ram_end)
{
	uint64_t t0 = now_us();

	puts_("HOSTILE: hammer start\n");
	for (unsigned i = 0; i < HAMMER; i++) {
		vio_submit(d, loop_writable(d, ram_end));
		check(vio_wait(d) == OUT_RESET, "hammer: no DEVICE_NEEDS_RESET", i);
		vio_init(d);
	}
	vio_good_read(d, "hammer");
	puts_("HOSTILE: hammer took ");
	putdec((now_us() - t0) / 1000);
	puts_(" ms\n");
	report_ok("hammer-broken-queue-x100");
}

void run_queue_attacks(struct vdev *d, const struct platform *p)
{
	uint64_t ram_end = p->ram_base + p->ram_size;

	features_unoffered(d);
	for (unsigned i = 0; i < sizeof(chain_attacks) / sizeof(chain_attacks[0]); i++)
		run_chain_attack(d, &chain_attacks[i], ram_end);
	avail_head_oob(d, QSZ, "avail-head-equals-queue-size");
	avail_head_oob(d, 0xffff, "avail-head-0xffff");
	avail_idx_jump(d);
	head_twice(d);
	bad_ring_setup(d, ram_end);
	reset_during_io(d);
	queue_regs_after_driver_ok(d, ram_end);
	status_bits_cleared(d);
	status_needs_reset_by_driver(d, ram_end);
	bogus_notify(d);
	hammer(d, ram_end);
}

/* 16550 divisor latch 0 (DLAB=1, DLL=DLM=0): a real UART stops; vmm's must go on. */
void run_uart_attack(void)
{
	w8(UART_BASE + 3, 0x83);
	w8(UART_BASE + 0, 0);
	w8(UART_BASE + 1, 0);
	check(r8(UART_BASE + 0) == 0 && r8(UART_BASE + 1) == 0, "divisor latch readback", 0);
	w8(UART_BASE + 3, 0x03);
	report_ok("uart-divisor-latch-zero");
}

/* ---- the platform ---- */

#define HOLE 0x09000000ULL /* free in arch/arm64/memmap.h: no device, no RAM */

/* Did the last access raise a synchronous external abort (ESR EC 0x25, DFSC 0x10)?
 * Only ESR_EL1[31:0] is looked at: bits 63:32 are ISS2 or RES0 (ARM ARM D17.2.37). */
static void expect_external_abort(const char *what)
{
	uint32_t esr = (uint32_t)abort_esr;

	check(abort_expected == 0, what, 0);
	check(esr >> 26 == 0x25 && (esr & 0x3f) == 0x10, what, abort_esr);
}

/*
 * Loads and stores KVM cannot decode for the VMM: a load pair and a post-indexed
 * store leave ESR_EL2.ISV clear (ARM ARM D17.2.40). The VMM has no access to
 * emulate, and the guest must get an external abort rather than the VMM dying.
 */
static void mmio_without_syndrome(void)
{
	uint64_t a = UART_BASE, x, y;

	abort_esr = 0;
	abort_expected = 1;
	__asm__ volatile("ldp %0, %1, [%2]" : "=&r"(x), "=&r"(y) : "r"(a) : "memory");
	expect_external_abort("ldp from the UART was not aborted");
	a = HOLE;
	abort_expected = 1;
	__asm__ volatile("str %1, [%0], #8" : "+r"(a) : "r"(x) : "memory");
	expect_external_abort("post-indexed store to a hole was not aborted");
	report_ok("mmio-without-syndrome");
}

/* GICv2m MSI_SETSPI_NS with INTIDs outside the frame's range (ARM IHI 0048B-based v2m
 * frame: MSI_TYPER gives the range): SGIs, the UART's SPI, beyond 1019, all ones. */
static void v2m_out_of_range(uint64_t v2m)
{
	uint32_t typer = r32(v2m + 0x008), first = typer >> 16 & 0x3ff, nr = typer & 0x3ff;
	const uint32_t bad[] = { 0, 15, 33, first - 1, first + nr, 1020, 0xffffffff };

	check(nr != 0, "v2m frame with no SPIs", typer);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		w32(v2m + 0x040, bad[i]);
	report_ok("v2m-setspi-out-of-range");
}

void run_platform_attacks(const struct platform *p)
{
	mmio_without_syndrome();
	if (p->v2m)
		v2m_out_of_range(p->v2m);
}
