/* pci.c - find a virtio function through ECAM and set it up as firmware would:
 * BAR sizing and placement (PCI Local Bus 3.0, 6.2.5.1), the command register (6.2.2),
 * and the virtio vendor capabilities (virtio 1.2, 4.1.4). */
#include "hostile.h"

#define VENDOR_VIRTIO 0x1af4
#define DEVICE_MODERN 0x1040        /* + the device ID: modern-only (4.1.2.1) */

#define CFG_COMMAND   0x04
#define CFG_STATUS    0x06
#define CFG_BAR0      0x10
#define CFG_CAP_PTR   0x34
#define CMD_MEMORY    0x0002
#define CMD_MASTER    0x0004
#define STATUS_CAPS   0x0010
#define CAP_VNDR      0x09
#define CAP_MSIX      0x11

/* virtio_pci_cap.cfg_type (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR    3
#define VIRTIO_PCI_CAP_DEVICE 4

static uint64_t ecam_base;

uint64_t cfg_base(struct vdev *d) { return ecam_base + d->dev_cfg_off; }
uint32_t cfg_r32(struct vdev *d, unsigned off) { return r32(ecam_base + d->dev_cfg_off + off); }
void cfg_w32(struct vdev *d, unsigned off, uint32_t v) { w32(ecam_base + d->dev_cfg_off + off, v); }
uint16_t cfg_r16(struct vdev *d, unsigned off) { return r16(ecam_base + d->dev_cfg_off + off); }
void cfg_w16(struct vdev *d, unsigned off, uint16_t v) { w16(ecam_base + d->dev_cfg_off + off, v); }

static uint8_t cfg_r8(struct vdev *d, unsigned off)
{
	return r8(ecam_base + d->dev_cfg_off + off);
}

/* Size BAR0 with memory decoding off: write all ones, read the mask back (6.2.5.1). */
static uint64_t bar0_size(struct vdev *d)
{
	uint32_t v;

	cfg_w16(d, CFG_COMMAND, 0);
	cfg_w32(d, CFG_BAR0, 0xffffffff);
	v = cfg_r32(d, CFG_BAR0);
	check(!(v & 1), "BAR0 is not a memory BAR", v);
	check(((v >> 1) & 3) == 0, "BAR0 is not a 32-bit BAR", v);
	return (uint64_t)(uint32_t)~(v & ~0xfu) + 1;
}

void pci_set_bar0(struct vdev *d, uint64_t addr)
{
	uint64_t delta = addr - d->bar0;

	cfg_w16(d, CFG_COMMAND, 0);
	cfg_w32(d, CFG_BAR0, (uint32_t)addr);
	cfg_w16(d, CFG_COMMAND, CMD_MEMORY | CMD_MASTER);
	d->bar0 = addr;
	d->common += delta;
	d->notify += delta;
	d->isr += delta;
	d->devcfg += delta;
}

/* One virtio_pci_cap: where in BAR0 its structure is. */
static void virtio_cap(struct vdev *d, unsigned c)
{
	uint8_t type = cfg_r8(d, c + 3), bar = cfg_r8(d, c + 4);
	uint64_t at = d->bar0 + cfg_r32(d, c + 8);

	if (type < VIRTIO_PCI_CAP_COMMON || type > VIRTIO_PCI_CAP_DEVICE)
		return; /* PCI config access (5) and vendor types are not used here */
	check(bar == 0, "virtio structure outside BAR0", bar);
	if (type == VIRTIO_PCI_CAP_COMMON) {
		d->common = at;
	} else if (type == VIRTIO_PCI_CAP_NOTIFY) {
		d->notify = at;
		d->notify_mult = cfg_r32(d, c + 16);
	} else if (type == VIRTIO_PCI_CAP_ISR) {
		d->isr = at;
	} else {
		d->devcfg = at;
	}
}

/* Walk the capability list; bounded, as a list may loop (48 caps fill 192 bytes). */
static void walk_caps(struct vdev *d)
{
	unsigned c = cfg_r8(d, CFG_CAP_PTR) & 0xfc;

	d->common = d->notify = d->isr = d->devcfg = 0;
	d->msix_cap = 0;
	check(cfg_r16(d, CFG_STATUS) & STATUS_CAPS, "no capability list", cfg_r16(d, CFG_STATUS));
	for (unsigned n = 0; c >= 0x40 && n < 48; n++) {
		uint8_t id = cfg_r8(d, c);

		if (id == CAP_VNDR)
			virtio_cap(d, c);
		else if (id == CAP_MSIX)
			d->msix_cap = c;
		c = cfg_r8(d, c + 1) & 0xfc;
	}
	check(d->common && d->notify && d->isr && d->devcfg, "missing virtio capability", d->common);
	check(d->msix_cap != 0, "no MSI-X capability", 0);
}

bool pci_find(const struct platform *p, struct vdev *d, uint32_t device_id, uint64_t bar0)
{
	ecam_base = p->ecam;
	/* Function 0 of each device on bus 0: vmm puts one function per slot. */
	for (unsigned dev = 0; dev < 32; dev++) {
		d->dev_cfg_off = dev << 15; /* ECAM: device in bits 19:15 (PCIe 7.2.2) */
		if (cfg_r16(d, 0) != VENDOR_VIRTIO || cfg_r16(d, 2) != DEVICE_MODERN + device_id)
			continue;
		d->bar0_size = bar0_size(d);
		check(d->bar0_size >= 0x1000, "BAR0 too small", d->bar0_size);
		d->bar0 = 0;
		cfg_w32(d, CFG_BAR0, (uint32_t)bar0);
		cfg_w16(d, CFG_COMMAND, CMD_MEMORY | CMD_MASTER);
		d->bar0 = bar0;
		walk_caps(d);
		return true;
	}
	return false;
}
