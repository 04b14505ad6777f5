/* vio.c - a minimal polled virtio driver (virtio-blk reads, any device's queues) over virtio-pci (virtio 1.2, 4.1) or
 * virtio-mmio (4.2): initialisation (3.1.1), one split virtqueue (2.7), reads (5.2.6). */
#include "hostile.h"

/* virtio-pci common configuration offsets (4.1.4.3). */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c, CC_STATUS = 0x14,
	CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18, CC_Q_ENABLE = 0x1c, CC_Q_NOFF = 0x1e,
	CC_Q_DESC = 0x20, CC_Q_AVAIL = 0x28, CC_Q_USED = 0x30,
};
/* virtio-mmio register offsets (4.2.2). */
enum {
	MM_MAGIC = 0x000, MM_VERSION = 0x004, MM_DEVICE_ID = 0x008, MM_DF = 0x010, MM_DFSEL = 0x014,
	MM_GF = 0x020, MM_GFSEL = 0x024, MM_Q_SEL = 0x030, MM_Q_NUM_MAX = 0x034, MM_Q_NUM = 0x038,
	MM_Q_READY = 0x044, MM_Q_NOTIFY = 0x050, MM_STATUS = 0x070, MM_Q_DESC = 0x080,
	MM_Q_DRIVER = 0x090, MM_Q_DEVICE = 0x0a0,
};

#define AVAIL_F_NO_INTERRUPT 1
#define BLK_T_IN 0
#define WAIT_US 3000000 /* generous for nested emulation; a hang still ends */

/* The ring: descriptors, driver area at +0x400, device area at +0x800 (alignment: 2.7). */
static uint8_t ring_mem[RING_BYTES] __attribute__((aligned(4096)));
volatile struct blk_bufs req_hdr __attribute__((aligned(16)));
volatile uint8_t req_status[16] __attribute__((aligned(16)));
volatile uint8_t req_data[4096] __attribute__((aligned(4096)));
volatile struct vdesc ind_table[64] __attribute__((aligned(16)));

const char disk_magic[16] = "HOSTILE-DISK-OK!";

uint8_t vio_status(struct vdev *d)
{
	return d->mmio ? (uint8_t)r32(d->base + MM_STATUS) : r8(d->common + CC_STATUS);
}

void vio_set_status(struct vdev *d, uint8_t s)
{
	if (d->mmio)
		w32(d->base + MM_STATUS, s);
	else
		w8(d->common + CC_STATUS, s);
}

static uint32_t dev_features(struct vdev *d, uint32_t sel)
{
	if (d->mmio) {
		w32(d->base + MM_DFSEL, sel);
		return r32(d->base + MM_DF);
	}
	w32(d->common + CC_DFSELECT, sel);
	return r32(d->common + CC_DF);
}

static void drv_features(struct vdev *d, uint32_t sel, uint32_t v)
{
	if (d->mmio) {
		w32(d->base + MM_GFSEL, sel);
		w32(d->base + MM_GF, v);
	} else {
		w32(d->common + CC_GFSELECT, sel);
		w32(d->common + CC_GF, v);
	}
}

void vio_set_features(struct vdev *d, uint64_t f)
{
	drv_features(d, 0, (uint32_t)f);
	drv_features(d, 1, (uint32_t)(f >> 32));
}

/* A 64-bit queue address as two 32-bit writes (4.1.3.1: fields are accessed at their width). */
static void w64_split(uint64_t reg, uint64_t v)
{
	w32(reg, (uint32_t)v);
	w32(reg + 4, (uint32_t)(v >> 32));
}

void vio_queue_regs_write(struct vdev *d, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	if (d->mmio) {
		w32(d->base + MM_Q_SEL, d->qidx);
		w32(d->base + MM_Q_NUM, size);
		w64_split(d->base + MM_Q_DESC, desc);
		w64_split(d->base + MM_Q_DRIVER, avail);
		w64_split(d->base + MM_Q_DEVICE, used);
		return;
	}
	w16(d->common + CC_Q_SELECT, d->qidx);
	w16(d->common + CC_Q_SIZE, size);
	w64_split(d->common + CC_Q_DESC, desc);
	w64_split(d->common + CC_Q_AVAIL, avail);
	w64_split(d->common + CC_Q_USED, used);
}

static uint64_t r64_split(uint64_t reg)
{
	return r32(reg) | (uint64_t)r32(reg + 4) << 32;
}

bool vio_queue_regs_same(struct vdev *d)
{
	if (d->mmio) { /* only QueueReady reads back on virtio-mmio (4.2.2) */
		w32(d->base + MM_Q_SEL, d->qidx);
		return r32(d->base + MM_Q_READY) == 1;
	}
	w16(d->common + CC_Q_SELECT, d->qidx);
	return r16(d->common + CC_Q_SIZE) == QSZ && r16(d->common + CC_Q_ENABLE) == 1 &&
	       r64_split(d->common + CC_Q_DESC) == addr_of(d->desc) &&
	       r64_split(d->common + CC_Q_AVAIL) == addr_of(d->avail) &&
	       r64_split(d->common + CC_Q_USED) == addr_of(d->used);
}

bool vio_queue_try_enable(struct vdev *d)
{
	if (d->mmio) {
		w32(d->base + MM_Q_SEL, d->qidx);
		w32(d->base + MM_Q_READY, 1);
		return r32(d->base + MM_Q_READY) == 1;
	}
	w16(d->common + CC_Q_SELECT, d->qidx);
	d->notify_off = r16(d->common + CC_Q_NOFF);
	w16(d->common + CC_Q_ENABLE, 1);
	return r16(d->common + CC_Q_ENABLE) == 1;
}

void vio_queue_disable(struct vdev *d)
{
	/* virtio-pci has no way to disable a queue but reset (4.1.4.3.2: write 1 only); an
	 * out-of-range queue_select must reach nothing. virtio-mmio's QueueReady 0 takes a
	 * queue down (4.2.2), but not a live one: vmm freezes queues at DRIVER_OK. */
	if (d->mmio) {
		w32(d->base + MM_Q_SEL, d->qidx);
		w32(d->base + MM_Q_READY, 0);
		return;
	}
	w16(d->common + CC_Q_ENABLE, 0);
	w16(d->common + CC_Q_SELECT, 100);
	w16(d->common + CC_Q_SIZE, 2);
	w16(d->common + CC_Q_ENABLE, 1);
}

/* Notifications for queues that do not exist: by value (mmio) and by address (pci). */
void vio_bogus_kicks(struct vdev *d)
{
	if (d->mmio) {
		w32(d->base + MM_Q_NOTIFY, 7);
		w32(d->base + MM_Q_NOTIFY, 0xffffffff);
		return;
	}
	for (unsigned q = 1; q < 8; q++)
		w16(d->notify + (uint64_t)q * d->notify_mult, q);
	w16(d->notify, 0xffff);
}

/* Queue d->qidx of size QSZ on its ring memory (4.1.5.1.3, 4.2.3.2). */
static void queue_setup(struct vdev *d)
{
	uint8_t *ring = d->ring ? d->ring : ring_mem;
	uint32_t max;

	if (d->mmio) {
		w32(d->base + MM_Q_SEL, d->qidx);
		max = r32(d->base + MM_Q_NUM_MAX);
	} else {
		w16(d->common + CC_Q_SELECT, d->qidx);
		max = r16(d->common + CC_Q_SIZE);
	}
	check(max >= QSZ, "queue smaller than we need", d->qidx);
	memset(ring, 0, RING_BYTES);
	d->desc = (volatile struct vdesc *)ring;
	d->avail = (volatile uint16_t *)(ring + 0x400);
	d->used = (volatile uint16_t *)(ring + 0x800);
	d->avail_idx = d->used_idx = 0;
	/* Polled: ask for no interrupts (2.7.7). */
	d->avail[0] = AVAIL_F_NO_INTERRUPT;
	vio_queue_regs_write(d, QSZ, addr_of(d->desc), addr_of(d->avail), addr_of(d->used));
	check(vio_queue_try_enable(d), "queue did not enable", d->qidx);
}

void vio_reset(struct vdev *d)
{
	uint64_t end = now_us() + WAIT_US;

	vio_set_status(d, 0);
	/* 4.1.4.3.2 / 4.2.2.1: the reset is complete once device_status reads 0. */
	while (vio_status(d) != 0)
		check(now_us() < end, "device reset never completes", vio_status(d));
}

void vio_begin(struct vdev *d)
{
	uint64_t offered;

	vio_reset(d);
	vio_set_status(d, ST_ACK);
	vio_set_status(d, ST_ACK | ST_DRIVER);
	offered = dev_features(d, 0) | (uint64_t)dev_features(d, 1) << 32;
	check(offered & (1ULL << F_VERSION_1), "VERSION_1 not offered", offered);
	check(offered & (1ULL << F_INDIRECT), "INDIRECT_DESC not offered", offered);
	d->features = 1ULL << F_VERSION_1 | 1ULL << F_INDIRECT;
	vio_set_features(d, d->features);
	vio_set_status(d, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	check(vio_status(d) & ST_FEATURES_OK, "FEATURES_OK refused", vio_status(d));
}

void vio_init_queues(struct vdev *qs, unsigned n)
{
	struct vdev *d = &qs[0];

	vio_begin(d);
	for (unsigned i = 0; i < n; i++)
		queue_setup(&qs[i]);
	vio_set_status(d, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	check(vio_status(d) == (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK), "status after init",
	      vio_status(d));
}

void vio_init(struct vdev *d)
{
	vio_init_queues(d, 1);
}

void vio_kick(struct vdev *d)
{
	dsb(); /* descriptors and avail idx before the notification (2.7.13) */
	if (d->mmio)
		w32(d->base + MM_Q_NOTIFY, d->qidx);
	else
		w16(d->notify + (uint64_t)d->notify_off * d->notify_mult, d->qidx);
}

void vio_submit(struct vdev *d, uint16_t head)
{
	d->avail[2 + d->avail_idx % QSZ] = head;
	dmb(); /* the ring entry before the index that publishes it (2.7.13.2) */
	d->avail[1] = ++d->avail_idx;
	vio_kick(d);
}

enum outcome vio_wait(struct vdev *d)
{
	uint64_t end = now_us() + WAIT_US;

	while (now_us() < end) {
		dmb();
		if (d->used[1] != d->used_idx) {
			d->used_idx++;
			dmb(); /* the status byte is written before used idx moves (2.7.8.2) */
			if (d->no_status)
				return OUT_OK;
			return req_status[0] == 0 ? OUT_OK : OUT_ERR;
		}
		if (vio_status(d) & ST_NEEDS_RESET) {
			d->breaks++;
			return OUT_RESET;
		}
		delay_us(20);
	}
	return OUT_TIMEOUT;
}

void vio_build_read(struct vdev *d, uint64_t sector, uint32_t len)
{
	req_hdr.type = BLK_T_IN;
	req_hdr.reserved = 0;
	req_hdr.sector = sector;
	req_status[0] = 0xff;
	d->desc[0] = (struct vdesc){ addr_of(&req_hdr), sizeof(req_hdr), D_NEXT, 1 };
	d->desc[1] = (struct vdesc){ addr_of(req_data), len, D_WRITE | D_NEXT, 2 };
	d->desc[2] = (struct vdesc){ addr_of(req_status), 1, D_WRITE, 0 };
}

void vio_good_read(struct vdev *d, const char *when)
{
	enum outcome o;

	memset((void *)req_data, 0x5a, 512);
	vio_build_read(d, 0, 512);
	vio_submit(d, 0);
	o = vio_wait(d);
	if (o != OUT_OK) {
		puts_("HOSTILE-FAIL good read after ");
		puts_(when);
		fail(": outcome", o);
	}
	/* The used element names our head and counts data plus status (2.7.8). */
	check(r32(addr_of(d->used) + 4 + 8 * ((d->used_idx - 1) % QSZ)) == 0, "used id", 0);
	for (unsigned i = 0; i < sizeof(disk_magic); i++)
		check(req_data[i] == (uint8_t)disk_magic[i], "sector 0 content", i);
}

void vio_recover(struct vdev *d, const char *when)
{
	vio_init(d);
	vio_good_read(d, when);
}

/* virtio-mmio: the window that holds a device_id device (4.2.2: magic, version 2, the ID). */
bool vio_find_mmio(const struct platform *p, struct vdev *d, uint32_t device_id)
{
	for (unsigned i = 0; i < p->nr_mmio; i++) {
		uint64_t b = p->mmio[i];

		if (r32(b + MM_MAGIC) == 0x74726976 && r32(b + MM_VERSION) == 2 && r32(b + MM_DEVICE_ID) == device_id) {
			d->mmio = true;
			d->base = b;
			return true;
		}
	}
	return false;
}
