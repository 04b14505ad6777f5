/* mmio.c - the virtio-mmio transport, version 2 (virtio 1.2, section 4.2): for kernels
 * without PCI. Each device has a 512-byte window and one level SPI (resampling irqfd);
 * kicks go to KVM_IOEVENTFD on QueueNotify, matched on the queue index. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../bus.h"
#include "../devices/env.h"
#include "../emit.h"
#include "../fdt/fdt_build.h"
#include "../irqchip/irq.h"
#include "../util.h"
#include "transport.h"

/* Register offsets (4.2.2). */
enum {
	MMIO_MAGIC = 0x000, MMIO_VERSION = 0x004, MMIO_DEVICE_ID = 0x008, MMIO_VENDOR_ID = 0x00c,
	MMIO_DEV_FEATURES = 0x010, MMIO_DEV_FEATURES_SEL = 0x014, MMIO_DRV_FEATURES = 0x020,
	MMIO_DRV_FEATURES_SEL = 0x024, MMIO_QUEUE_SEL = 0x030, MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038, MMIO_QUEUE_READY = 0x044, MMIO_QUEUE_NOTIFY = 0x050,
	MMIO_INT_STATUS = 0x060, MMIO_INT_ACK = 0x064, MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC_LO = 0x080, MMIO_QUEUE_DESC_HI = 0x084, MMIO_QUEUE_DRIVER_LO = 0x090,
	MMIO_QUEUE_DRIVER_HI = 0x094, MMIO_QUEUE_DEVICE_LO = 0x0a0, MMIO_QUEUE_DEVICE_HI = 0x0a4,
	MMIO_CONFIG_GEN = 0x0fc, MMIO_CONFIG = 0x100,
};
#define MMIO_MAGIC_VALUE 0x74726976 /* "virt" */
#define MMIO_VENDOR      0x00766d6d /* "vmm" */

struct virtio_mmio {
	uint64_t base;
	uint32_t intid;
	uint64_t kick_addr;     /* QueueNotify while kicks are registered, else 0 */
};

static struct virtio_mmio *mmio_of(struct virtio_dev *vd)
{
	return vd->transport_state;
}

static void mmio_interrupt(struct virtio_dev *vd, int q)
{
	virtio_line_raise(vd, q == VIRTIO_CONFIG_IRQ ? 2 : 1);
}

static bool mmio_line_in_use(struct virtio_dev *vd)
{
	(void)vd;
	return true;
}

/* One ioeventfd per enabled queue on the shared QueueNotify, told apart by the index written. */
static void mmio_kicks_update(struct virtio_dev *vd)
{
	uint64_t addr = mmio_of(vd)->base + MMIO_QUEUE_NOTIFY;

	for (unsigned q = 0; q < vd->ops->nr_queues; q++) {
		struct virtio_queue_state *qs = &vd->queues[q];
		uint64_t want = qs->enabled ? addr : 0;

		if (want == qs->ioeventfd_addr)
			continue;
		if (qs->ioeventfd_addr)
			virtio_ioeventfd(vd, qs->kick_fd, qs->ioeventfd_addr, 4, q, false);
		qs->ioeventfd_addr = 0;
		if (want && virtio_ioeventfd(vd, qs->kick_fd, want, 4, q, true) == 0)
			qs->ioeventfd_addr = want;
	}
}

static void mmio_destroy(struct virtio_dev *vd)
{
	free(mmio_of(vd));
}

/* Its register window and SPI. */
static void mmio_report(const struct virtio_dev *vd, struct emit *e)
{
	const struct virtio_mmio *m = vd->transport_state;

	emit_str(e, "transport", "mmio");
	emit_hex(e, "mmio_base", m->base, 0);
	emit_u64(e, "spi", m->intid);
}

static const struct virtio_transport mmio_transport = {
	.name = "virtio-mmio",
	.interrupt = mmio_interrupt,
	.kicks_update = mmio_kicks_update,
	.line_in_use = mmio_line_in_use,
	.destroy = mmio_destroy,
	.report = mmio_report,
};

static uint32_t mmio_reg_read(struct virtio_dev *vd, uint32_t off)
{
	struct virtio_queue_state *qs = virtio_selected_queue(vd);

	switch (off) {
	case MMIO_MAGIC: return MMIO_MAGIC_VALUE;
	case MMIO_VERSION: return 2;
	case MMIO_DEVICE_ID: return vd->ops->device_id;
	case MMIO_VENDOR_ID: return MMIO_VENDOR;
	case MMIO_DEV_FEATURES: return virtio_features_read(vd, false);
	case MMIO_QUEUE_NUM_MAX: return qs ? vd->ops->queue_size : 0; /* 0: no such queue */
	case MMIO_QUEUE_READY: return qs && qs->enabled;
	case MMIO_INT_STATUS: return vd->isr;
	case MMIO_STATUS: return virtio_status_read(vd);
	case MMIO_CONFIG_GEN: return vd->config_generation;
	default: return 0;
	}
}

static void mmio_queue_write(struct virtio_dev *vd, struct virtio_queue_state *qs, uint32_t off, uint32_t val)
{
	switch (off) {
	case MMIO_QUEUE_NUM: case MMIO_QUEUE_READY: case MMIO_QUEUE_DESC_LO: case MMIO_QUEUE_DESC_HI:
	case MMIO_QUEUE_DRIVER_LO: case MMIO_QUEUE_DRIVER_HI: case MMIO_QUEUE_DEVICE_LO: case MMIO_QUEUE_DEVICE_HI:
		break;
	default:
		return; /* read-only or reserved */
	}
	if (!qs || virtio_queue_config_frozen(vd))
		return;
	if (off == MMIO_QUEUE_READY && val == 0 && qs->enabled) {
		/* 4.2.2: QueueReady reads back what was written; Linux writes 0 to take a queue down
		 * (after a reset, as DRIVER_OK freezes the queue). The ring is no longer ours: only
		 * QueueReady 1 (virtq_enable) checks it again. */
		qs->enabled = false;
		qs->vq.ready = false;
		vd->transport->kicks_update(vd);
		return;
	}
	if (qs->enabled)
		return; /* fixed while ready (4.2.2.2) */
	switch (off) {
	case MMIO_QUEUE_NUM: qs->vq.size = val <= vd->ops->queue_size ? val : 0; break;
	case MMIO_QUEUE_READY: if (val == 1) virtio_queue_enable(vd, qs); break;
	case MMIO_QUEUE_DESC_LO: case MMIO_QUEUE_DESC_HI:
		virtio_set_half(&qs->vq.desc_gpa, off == MMIO_QUEUE_DESC_HI, val); break;
	case MMIO_QUEUE_DRIVER_LO: case MMIO_QUEUE_DRIVER_HI:
		virtio_set_half(&qs->vq.avail_gpa, off == MMIO_QUEUE_DRIVER_HI, val); break;
	case MMIO_QUEUE_DEVICE_LO: case MMIO_QUEUE_DEVICE_HI:
		virtio_set_half(&qs->vq.used_gpa, off == MMIO_QUEUE_DEVICE_HI, val); break;
	}
}

static void mmio_reg_write(struct virtio_dev *vd, uint32_t off, uint32_t val)
{
	switch (off) {
	case MMIO_DEV_FEATURES_SEL: vd->device_feature_select = val; return;
	case MMIO_DRV_FEATURES: virtio_features_write(vd, val); return;
	case MMIO_DRV_FEATURES_SEL: vd->driver_feature_select = val; return;
	case MMIO_QUEUE_SEL: vd->queue_select = val; return;
	case MMIO_QUEUE_NOTIFY: virtio_kick(vd, val); return; /* one KVM did not catch */
	case MMIO_INT_ACK: vd->isr &= ~val; return;
	case MMIO_STATUS: virtio_status_write(vd, val); return;
	default: mmio_queue_write(vd, virtio_selected_queue(vd), off, val);
	}
}

static int mmio_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	struct virtio_dev *vd = dev;

	*val = 0;
	pthread_mutex_lock(&vd->lock);
	if (off >= MMIO_CONFIG && off - MMIO_CONFIG < vd->ops->config_size) {
		uint32_t o = off - MMIO_CONFIG, n = len;
		uint8_t buf[8] = { 0 };

		if (n > vd->ops->config_size - o)
			n = vd->ops->config_size - o;
		vd->ops->config_read(vd->dev, o, buf, n);
		*val = le_load(buf, len);
	} else if (off < MMIO_CONFIG && len == 4) {
		/* 4.2.2.2: the registers are 32 bits wide, accessed as such. */
		*val = mmio_reg_read(vd, off);
	}
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

static int mmio_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct virtio_dev *vd = dev;

	pthread_mutex_lock(&vd->lock);
	if (off < MMIO_CONFIG && len == 4)
		mmio_reg_write(vd, off, val);
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

static int mmio_fdt_node(void *dev, void *fdt)
{
	struct virtio_mmio *m = mmio_of(dev);
	uint64_t reg[2] = { m->base, VIRTIO_MMIO_SLOT };
	uint32_t irq[3];

	irqchip_fdt_spi(m->intid, irq);
	FDT_TRY(fdt_begin_node_at(fdt, "virtio_mmio", m->base));
	FDT_TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_prop_cells(fdt, "interrupts", irq, 3));
	FDT_TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static const struct device_ops virtio_mmio_ops = {
	.name = "virtio-mmio",
	.widths = WIDTH(1) | WIDTH(2) | WIDTH(4) | WIDTH(8),
	.read = mmio_read,
	.write = mmio_write,
	.fdt_node = mmio_fdt_node,
};

int virtio_mmio_create(struct virtio_host *h, const struct virtio_dev_ops *ops, void *dev, uint64_t features,
		       struct virtio_dev **out)
{
	unsigned slot = h->mmio_used;
	struct virtio_mmio *m = calloc(1, sizeof(*m));
	struct virtio_dev *vd = m ? virtio_dev_alloc(h->env, ops, dev, features, &mmio_transport) : NULL;
	int ret;

	if (!vd) {
		free(m);
		return -ENOMEM;
	}
	vd->transport_state = m;
	m->base = h->mmio_base + (uint64_t)slot * VIRTIO_MMIO_SLOT;
	m->intid = h->mmio_spi_first + slot;
	if (slot >= h->mmio_spi_count || (slot + 1) * VIRTIO_MMIO_SLOT > h->mmio_size)
		ret = -ENOSPC;
	else
		ret = virtio_line_setup(vd, m->intid);
	if (!ret)
		ret = mmio_bus_register(h->env->mmio, m->base, VIRTIO_MMIO_SLOT, &virtio_mmio_ops, vd);
	if (ret) {
		log_err("%s: cannot create the virtio-mmio device: %s", ops->name, strerror(-ret));
		vd->dev = NULL; /* the caller still owns the model */
		virtio_destroy(vd);
		return ret;
	}
	h->mmio_used++;
	virtio_reset(vd);
	*out = vd;
	return 0;
}

int virtio_create(struct virtio_host *h, const struct virtio_dev_ops *ops, void *dev, uint64_t features,
		  struct virtio_dev **out)
{
	return virtio_create_as(h, false, ops, dev, features, out);
}

int virtio_create_as(struct virtio_host *h, bool mmio, const struct virtio_dev_ops *ops, void *dev,
		     uint64_t features, struct virtio_dev **out)
{
	if (mmio || !h->pci)
		return virtio_mmio_create(h, ops, dev, features, out);
	return virtio_pci_create(h, ops, dev, features, out);
}
