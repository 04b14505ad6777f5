/* its.c - the in-kernel GICv3 ITS (Documentation/virt/kvm/devices/arm-vgic-its.rst). */
#include <errno.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "../fdt/fdt_build.h"
#include "../mem.h"
#include "../util.h"
#include "gic.h"

int its_create(struct irqchip *ic)
{
	uint64_t base = ic->layout.its_base;
	int fd;

	fd = vgic_device_create(ic, KVM_DEV_TYPE_ARM_VGIC_ITS, "its");
	if (fd < 0)
		return fd;
	ic->its_fd = fd;
	/* CTRL_INIT follows in gicv3_finalize, once the vGIC itself is initialised. */
	return vgic_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &base,
			     "its: base address");
}

int its_fdt_node(struct irqchip *ic, void *fdt)
{
	uint64_t reg[2] = { ic->layout.its_base, ic->layout.its_size };

	FDT_TRY(fdt_begin_node_at(fdt, "its", reg[0]));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
	FDT_TRY(fdt_property(fdt, "msi-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#msi-cells", 1));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_property_u32(fdt, "phandle", ic->its_phandle));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

int its_fdt_msi_parent(struct irqchip *ic, void *fdt)
{
	uint32_t msi_map[4] = { 0, ic->its_phandle, 0, 0x10000 }; /* requester ID = device ID */

	if (!ic->its_enabled)
		return 0;
	FDT_TRY(fdt_prop_cells(fdt, "msi-map", msi_map, 4));
	return 0;
}

int its_msi_route(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out)
{
	if (!ic->its_enabled)
		return -ENOTSUP;
	if (addr != ic->layout.its_base + GITS_TRANSLATER)
		return -EINVAL;
	*out = (struct irq_route){ .type = ROUTE_MSI, .msi_addr = addr, .msi_data = data, .devid = devid };
	return 0;
}

/* ---- info its: registers, and the guest's mappings from the tables KVM saves ---- */

#define GITS_CTLR   0x0000
#define GITS_TYPER  0x0008
#define GITS_CBASER 0x0080
#define GITS_CWRITER 0x0088
#define GITS_CREADR 0x0090
#define GITS_BASER  0x0100
#define BASER_VALID    (1ULL << 63)
#define BASER_INDIRECT (1ULL << 62)
#define BASER_TYPE(b)  (((b) >> 56) & 7)  /* 1 devices, 4 collections */
#define BASER_PAGE(b)  (((b) >> 8) & 3)   /* 0: 4K, 1: 16K, 2: 64K */
#define DTE_VALID      (1ULL << 63)

static int its_reg(struct irqchip *ic, uint64_t off, uint64_t *val)
{
	struct kvm_device_attr a = { .group = KVM_DEV_ARM_VGIC_GRP_ITS_REGS, .attr = off,
				     .addr = (uint64_t)(uintptr_t)val };

	return ioctl(ic->its_fd, KVM_GET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

static uint64_t baser_addr(uint64_t b)
{
	/* 64 KiB pages keep PA[51:48] in bits 15:12 (GICv3 spec, GITS_BASER). */
	if (BASER_PAGE(b) == 2)
		return (b & 0x0000ffffffff0000ULL) | (((b >> 12) & 0xf) << 48);
	return b & 0x0000fffffffff000ULL;
}

static uint64_t baser_page_size(uint64_t b)
{
	return BASER_PAGE(b) == 0 ? 0x1000 : BASER_PAGE(b) == 1 ? 0x4000 : 0x10000;
}

/* An 8-byte table entry in guest memory; false if outside RAM. */
static bool its_entry(struct irqchip *ic, uint64_t gpa, uint64_t *e)
{
	return guest_mem_read(ic->mem, gpa, e, 8) == 0;
}

/* The DTE of devid in the device table (flat or two-level); 0 if none. */
static uint64_t its_dte(struct irqchip *ic, uint64_t baser, uint32_t devid)
{
	uint64_t base = baser_addr(baser), psz = baser_page_size(baser), per_page = psz / 8, l1, e;
	uint64_t pages = (baser & 0xff) + 1;

	if (baser & BASER_INDIRECT) {
		/* Level 1: one 8-byte pointer (bit 63 valid, address in 51:16 per page size) per L2 page. */
		if (devid / per_page >= pages * psz / 8 || !its_entry(ic, base + 8 * (devid / per_page), &l1) ||
		    !(l1 & BASER_VALID))
			return 0;
		base = l1 & 0x000fffffffff0000ULL & ~(psz - 1);
		devid %= per_page;
	} else if (devid >= pages * per_page) {
		return 0;
	}
	return its_entry(ic, base + 8ULL * devid, &e) ? e : 0;
}

/* Walk one device's ITT: event -> LPI -> collection -> vCPU (ITS table ABI REV0, arm-vgic-its.rst). */
static void its_dump_device(struct irqchip *ic, struct strbuf *sb, uint32_t devid, uint64_t dte, uint64_t coll_baser)
{
	/* DTE: valid[63] next[62:49] ITT_addr[48:5] (address >> 8) size[4:0] (event ID bits - 1). */
	uint64_t itt = ((dte >> 5) & ((1ULL << 44) - 1)) << 8;
	unsigned bits = (dte & 0x1f) + 1, shown = 0;
	uint64_t events = bits > 16 ? 1ULL << 16 : 1ULL << bits;

	sb_printf(sb, "  device 0x%x: ITT at 0x%" PRIx64 ", %u event ID bits\n", devid, itt, bits);
	for (uint64_t ev = 0; ev < events && shown < 64; ev++) {
		uint64_t ite, cte = 0;

		/* ITE: next[63:48] pINTID[47:16] ICID[15:0]; pINTID 0 means unmapped. */
		if (!its_entry(ic, itt + 8 * ev, &ite) || !((ite >> 16) & 0xffffffff))
			continue;
		its_entry(ic, baser_addr(coll_baser) + 8 * (ite & 0xffff), &cte);
		/* CTE: valid[63] RDBase[51:16] (the vCPU number: GITS_TYPER.PTA = 0) ICID[15:0]. */
		sb_printf(sb, "    event %" PRIu64 " -> LPI %" PRIu64 " -> collection %" PRIu64 " -> %s%" PRIu64 "\n",
			  ev, (ite >> 16) & 0xffffffff, ite & 0xffff, (cte & DTE_VALID) ? "vcpu " : "unmapped ",
			  (uint64_t)((cte >> 16) & 0xfffffffffULL));
		shown++;
	}
}

int its_dump(struct irqchip *ic, const struct its_device *devs, unsigned nr_devs, struct strbuf *sb)
{
	uint64_t ctlr = 0, typer = 0, cbaser = 0, creadr = 0, cwriter = 0, baser[8] = { 0 }, dev = 0, coll = 0;
	int ret;

	if (ic->its_fd < 0)
		return -ENODEV;
	ret = its_reg(ic, GITS_CTLR, &ctlr) | its_reg(ic, GITS_TYPER, &typer) | its_reg(ic, GITS_CBASER, &cbaser) |
	      its_reg(ic, GITS_CREADR, &creadr) | its_reg(ic, GITS_CWRITER, &cwriter);
	for (unsigned i = 0; i < 8; i++)
		ret |= its_reg(ic, GITS_BASER + 8 * i, &baser[i]);
	if (ret)
		return -EIO;
	sb_printf(sb, "ITS at 0x%" PRIx64 " (GITS_TRANSLATER 0x%" PRIx64 "): GITS_CTLR 0x%" PRIx64 " (%s), TYPER 0x%" PRIx64 "\n",
		  ic->layout.its_base, ic->layout.its_base + GITS_TRANSLATER, ctlr,
		  ctlr & 1 ? "enabled" : "disabled", typer);
	sb_printf(sb, "CBASER 0x%" PRIx64 " CREADR 0x%" PRIx64 " CWRITER 0x%" PRIx64 "\n", cbaser, creadr, cwriter);
	for (unsigned i = 0; i < 8; i++) {
		if (!baser[i])
			continue;
		sb_printf(sb, "BASER%u 0x%016" PRIx64 " %s%s table at 0x%" PRIx64 "\n", i, baser[i],
			  BASER_TYPE(baser[i]) == 1 ? "devices" : BASER_TYPE(baser[i]) == 4 ? "collections" : "other",
			  baser[i] & BASER_INDIRECT ? " (two-level)" : "", baser_addr(baser[i]));
		if ((baser[i] & BASER_VALID) && BASER_TYPE(baser[i]) == 1)
			dev = baser[i];
		if ((baser[i] & BASER_VALID) && BASER_TYPE(baser[i]) == 4)
			coll = baser[i];
	}
	/* Have KVM write its translation caches into the guest's tables, then walk them. */
	ret = vgic_attr_set(ic->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, NULL,
			    "its: SAVE_TABLES");
	if (ret || !dev || !coll) {
		sb_printf(sb, "mappings: none (the guest has not enabled its tables)\n");
		return 0;
	}
	/* SAVE_TABLES writes the live mappings but never erases older entries: a device the
	 * guest unmapped after an earlier dump can still show here. */
	sb_printf(sb, "mappings from the ITS tables (KVM_DEV_ARM_ITS_SAVE_TABLES into guest memory;\n"
		  "entries of devices unmapped since an earlier dump may linger):\n");
	for (unsigned i = 0; i < nr_devs; i++) {
		uint32_t devid = devs[i].devid;
		uint64_t dte = its_dte(ic, dev, devid);

		if (dte & DTE_VALID)
			its_dump_device(ic, sb, devid, dte, coll);
		else
			sb_printf(sb, "  device 0x%x (%s): not mapped\n", devid, devs[i].name);
	}
	return 0;
}
