/* gicv2m.c - an emulated GICv2m MSI frame: MSI writes become SPIs on a GICv2
 * (register layout: Linux drivers/irqchip/irq-gic-v2m.c, ARM SBSA). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "../arch/arm64/memmap.h"
#include "../fdt/fdt_build.h"
#include "../util.h"
#include "../vm.h"
#include "irqchip.h"

#define V2M_MSI_TYPER     0x008  /* base SPI [25:16], number of SPIs [9:0] */
#define V2M_MSI_SETSPI_NS 0x040  /* write an SPI's INTID to raise it (edge) */
#define V2M_MSI_IIDR      0xfcc

struct gicv2m {
	struct vm *vm;
	struct ratelimit rl;    /* this frame's "outside the frame" lines */
};

/* The frame's SPIs: the IRQ map's IRQ_GICV2M range, the one place they are kept. */
void gicv2m_spis(uint32_t *first, unsigned *count)
{
	*first = guest_irqmap[IRQ_GICV2M].intid;
	*count = guest_irqmap[IRQ_GICV2M].count;
}

static int gicv2m_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	uint32_t first;
	unsigned count;

	(void)dev, (void)len;
	gicv2m_spis(&first, &count);
	if (off == V2M_MSI_TYPER)
		*val = (uint64_t)first << 16 | count;
	else
		*val = 0; /* IIDR 0: no implementation quirks */
	return 0;
}

static int gicv2m_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct gicv2m *f = dev;
	uint32_t first;
	unsigned count;

	(void)len;
	if (off != V2M_MSI_SETSPI_NS)
		return 0;
	gicv2m_spis(&first, &count);
	if (val < first || val - first >= count) {
		log_ratelimited_obj(&f->rl, "gicv2m: MSI for SPI %" PRIu64 " outside the frame's %u-%u", val,
				    first, first + count - 1);
		return 0;
	}
	/* The frame's SPIs are edge-triggered: a rising edge makes one pending. */
	irq_spi_set(f->vm, val, true);
	return irq_spi_set(f->vm, val, false);
}

static const struct device_ops gicv2m_dev_ops = {
	.name = "gicv2m",
	.widths = WIDTH(4),
	.read = gicv2m_read,
	.write = gicv2m_write,
	/* Its FDT node is a child of the GIC node: written by gicv2m_fdt_node. */
};

int gicv2m_create(struct vm *vm)
{
	const struct mem_region *r = &guest_memmap[MEM_GICV2M];
	struct gicv2m *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->vm = vm;
	ret = mmio_bus_register(&vm->mmio, r->base, r->size, &gicv2m_dev_ops, f);
	if (ret) {
		log_err("gicv2m: cannot register the frame: %s", strerror(-ret));
		free(f);
		return ret;
	}
	vm->gic.v2m = f;
	return 0;
}

void gicv2m_destroy(struct vm *vm)
{
	free(vm->gic.v2m);
	vm->gic.v2m = NULL;
}

int gicv2m_fdt_node(struct vm *vm, void *fdt)
{
	uint64_t reg[2] = { guest_memmap[MEM_GICV2M].base, guest_memmap[MEM_GICV2M].size };

	FDT_TRY(fdt_begin_node_at(fdt, "v2m", reg[0]));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v2m-frame"));
	FDT_TRY(fdt_property(fdt, "msi-controller", NULL, 0));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_V2M));
	FDT_TRY(fdt_end_node(fdt));
	(void)vm;
	return 0;
}

int gicv2m_fdt_msi_parent(struct vm *vm, void *fdt)
{
	if (!vm->gic.v2m)
		return 0;
	FDT_TRY(fdt_property_u32(fdt, "msi-parent", PHANDLE_V2M));
	return 0;
}

int gicv2m_msi_route(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out)
{
	uint32_t first;
	unsigned count;

	(void)vm, (void)devid;
	gicv2m_spis(&first, &count);
	if (addr != guest_memmap[MEM_GICV2M].base + V2M_MSI_SETSPI_NS || data < first || data - first >= count)
		return -EINVAL;
	*out = (struct irq_route){ .type = ROUTE_SPI, .intid = data };
	return 0;
}
