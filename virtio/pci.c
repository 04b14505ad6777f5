/* pci.c - the modern virtio-pci transport (virtio 1.2, section 4.1) with MSI-X,
 * KVM_IOEVENTFD queue kicks and KVM_IRQFD interrupts (MSI routes, or INTx with resampling). */
#include "virtio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/msix.h"
#include "../devices/pci.h"
#include "../emit.h"
#include "../util.h"
#include "transport.h"

/* BAR0 layout: one 32 KiB memory BAR holds every structure. */
#define BAR_COMMON     0x0000
#define BAR_ISR        0x1000
#define BAR_DEVICE     0x2000
#define BAR_NOTIFY     0x3000
#define BAR_MSIX_TABLE 0x4000
#define BAR_MSIX_PBA   0x5000
#define BAR_SIZE       0x8000
#define NOTIFY_MULTIPLIER 4
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* virtio_pci_cap cfg_type values (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* Common configuration structure offsets (4.1.4.3). */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
	CC_MSIX_CONFIG = 0x10, CC_NUM_QUEUES = 0x12, CC_STATUS = 0x14, CC_CFG_GEN = 0x15,
	CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18, CC_Q_MSIX = 0x1a, CC_Q_ENABLE = 0x1c,
	CC_Q_NOFF = 0x1e, CC_Q_DESCLO = 0x20, CC_Q_DESCHI = 0x24, CC_Q_AVAILLO = 0x28,
	CC_Q_AVAILHI = 0x2c, CC_Q_USEDLO = 0x30, CC_Q_USEDHI = 0x34, CC_END = 0x3c,
};

/* What only virtio-pci has: the function, its MSI-X, and which vector each source uses. */
struct virtio_pci {
	struct pci_device pci;
	struct msix msix;
	bool bus_master;        /* Bus Master Enable as last seen, to act when it is set */
	uint16_t config_vector; /* config_msix_vector (4.1.4.3) */
	uint16_t queue_vector[VIRTIO_MAX_QUEUES]; /* queue_msix_vector of each queue */
};

static struct virtio_pci *pci_of(const struct virtio_dev *vd)
{
	return vd->transport_state;
}

/* ---- interrupts ---- */

/* No DMA without Bus Master Enable (PCI 3.0, 6.2.2). */
static bool pci_dma_allowed(struct virtio_dev *vd)
{
	return pci_cfg_read(&pci_of(vd)->pci, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
}

/* An MSI-X message is a memory write, which Bus Master Enable also gates (PCIe 4.0,
 * 7.5.1.1.3: clearing it disables MSI/MSI-X messages): held pending like a masked one, and
 * sent once it is set again (virtio_cfg_written), so no interrupt is lost. */
static bool msix_may_send(void *owner)
{
	return pci_dma_allowed(owner);
}

/* MSI-X when the driver enabled it, else INTx. */
static void pci_interrupt(struct virtio_dev *vd, int q)
{
	struct virtio_pci *p = pci_of(vd);

	if (msix_enabled(&p->msix)) {
		if (msix_signal(&p->msix, q == VIRTIO_CONFIG_IRQ ? p->config_vector : p->queue_vector[q]) > 0)
			vd->interrupts++;
	} else {
		virtio_line_raise(vd, q == VIRTIO_CONFIG_IRQ ? 2 : 1);
	}
}

/* vhost's call: the queue's vector's irqfd while a message through it would go out now;
 * with MSI-X off (INTx) an interrupt needs the ISR bit, so -1. */
static int pci_queue_irqfd(struct virtio_dev *vd, unsigned q)
{
	struct virtio_pci *p = pci_of(vd);

	return p->queue_vector[q] == VIRTIO_MSI_NO_VECTOR ? -1 : msix_vector_irqfd(&p->msix, p->queue_vector[q]);
}

static bool pci_line_in_use(struct virtio_dev *vd)
{
	return !msix_enabled(&pci_of(vd)->msix);
}

static bool pci_line_enabled(struct virtio_dev *vd)
{
	return !(pci_cfg_read(&pci_of(vd)->pci, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
}

/* ---- queue kicks ---- */

/* Register each enabled queue's kick address with KVM where BAR0 now is. Lock held. Safe
 * outside a BAR move too (queue enable, a slow kick): BAR0's range was free of any other
 * function's kicks before it was mapped there (the bus's decode_lock, devices/pci.h). */
static void ioeventfds_update(struct virtio_dev *vd)
{
	uint64_t bar = pci_bar_mapped_at(&pci_of(vd)->pci, 0);

	for (unsigned q = 0; q < vd->ops->nr_queues; q++) {
		struct virtio_queue_state *qs = &vd->queues[q];
		uint64_t want = (bar && qs->enabled) ? bar + BAR_NOTIFY + q * NOTIFY_MULTIPLIER : 0;

		if (want == qs->ioeventfd_addr)
			continue;
		/* Linux's vp_notify writes the queue index as 16 bits (virtio 1.2, 4.1.5.2). */
		if (qs->ioeventfd_addr)
			virtio_ioeventfd(vd, qs->kick_fd, qs->ioeventfd_addr, 2, -1, false);
		qs->ioeventfd_addr = 0;
		if (want && virtio_ioeventfd(vd, qs->kick_fd, want, 2, -1, true) == 0)
			qs->ioeventfd_addr = want;
	}
}

/* ---- device status and reset ---- */

/* ---- common configuration ---- */

static uint64_t common_read(struct virtio_dev *vd, uint32_t off)
{
	struct virtio_queue_state *qs = virtio_selected_queue(vd);

	switch (off) {
	case CC_DFSELECT: return vd->device_feature_select;
	case CC_DF: return virtio_features_read(vd, false);
	case CC_GFSELECT: return vd->driver_feature_select;
	case CC_GF: return virtio_features_read(vd, true);
	case CC_MSIX_CONFIG: return pci_of(vd)->config_vector;
	case CC_NUM_QUEUES: return vd->ops->nr_queues;
	case CC_STATUS: return virtio_status_read(vd);
	case CC_CFG_GEN: return vd->config_generation;
	case CC_Q_SELECT: return vd->queue_select;
	}
	if (!qs)
		return 0; /* a queue that does not exist reads as size 0 */
	switch (off) {
	case CC_Q_SIZE: return qs->vq.size;
	case CC_Q_MSIX: return pci_of(vd)->queue_vector[vd->queue_select];
	case CC_Q_ENABLE: return qs->enabled;
	case CC_Q_NOFF: return vd->queue_select;
	case CC_Q_DESCLO: return (uint32_t)qs->vq.desc_gpa;
	case CC_Q_DESCHI: return (uint32_t)(qs->vq.desc_gpa >> 32);
	case CC_Q_AVAILLO: return (uint32_t)qs->vq.avail_gpa;
	case CC_Q_AVAILHI: return (uint32_t)(qs->vq.avail_gpa >> 32);
	case CC_Q_USEDLO: return (uint32_t)qs->vq.used_gpa;
	case CC_Q_USEDHI: return (uint32_t)(qs->vq.used_gpa >> 32);
	default: return 0;
	}
}

static void queue_write(struct virtio_dev *vd, struct virtio_queue_state *qs, uint32_t off, uint32_t val)
{
	struct virtio_pci *p = pci_of(vd);

	if (off == CC_Q_MSIX) {
		p->queue_vector[qs - vd->queues] = val < p->msix.nr_vectors ? val : VIRTIO_MSI_NO_VECTOR;
		virtio_irqs_changed(vd);
		return;
	}
	switch (off) {
	case CC_Q_SIZE: case CC_Q_ENABLE: case CC_Q_DESCLO: case CC_Q_DESCHI:
	case CC_Q_AVAILLO: case CC_Q_AVAILHI: case CC_Q_USEDLO: case CC_Q_USEDHI:
		break;
	default:
		return; /* read-only */
	}
	if (virtio_queue_config_frozen(vd))
		return;
	if (qs->enabled)
		return; /* ring addresses and size are fixed once enabled (4.1.4.3.2) */
	switch (off) {
	case CC_Q_SIZE:
		/* Checked (power of two, <= max) by virtq_enable. */
		qs->vq.size = val <= vd->ops->queue_size ? val : 0;
		break;
	case CC_Q_ENABLE:
		if (val == 1)
			virtio_queue_enable(vd, qs);
		break;
	case CC_Q_DESCLO: case CC_Q_DESCHI: virtio_set_half(&qs->vq.desc_gpa, off == CC_Q_DESCHI, val); break;
	case CC_Q_AVAILLO: case CC_Q_AVAILHI: virtio_set_half(&qs->vq.avail_gpa, off == CC_Q_AVAILHI, val); break;
	case CC_Q_USEDLO: case CC_Q_USEDHI: virtio_set_half(&qs->vq.used_gpa, off == CC_Q_USEDHI, val); break;
	}
}

static void common_write(struct virtio_dev *vd, uint32_t off, uint32_t val)
{
	struct virtio_queue_state *qs = virtio_selected_queue(vd);

	switch (off) {
	case CC_DFSELECT: vd->device_feature_select = val; return;
	case CC_GFSELECT: vd->driver_feature_select = val; return;
	case CC_GF: virtio_features_write(vd, val); return;
	case CC_MSIX_CONFIG:
		pci_of(vd)->config_vector = val < pci_of(vd)->msix.nr_vectors ? val : VIRTIO_MSI_NO_VECTOR;
		return;
	case CC_STATUS: virtio_status_write(vd, val); return;
	case CC_Q_SELECT: vd->queue_select = val; return;
	}
	if (qs)
		queue_write(vd, qs, off, val);
}

/* Width of each common-config field: the driver must access it with exactly that. */
static unsigned common_width(uint32_t off)
{
	if (off == CC_STATUS || off == CC_CFG_GEN)
		return 1;
	if (off < CC_MSIX_CONFIG || (off >= CC_Q_DESCLO && off < CC_END))
		return 4;
	return off < CC_END ? 2 : 0;
}

/* ---- BAR0 ---- */

static int bar_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	struct virtio_dev *vd = dev;

	*val = 0;
	pthread_mutex_lock(&vd->lock);
	if (off < BAR_ISR) {
		if (common_width(off) == len)
			*val = common_read(vd, off);
	} else if (off < BAR_ISR + 4) {
		/* Reading ISR clears it (4.1.4.5). */
		*val = vd->isr;
		vd->isr = 0;
	} else if (off >= BAR_DEVICE && off - BAR_DEVICE < vd->ops->config_size) {
		uint32_t o = off - BAR_DEVICE, n = len;
		uint8_t buf[8] = { 0 };

		if (n > vd->ops->config_size - o)
			n = vd->ops->config_size - o;
		vd->ops->config_read(vd->dev, o, buf, n);
		*val = le_load(buf, len);
	} else if (msix_bar_claims(&pci_of(vd)->msix, off)) {
		*val = msix_bar_read(&pci_of(vd)->msix, off, len);
	}
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

static int bar_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct virtio_dev *vd = dev;

	pthread_mutex_lock(&vd->lock);
	if (off < BAR_ISR) {
		if (common_width(off) == len)
			common_write(vd, off, val);
		else
			log_ratelimited("%s: %u-byte access to common config 0x%" PRIx64 " refused",
					vd->ops->name, len, off);
	} else if (off >= BAR_NOTIFY && off < BAR_NOTIFY + vd->ops->nr_queues * NOTIFY_MULTIPLIER) {
		/* A kick KVM_IOEVENTFD did not catch (other width, BAR moving): same path. If
		 * the queue's KVM_IOEVENTFD failed to register, try again now (a no-op when it is
		 * where it should be), or every kick stays a slow MMIO exit until the BAR moves. */
		ioeventfds_update(vd);
		virtio_kick(vd, (off - BAR_NOTIFY) / NOTIFY_MULTIPLIER);
	} else if (msix_bar_claims(&pci_of(vd)->msix, off)) {
		msix_bar_write(&pci_of(vd)->msix, off, len, val);
		virtio_irqs_changed(vd); /* a vector's mask, address or data */
	}
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

static const struct device_ops virtio_bar_ops = {
	.name = "virtio-pci",
	.widths = WIDTH(1) | WIDTH(2) | WIDTH(4) | WIDTH(8),
	.read = bar_read,
	.write = bar_write,
};

/* PCI callbacks (pd->lock not held). */
static void virtio_cfg_written(void *owner, uint32_t off, unsigned len)
{
	struct virtio_dev *vd = owner;
	struct virtio_pci *p = pci_of(vd);
	bool command = off < PCI_COMMAND + 2 && off + len > PCI_COMMAND;

	if (!command && !msix_cap_written(&p->msix, off, len))
		return;
	pthread_mutex_lock(&vd->lock);
	if (command && pci_dma_allowed(vd) != p->bus_master) {
		p->bus_master = !p->bus_master;
		/* Bus mastering is back: what waited for it goes out. Held MSI-X messages (below),
		 * and a kick for each live queue: completions a model held (blk) are returned, and
		 * chains made available, and kicked, meanwhile are taken (kicks are dropped while
		 * the queue is not live). A spurious kick is harmless (virtio 1.2, 2.9). */
		for (unsigned q = 0; p->bus_master && q < vd->ops->nr_queues; q++)
			if (virtio_queue_live(vd, q))
				virtio_kick(vd, q);
	}
	msix_update(&p->msix);
	virtio_irqs_changed(vd); /* MSI-X enable, function mask, Bus Master Enable */
	pthread_mutex_unlock(&vd->lock);
}

static void virtio_bars_changed(void *owner)
{
	struct virtio_dev *vd = owner;

	pthread_mutex_lock(&vd->lock);
	ioeventfds_update(vd);
	pthread_mutex_unlock(&vd->lock);
}

/* ---- creation ---- */

static int add_virtio_cap(struct pci_device *pd, uint8_t type, uint32_t offset, uint32_t length)
{
	/* struct virtio_pci_cap after id/next: cap_len, cfg_type, bar, id, pad[2], offset, length,
	 * then notify_off_multiplier for the notify capability (4.1.4). */
	uint8_t body[18] = { 0 };
	unsigned len = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 18 : 14;

	body[0] = len + 2;
	body[1] = type;
	le_store(body + 6, 4, offset);
	le_store(body + 10, 4, length);
	le_store(body + 14, 4, NOTIFY_MULTIPLIER);
	return pci_cap_add(pd, PCI_CAP_ID_VNDR, body, len, NULL);
}

static int virtio_pci_setup(struct virtio_dev *vd, struct pci_bus *bus)
{
	const struct virtio_dev_ops *ops = vd->ops;
	struct virtio_pci *p = pci_of(vd);
	struct pci_device *pd = &p->pci;
	int ret;

	/* Non-transitional device: ID 0x1040 + virtio device ID, revision 1 (4.1.2). */
	pci_device_init(pd, ops->name, 0x1af4, 0x1040 + ops->device_id, ops->class_code, 0x1af4, 0x40);
	pd->owner = vd;
	pd->cfg_written = virtio_cfg_written;
	pd->bars_changed = virtio_bars_changed;
	ret = pci_bar_add(pd, 0, BAR_SIZE, false, &virtio_bar_ops, vd);
	if (ret)
		return ret;
	if (add_virtio_cap(pd, VIRTIO_PCI_CAP_COMMON_CFG, BAR_COMMON, CC_END) < 0 ||
	    add_virtio_cap(pd, VIRTIO_PCI_CAP_NOTIFY_CFG, BAR_NOTIFY, ops->nr_queues * NOTIFY_MULTIPLIER) < 0 ||
	    add_virtio_cap(pd, VIRTIO_PCI_CAP_ISR_CFG, BAR_ISR, 1) < 0 ||
	    (ops->config_size && add_virtio_cap(pd, VIRTIO_PCI_CAP_DEVICE_CFG, BAR_DEVICE, ops->config_size) < 0))
		return -ENOSPC;
	/* MSI-X, table and PBA in BAR0: one vector per queue and one for config changes. The
	 * messages wait for Bus Master Enable (msix_may_send). */
	p->msix.may_send = msix_may_send;
	p->msix.owner = vd;
	ret = msix_init(&p->msix, pd, vd->irq, ops->nr_queues + 1, 0, BAR_MSIX_TABLE, BAR_MSIX_PBA);
	if (ret)
		return ret;
	ret = pci_device_add(bus, pd);
	if (ret)
		return ret;
	/* The kicks and INTx come from the core. */
	return virtio_line_setup(vd, pd->intx_intid);
}

/* Device reset: no vector for any source (4.1.4.3: VIRTIO_MSI_NO_VECTOR). */
static void pci_reset(struct virtio_dev *vd)
{
	struct virtio_pci *p = pci_of(vd);

	p->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		p->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
}

static void pci_destroy(struct virtio_dev *vd)
{
	struct virtio_pci *p = pci_of(vd);

	if (!p)
		return;
	msix_destroy(&p->msix);
	free(p);
}

/* Bus 0, function 0 of its slot; INTx when MSI-X is off. */
static void pci_report(const struct virtio_dev *vd, struct emit *e)
{
	const struct pci_device *pd = &pci_of(vd)->pci;
	char addr[12];

	snprintf(addr, sizeof(addr), "00:%02x.0", pd->devfn >> 3);
	emit_str(e, "transport", "pci");
	emit_str(e, "pci", addr);
	emit_u64(e, "intx_intid", pd->intx_intid);
}

static const struct virtio_transport pci_transport = {
	.name = "virtio-pci",
	.interrupt = pci_interrupt,
	.kicks_update = ioeventfds_update,
	.line_in_use = pci_line_in_use,
	.line_enabled = pci_line_enabled,
	.dma_allowed = pci_dma_allowed,
	.queue_irqfd = pci_queue_irqfd,
	.reset = pci_reset,
	.destroy = pci_destroy,
	.report = pci_report,
};

struct pci_device *virtio_pci_function(const struct virtio_dev *vd)
{
	return vd->transport == &pci_transport ? &pci_of(vd)->pci : NULL;
}

struct msix *virtio_pci_msix(const struct virtio_dev *vd)
{
	return vd->transport == &pci_transport ? &pci_of(vd)->msix : NULL;
}

int virtio_pci_create(struct virtio_host *h, const struct virtio_dev_ops *ops, void *dev, uint64_t features,
		      struct virtio_dev **out)
{
	struct virtio_dev *vd = virtio_dev_alloc(h->env, ops, dev, features, &pci_transport);
	int ret;

	if (!vd)
		return -ENOMEM;
	vd->transport_state = calloc(1, sizeof(struct virtio_pci));
	ret = vd->transport_state ? virtio_pci_setup(vd, h->pci) : -ENOMEM;
	if (ret) {
		log_err("%s: cannot create the virtio-pci function: %s", ops->name, strerror(-ret));
		vd->dev = NULL; /* the caller still owns the model */
		virtio_destroy(vd);
		return ret;
	}
	virtio_reset(vd);
	*out = vd;
	return 0;
}
