/* pci.c - PCI host bridge (pci-host-ecam-generic): config space, BAR sizing and mapping. */
#include "pci.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../fdt/fdt_build.h"
#include "../irqchip/irq.h"
#include "../util.h"
#include "device.h"
#include "env.h"

static uint32_t cfg_get(const uint8_t *b, uint32_t off, unsigned len)
{
	return (uint32_t)le_load(b + off, len);
}

static void cfg_put(uint8_t *b, uint32_t off, unsigned len, uint32_t v)
{
	le_store(b + off, len, v);
}

void pci_device_init(struct pci_device *pd, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(pd->cfg, 0, sizeof(pd->cfg));
	memset(pd->wmask, 0, sizeof(pd->wmask));
	memset(pd->bars, 0, sizeof(pd->bars));
	pthread_mutex_init(&pd->lock, NULL);
	pd->name = name;
	cfg_put(pd->cfg, PCI_VENDOR_ID, 2, vendor);
	cfg_put(pd->cfg, PCI_DEVICE_ID, 2, device);
	cfg_put(pd->cfg, PCI_REVISION_ID, 1, 1);
	cfg_put(pd->cfg, PCI_CLASS_PROG, 3, class_code);
	cfg_put(pd->cfg, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	cfg_put(pd->cfg, PCI_SUBSYSTEM_ID, 2, subsys_id);
	cfg_put(pd->cfg, PCI_INTERRUPT_PIN, 1, 1); /* INTA# */
	cfg_put(pd->wmask, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	cfg_put(pd->wmask, PCI_INTERRUPT_LINE, 1, 0xff);
	pd->next_cap = 0x40;
}

int pci_bar_add(struct pci_device *pd, unsigned n, uint64_t size, bool mem64,
		const struct device_ops *ops, void *dev)
{
	uint32_t off = PCI_BAR0 + 4 * n;

	/* A BAR is a naturally aligned power of two; 64-bit BARs take two slots. */
	if (n >= PCI_NR_BARS || (mem64 && n + 1 >= PCI_NR_BARS) || size < SZ_4K ||
	    (size & (size - 1)) || size > (1ULL << 31))
		return -EINVAL;
	pd->bars[n] = (struct pci_bar){ .size = size, .mem64 = mem64, .ops = ops, .dev = dev };
	cfg_put(pd->cfg, off, 4, mem64 ? PCI_BAR_MEM64 : 0);
	cfg_put(pd->wmask, off, 4, (uint32_t)~(size - 1) & ~0xfu);
	if (mem64)
		cfg_put(pd->wmask, off + 4, 4, 0xffffffff);
	return 0;
}

int pci_cap_add(struct pci_device *pd, uint8_t id, const void *body, unsigned len, const void *wmask)
{
	unsigned off = pd->next_cap;

	if (len > PCI_CFG_SIZE || off + 2 + len > PCI_CFG_SIZE)
		return -ENOSPC;
	pd->cfg[off] = id;
	pd->cfg[off + 1] = 0;
	memcpy(pd->cfg + off + 2, body, len);
	if (wmask)
		memcpy(pd->wmask + off + 2, wmask, len);
	/* Link it at the end of the list (cap_next of the previous one, or the header pointer). */
	if (!(cfg_get(pd->cfg, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) {
		pd->cfg[PCI_CAPABILITY_LIST] = off;
		cfg_put(pd->cfg, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	} else {
		unsigned p = pd->cfg[PCI_CAPABILITY_LIST];

		while (pd->cfg[p + 1])
			p = pd->cfg[p + 1];
		pd->cfg[p + 1] = off;
	}
	pd->next_cap = ALIGN_UP(off + 2 + len, 4);
	return off;
}

/* BAR n's guest-programmed address (both halves for 64-bit BARs). */
static uint64_t bar_addr(const struct pci_device *pd, unsigned n)
{
	uint64_t a = cfg_get(pd->cfg, PCI_BAR0 + 4 * n, 4) & ~0xfULL;

	if (pd->bars[n].mem64)
		a |= (uint64_t)cfg_get(pd->cfg, PCI_BAR0 + 4 * n + 4, 4) << 32;
	return a;
}

/* A BAR is decoded only inside a PCI window: sizing values (all ones) never land on the bus. */
static bool bar_in_window(const struct pci_bus *bus, uint64_t addr, uint64_t size)
{
	const struct pci_window *win[2] = { &bus->layout.mmio32, &bus->layout.mmio64 };

	for (unsigned i = 0; i < 2; i++) {
		const struct pci_window *w = win[i];

		if (addr >= w->base && addr - w->base < w->size && size <= w->size - (addr - w->base))
			return true;
	}
	return false;
}

/* Map, move or unmap BARs to match the command register and BAR values. Lock held. */
static bool pci_remap_bars(struct pci_device *pd)
{
	bool mem_on = cfg_get(pd->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
	bool changed = false;

	for (unsigned n = 0; n < PCI_NR_BARS; n++) {
		struct pci_bar *b = &pd->bars[n];
		uint64_t want = 0, addr;

		if (!b->size)
			continue;
		addr = bar_addr(pd, n);
		if (mem_on && pd->bus && bar_in_window(pd->bus, addr, b->size))
			want = addr;
		if (want == b->mapped_at)
			continue;
		if (b->mapped_at)
			mmio_bus_unregister(pd->bus->env->mmio, b->mapped_at, b->dev);
		b->mapped_at = 0;
		if (want && mmio_bus_register(pd->bus->env->mmio, want, b->size, b->ops, b->dev) == 0)
			b->mapped_at = want;
		else if (want)
			log_ratelimited("pci: %s BAR%u at 0x%" PRIx64 " overlaps another region; not mapped",
					pd->name, n, want);
		changed = true;
	}
	return changed;
}

uint32_t pci_cfg_read(struct pci_device *pd, uint32_t off, unsigned len)
{
	uint32_t v;

	if (off >= PCI_CFG_SIZE || len > 4 || off + len > PCI_CFG_SIZE)
		return 0;
	pthread_mutex_lock(&pd->lock);
	v = cfg_get(pd->cfg, off, len);
	pthread_mutex_unlock(&pd->lock);
	return v;
}

uint64_t pci_bar_mapped_at(struct pci_device *pd, unsigned n)
{
	uint64_t at;

	if (n >= PCI_NR_BARS)
		return 0;
	pthread_mutex_lock(&pd->lock);
	at = pd->bars[n].mapped_at;
	pthread_mutex_unlock(&pd->lock);
	return at;
}

void pci_cfg_write(struct pci_device *pd, uint32_t off, unsigned len, uint32_t val)
{
	bool decode = off < PCI_BAR0 + 4 * PCI_NR_BARS && off + len > PCI_COMMAND;
	struct pci_bus *bus = decode ? pd->bus : NULL;
	bool remapped = false;

	if (off >= PCI_CFG_SIZE || len > 4 || off + len > PCI_CFG_SIZE)
		return;
	/* A write that may change decoding (command, BARs) and what the device hangs on its new
	 * addresses (bars_changed: KVM_IOEVENTFD kicks) are one step for the whole bus. Two
	 * steps, two vCPUs moving two functions interleaved: B mapped the range A had just
	 * left and registered its kick there while A's was still registered; KVM refused B's
	 * (EEXIST) and B's kicks took the slow path until its BAR moved again (issue 11). */
	if (bus)
		pthread_mutex_lock(&bus->decode_lock);
	pthread_mutex_lock(&pd->lock);
	for (unsigned i = 0; i < len; i++) {
		uint8_t m = pd->wmask[off + i], b = val >> (8 * i);

		pd->cfg[off + i] = (pd->cfg[off + i] & ~m) | (b & m);
	}
	if (decode)
		remapped = pci_remap_bars(pd);
	pthread_mutex_unlock(&pd->lock);
	if (remapped && pd->bars_changed)
		pd->bars_changed(pd->owner);
	if (bus)
		pthread_mutex_unlock(&bus->decode_lock);
	if (pd->cfg_written)
		pd->cfg_written(pd->owner, off, len);
}

uint16_t pci_requester_id(const struct pci_device *pd)
{
	return pd->devfn; /* bus 0 */
}

/* ECAM: offset = bus[27:20] device[19:15] function[14:12] register[11:0] (PCIe 7.2.2). */
static struct pci_device *ecam_device(struct pci_bus *bus, uint64_t off)
{
	unsigned slot = (off >> 15) & 0x1f, fn = (off >> 12) & 7;

	if ((off >> 20) != 0 || fn != 0)
		return NULL;
	for (unsigned i = 0; i < bus->nr; i++)
		if (bus->devs[i]->devfn == slot << 3)
			return bus->devs[i];
	return NULL;
}

static int ecam_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	struct pci_device *pd = ecam_device(dev, off);

	/* No device answers with all ones (a master abort). */
	*val = pd ? pci_cfg_read(pd, off & 0xfff, len) : (uint32_t)(0xffffffffu >> (32 - 8 * len));
	return 0;
}

static int ecam_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct pci_device *pd = ecam_device(dev, off);

	if (pd)
		pci_cfg_write(pd, off & 0xfff, len, val);
	return 0;
}

static int ecam_fdt_node(void *dev, void *fdt)
{
	return pci_fdt_node(dev, fdt);
}

static const struct device_ops ecam_ops = {
	.name = "pci-ecam",
	.widths = WIDTH(1) | WIDTH(2) | WIDTH(4),
	.read = ecam_read,
	.write = ecam_write,
	.fdt_node = ecam_fdt_node,
};

int pci_bus_create(const struct dev_env *env, const struct pci_layout *l, struct pci_bus **out)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	int ret;

	if (!bus)
		return -ENOMEM;
	bus->env = env;
	bus->layout = *l;
	pthread_mutex_init(&bus->decode_lock, NULL);
	bus->next_mmio32 = l->mmio32.base;
	ret = mmio_bus_register(env->mmio, l->ecam.base, l->ecam.size, &ecam_ops, bus);
	if (ret) {
		log_err("pci: cannot register ECAM: %s", strerror(-ret));
		pthread_mutex_destroy(&bus->decode_lock);
		free(bus);
		return ret;
	}
	*out = bus;
	return 0;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	pthread_mutex_destroy(&bus->decode_lock);
	free(bus);
}

int pci_device_add(struct pci_bus *bus, struct pci_device *pd)
{
	const struct pci_window *win;
	int ret;

	if (!bus || bus->nr >= PCI_MAX_DEVICES)
		return -ENOSPC;
	win = &bus->layout.mmio32;
	ret = irq_spi_alloc(bus->env->irq, 1, &pd->intx_intid);
	if (ret) {
		log_err("pci: %s: no SPI left for INTx", pd->name);
		return ret;
	}
	pd->bus = bus;
	pd->devfn = bus->nr << 3;
	cfg_put(pd->cfg, PCI_INTERRUPT_LINE, 1, pd->intx_intid - 32);
	/* Initial addresses, as firmware would leave them; the guest may reassign. */
	for (unsigned n = 0; n < PCI_NR_BARS; n++) {
		struct pci_bar *b = &pd->bars[n];
		uint64_t a = ALIGN_UP(bus->next_mmio32, b->size ? b->size : 1);

		if (!b->size)
			continue;
		if (a + b->size > win->base + win->size) {
			irq_spi_free(bus->env->irq, pd->intx_intid, 1);
			return -ENOSPC;
		}
		cfg_put(pd->cfg, PCI_BAR0 + 4 * n, 4, (uint32_t)a | (b->mem64 ? PCI_BAR_MEM64 : 0));
		bus->next_mmio32 = a + b->size;
	}
	bus->devs[bus->nr++] = pd;
	return 0;
}

/* interrupt-map: each slot's INTA# to its own SPI, so no line is shared. */
static int pci_fdt_interrupt_map(struct pci_bus *bus, void *fdt)
{
	uint32_t map[PCI_MAX_DEVICES * 10], mask[4] = { 0xf800, 0, 0, 7 };
	unsigned n = 0;

	for (unsigned i = 0; i < bus->nr; i++) {
		const struct pci_device *pd = bus->devs[i];
		/* child unit address (3), child pin (1), parent, parent unit address (2), GIC specifier (3) */
		uint32_t e[10] = { (uint32_t)pd->devfn << 8, 0, 0, 1, irqchip_phandle(bus->env->irq), 0, 0 };

		irqchip_fdt_spi(pd->intx_intid, e + 7);

		memcpy(map + n, e, sizeof(e));
		n += 10;
	}
	FDT_TRY(fdt_prop_cells(fdt, "interrupt-map-mask", mask, 4));
	if (n)
		FDT_TRY(fdt_prop_cells(fdt, "interrupt-map", map, n));
	return 0;
}

int pci_fdt_node(struct pci_bus *bus, void *fdt)
{
	const struct pci_window *ecam = &bus->layout.ecam;
	const struct pci_window *lo = &bus->layout.mmio32, *hi = &bus->layout.mmio64;
	uint64_t reg[2] = { ecam->base, ecam->size };
	/* ranges: <pci space (3 cells)> <cpu address (2)> <size (2)>; 0x02: 32-bit memory, 0x03: 64-bit. */
	uint32_t ranges[14] = {
		0x02000000, (uint32_t)(lo->base >> 32), (uint32_t)lo->base, (uint32_t)(lo->base >> 32),
		(uint32_t)lo->base, (uint32_t)(lo->size >> 32), (uint32_t)lo->size,
		0x03000000, (uint32_t)(hi->base >> 32), (uint32_t)hi->base, (uint32_t)(hi->base >> 32),
		(uint32_t)hi->base, (uint32_t)(hi->size >> 32), (uint32_t)hi->size,
	};
	uint32_t bus_range[2] = { 0, 0 };

	FDT_TRY(fdt_begin_node_at(fdt, "pcie", ecam->base));
	FDT_TRY(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
	FDT_TRY(fdt_property_string(fdt, "device_type", "pci"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 3));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "linux,pci-domain", 0));
	FDT_TRY(fdt_prop_cells(fdt, "bus-range", bus_range, 2));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_prop_cells(fdt, "ranges", ranges, 14));
	FDT_TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
	FDT_TRY(irqchip_fdt_msi_parent(bus->env->irq, fdt));
	FDT_TRY(pci_fdt_interrupt_map(bus, fdt));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static void pci_bus_class_destroy(void *dev)
{
	pci_bus_destroy(dev);
}

/* The bridge in the VM's device list; the functions on it are listed by their owners. */
const struct device_class pci_bus_device_class = { .name = "pci-host", .destroy = pci_bus_class_destroy };
