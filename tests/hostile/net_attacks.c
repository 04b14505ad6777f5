/* net_attacks.c - a virtio-net driver (virtio 1.2, 5.1) that breaks the rules of its two
 * queues, receiveq1 (0) and transmitq1 (1), and writes its config space. For each attack
 * the device must answer without hanging: return the chain (a receive chain refused comes
 * back with nothing written, 5.1.6.3.2 / 2.7.8), or set DEVICE_NEEDS_RESET (2.1.1). If it
 * answered, a sane transmit must still work; then a reset must bring it back. The tap
 * behind it has no address: a frame sent just leaves through it, and no frame comes in
 * that a sane receive chain could wait for, so only broken receive chains are offered. */
#include "hostile.h"

#define NET_HDR 12          /* virtio_net_hdr_v1 with VERSION_1 (5.1.6) */
#define NET_MAX_FRAME 65550 /* vmm's largest transmitted frame (virtio/net.h) */
#define FLOOD_ROUNDS 8      /* 8 x QSZ one-byte receive chains: past vmm's budget of 64 */
#define LONG_CHAIN 300

enum { RXQ, TXQ };

struct net_attack {
	const char *name;
	unsigned queue;
	/* Build descriptors on q (desc[0] the head unless it says otherwise); returns the head. */
	uint16_t (*build)(volatile struct vdesc *desc, const struct platform *p);
};

static bool net_present;
static struct vdev nq[2]; /* the same device: receiveq1 on nq[0], transmitq1 on nq[1] */
static uint8_t rx_ring[RING_BYTES] __attribute__((aligned(4096)));
static uint8_t tx_ring[RING_BYTES] __attribute__((aligned(4096)));
/* A broadcast frame of a local experimental EtherType (IEEE 802 0x88b5), after the header. */
static volatile uint8_t frame[NET_HDR + 60] __attribute__((aligned(16)));
static volatile uint8_t net_buf[4096] __attribute__((aligned(16)));
static volatile struct vdesc long_table[LONG_CHAIN] __attribute__((aligned(16)));

static uint64_t ram_end(const struct platform *p) { return p->ram_base + p->ram_size; }

void net_probe(const struct platform *p)
{
	struct vdev d = { 0 };

	if (p->ecam)
		net_present = pci_find(p, &d, ID_NET, PCI_NET_BAR0);
	else
		net_present = vio_find_mmio(p, &d, ID_NET);
	if (!net_present)
		return;
	d.no_status = true;
	nq[0] = d;
	nq[0].qidx = 0;
	nq[0].ring = rx_ring;
	nq[1] = d;
	nq[1].qidx = 1;
	nq[1].ring = tx_ring;
}

static void net_init(void)
{
	vio_init_queues(nq, 2);
	nq[1].features = nq[0].features;
}

/* A sane frame on transmitq1: it must come back used (and go out of the tap). */
static void net_good_tx(const char *when)
{
	enum outcome o;

	memset((void *)frame, 0, sizeof(frame));
	memset((void *)(frame + NET_HDR), 0xff, 6);
	frame[NET_HDR + 6] = 0x02;
	frame[NET_HDR + 11] = 0x99;
	frame[NET_HDR + 12] = 0x88;
	frame[NET_HDR + 13] = 0xb5;
	nq[TXQ].desc[0] = (struct vdesc){ addr_of(frame), sizeof(frame), 0, 0 };
	vio_submit(&nq[TXQ], 0);
	o = vio_wait(&nq[TXQ]);
	if (o != OUT_OK) {
		puts_("HOSTILE-FAIL net: good transmit after ");
		puts_(when);
		fail(": outcome", o);
	}
}

static void net_recover(const char *when)
{
	net_init();
	net_good_tx(when);
}

/* ---- receive chains: each one the device may not fill (5.1.6.3.1) ---- */

static uint16_t rx_too_short(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(net_buf), 100, D_WRITE, 0 };
	return 0;
}

static uint16_t rx_read_only(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(net_buf), 2048, 0, 0 };
	return 0;
}

static uint16_t rx_part_read_only(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(net_buf), 64, D_NEXT, 1 };
	desc[1] = (struct vdesc){ addr_of(net_buf) + 64, 2048, D_WRITE, 0 };
	return 0;
}

static uint16_t rx_beyond_ram(volatile struct vdesc *desc, const struct platform *p)
{
	desc[0] = (struct vdesc){ ram_end(p) + 0x1000, 2048, D_WRITE, 0 };
	return 0;
}

static uint16_t rx_straddles_ram_end(volatile struct vdesc *desc, const struct platform *p)
{
	desc[0] = (struct vdesc){ ram_end(p) - 256, 2048, D_WRITE, 0 };
	return 0;
}

static uint16_t rx_loop(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(net_buf), 1024, D_WRITE | D_NEXT, 1 };
	desc[1] = (struct vdesc){ addr_of(net_buf) + 1024, 1024, D_WRITE | D_NEXT, 0 };
	return 0;
}

static uint16_t rx_head_past_ring(volatile struct vdesc *desc, const struct platform *p)
{
	rx_too_short(desc, p);
	return QSZ;
}

/* ---- transmit chains: header, then a frame of 14 to NET_MAX_FRAME bytes ---- */

static uint16_t tx_header_only(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), NET_HDR, 0, 0 };
	return 0;
}

static uint16_t tx_oversized(volatile struct vdesc *desc, const struct platform *p)
{
	desc[0] = (struct vdesc){ p->ram_base, NET_HDR + NET_MAX_FRAME + 1, 0, 0 };
	return 0;
}

/* 81920 bytes in 5 readable pieces over the same RAM: the sum counts, not each piece. */
static uint16_t tx_oversized_chain(volatile struct vdesc *desc, const struct platform *p)
{
	for (unsigned i = 0; i < 5; i++)
		desc[i] = (struct vdesc){ p->ram_base, 16384, i < 4 ? D_NEXT : 0, i + 1 };
	return 0;
}

static uint16_t tx_beyond_ram(volatile struct vdesc *desc, const struct platform *p)
{
	desc[0] = (struct vdesc){ addr_of(frame), NET_HDR, D_NEXT, 1 };
	desc[1] = (struct vdesc){ ram_end(p) + 0x1000, 60, 0, 0 };
	return 0;
}

static uint16_t tx_straddles_ram_end(volatile struct vdesc *desc, const struct platform *p)
{
	desc[0] = (struct vdesc){ addr_of(frame), NET_HDR, D_NEXT, 1 };
	desc[1] = (struct vdesc){ ram_end(p) - 30, 60, 0, 0 };
	return 0;
}

static uint16_t tx_wraps(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ 0xfffffffffffff000ULL, 0x2000, 0, 0 };
	return 0;
}

static uint16_t tx_zero_length(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), 0, 0, 0 };
	return 0;
}

/* A zero-length descriptor with a wild address inside a sane frame. */
static uint16_t tx_zero_length_wild(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), NET_HDR, D_NEXT, 1 };
	desc[1] = (struct vdesc){ 0xfffffffffffff000ULL, 0, D_NEXT, 2 };
	desc[2] = (struct vdesc){ addr_of(frame) + NET_HDR, 60, 0, 0 };
	return 0;
}

static uint16_t tx_writable(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), sizeof(frame), D_WRITE, 0 };
	return 0;
}

static uint16_t tx_loop(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), NET_HDR, D_NEXT, 1 };
	desc[1] = (struct vdesc){ addr_of(frame) + NET_HDR, 60, D_NEXT, 0 };
	return 0;
}

/* Every descriptor of the ring in one chain: long, but legal (2.7.5.2). */
static uint16_t tx_whole_ring(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), NET_HDR, D_NEXT, 1 };
	for (unsigned i = 1; i < QSZ; i++)
		desc[i] = (struct vdesc){ addr_of(frame) + NET_HDR + 4 * (i - 1), 4, i < QSZ - 1 ? D_NEXT : 0, i + 1 };
	return 0;
}

/* An indirect table of 300 descriptors: longer than the queue (2.7.5.3.1). */
static uint16_t tx_300_descriptors(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	for (unsigned i = 0; i < LONG_CHAIN; i++)
		long_table[i] = (struct vdesc){ addr_of(frame), 1, i < LONG_CHAIN - 1 ? D_NEXT : 0, i + 1 };
	desc[0] = (struct vdesc){ addr_of(long_table), sizeof(long_table), D_INDIRECT, 0 };
	return 0;
}

static uint16_t tx_head_past_ring(volatile struct vdesc *desc, const struct platform *p)
{
	(void)p;
	desc[0] = (struct vdesc){ addr_of(frame), sizeof(frame), 0, 0 };
	return 0xffff;
}

static const struct net_attack net_attacks[] = {
	{ "net-rx-too-short", RXQ, rx_too_short },
	{ "net-rx-read-only", RXQ, rx_read_only },
	{ "net-rx-part-read-only", RXQ, rx_part_read_only },
	{ "net-rx-beyond-ram", RXQ, rx_beyond_ram },
	{ "net-rx-straddles-ram-end", RXQ, rx_straddles_ram_end },
	{ "net-rx-desc-loop", RXQ, rx_loop },
	{ "net-rx-head-past-ring", RXQ, rx_head_past_ring },
	{ "net-tx-header-only", TXQ, tx_header_only },
	{ "net-tx-oversized", TXQ, tx_oversized },
	{ "net-tx-oversized-chain", TXQ, tx_oversized_chain },
	{ "net-tx-beyond-ram", TXQ, tx_beyond_ram },
	{ "net-tx-straddles-ram-end", TXQ, tx_straddles_ram_end },
	{ "net-tx-wraps-64-bits", TXQ, tx_wraps },
	{ "net-tx-zero-length", TXQ, tx_zero_length },
	{ "net-tx-zero-length-wild", TXQ, tx_zero_length_wild },
	{ "net-tx-writable-only", TXQ, tx_writable },
	{ "net-tx-desc-loop", TXQ, tx_loop },
	{ "net-tx-whole-ring-chain", TXQ, tx_whole_ring },
	{ "net-tx-300-descriptors", TXQ, tx_300_descriptors },
	{ "net-tx-head-0xffff", TXQ, tx_head_past_ring },
};

/* The used length of the entry vio_wait just took (2.7.8). */
static uint32_t last_used_len(struct vdev *q)
{
	return r32(addr_of(q->used) + 8 + 8 * ((q->used_idx - 1) % QSZ));
}

/* Answered (then the device must still work) or DEVICE_NEEDS_RESET; then a reset. */
static void net_judge(struct vdev *q, const char *name, enum outcome o)
{
	if (o == OUT_TIMEOUT || o == OUT_ERR) {
		puts_("HOSTILE-FAIL ");
		puts_(name);
		fail(": outcome (0 ok, 1 error, 2 needs-reset, 3 timeout)", o);
	}
	if (o == OUT_OK) {
		check(q->qidx != RXQ || last_used_len(q) == 0, "net: a refused receive chain was written",
		      last_used_len(q));
		net_good_tx(name);
	}
	net_recover(name);
	report_ok(name);
}

/* 1-byte receive chains, the whole ring at a time, re-offered as soon as they come back:
 * each is refused, and the I/O thread must still get to transmitq1 (the budget). */
static void rx_flood(void)
{
	struct vdev *q = &nq[RXQ];

	for (unsigned r = 0; r < FLOOD_ROUNDS; r++) {
		for (unsigned i = 0; i < QSZ; i++) {
			q->desc[i] = (struct vdesc){ addr_of(net_buf) + i, 1, D_WRITE, 0 };
			q->avail[2 + (q->avail_idx + i) % QSZ] = i;
		}
		dmb();
		q->avail_idx += QSZ;
		q->avail[1] = q->avail_idx;
		vio_kick(q);
		net_good_tx("a receive flood");
		for (unsigned i = 0; i < QSZ; i++) {
			check(vio_wait(q) == OUT_OK, "net: a 1-byte receive chain not returned", r * QSZ + i);
			check(last_used_len(q) == 0, "net: a 1-byte receive chain written", last_used_len(q));
		}
	}
	check(!(vio_status(q) & ST_NEEDS_RESET), "net: DEVICE_NEEDS_RESET for refused receive chains", 0);
	net_good_tx("a receive flood");
	report_ok("net-rx-flood-1-byte-chains");
}

static void net_bogus_notify(void)
{
	vio_bogus_kicks(&nq[RXQ]);
	net_good_tx("bogus notifications");
	net_recover("bogus notifications");
	report_ok("net-notify-bogus-queues");
}

/* The config space (5.1.4) is the device's: writes of every width must change nothing
 * the device depends on. */
static void net_config_writes(void)
{
	uint64_t cfg = nq[0].mmio ? nq[0].base + 0x100 : nq[0].devcfg;

	for (unsigned w = 1; w <= 8; w *= 2)
		for (unsigned off = 0; off < 0x20; off += w)
			wN(cfg + off, w, 0xffffffffffffffffULL);
	net_good_tx("config space writes");
	net_recover("config space writes");
	report_ok("net-config-space-writes");
}

unsigned run_net_attacks(const struct platform *p)
{
	if (!net_present) {
		puts_("HOSTILE: no virtio-net device\n");
		return 0;
	}
	puts_("HOSTILE: virtio-net on ");
	puts_(nq[0].mmio ? "virtio-mmio at " : "PCI, BAR0 at ");
	puthex(nq[0].mmio ? nq[0].base : nq[0].bar0);
	puts_("\n");
	net_recover("first initialisation");
	for (unsigned i = 0; i < sizeof(net_attacks) / sizeof(net_attacks[0]); i++) {
		const struct net_attack *a = &net_attacks[i];
		struct vdev *q = &nq[a->queue];

		vio_submit(q, a->build(q->desc, p));
		net_judge(q, a->name, vio_wait(q));
	}
	rx_flood();
	net_bogus_notify();
	net_config_writes();
	vio_reset(&nq[0]);
	return nq[0].breaks + nq[1].breaks;
}
