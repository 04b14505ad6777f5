/* gicv2m.c - an emulated GICv2m MSI frame: MSI writes become SPIs on a GICv2
 * (register layout: Linux drivers/irqchip/irq-gic-v2m.c, ARM SBSA). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "../bus.h"
#include "../fdt/fdt_build.h"
#include "../util.h"
#include "gic.h"
#include "irq.h"

#define V2M_MSI_TYPER     0x008  /* base SPI [25:16], number of SPIs [9:0] */
#define V2M_MSI_SETSPI_NS 0x040  /* write an SPI's INTID to raise it (edge) */
#define V2M_MSI_IIDR      0xfcc

struct gicv2m {
	struct irqchip *ic;
	struct ratelimit rl;    /* this frame's "outside the frame" lines */
};

static int gicv2m_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	const struct gicv2m *f = dev;
	uint32_t first = f->ic->layout.v2m_spi_first;
	unsigned count = f->ic->layout.v2m_spi_count;

	(void)len;
	if (off == V2M_MSI_TYPER)
		*val = (uint64_t)first << 16 | count;
	else
		*val = 0; /* IIDR 0: no implementation quirks */
	return 0;
}

static int gicv2m_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct gicv2m *f = dev;
	uint32_t first = f->ic->layout.v2m_spi_first;
	unsigned count = f->ic->layout.v2m_spi_count;

	(void)len;
	if (off != V2M_MSI_SETSPI_NS)
		return 0;
	if (val < first || val - first >= count) {
		log_ratelimited_obj(&f->rl, "gicv2m: MSI for SPI %" PRIu64 " outside the frame's %u-%u", val,
				    first, first + count - 1);
		return 0;
	}
	/* The frame's SPIs are edge-triggered: a rising edge makes one pending. */
	irq_spi_set(f->ic, val, true);
	return irq_spi_set(f->ic, val, false);
}

static const struct device_ops gicv2m_dev_ops = {
	.name = "gicv2m",
	.widths = WIDTH(4),
	.read = gicv2m_read,
	.write = gicv2m_write,
	/* Its FDT node is a child of the GIC node: written by gicv2m_fdt_node. */
};

int gicv2m_create(struct irqchip *ic)
{
	struct gicv2m *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->ic = ic;
	ret = mmio_bus_register(ic->bus, ic->layout.v2m_base, ic->layout.v2m_size, &gicv2m_dev_ops, f);
	if (ret) {
		log_err("gicv2m: cannot register the frame: %s", strerror(-ret));
		free(f);
		return ret;
	}
	ic->v2m = f;
	return 0;
}

void gicv2m_destroy(struct irqchip *ic)
{
	free(ic->v2m);
	ic->v2m = NULL;
}

int gicv2m_fdt_node(struct irqchip *ic, void *fdt)
{
	uint64_t reg[2] = { ic->layout.v2m_base, ic->layout.v2m_size };

	FDT_TRY(fdt_begin_node_at(fdt, "v2m", reg[0]));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v2m-frame"));
	FDT_TRY(fdt_property(fdt, "msi-controller", NULL, 0));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_property_u32(fdt, "phandle", ic->v2m_phandle));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

int gicv2m_fdt_msi_parent(struct irqchip *ic, void *fdt)
{
	if (!ic->v2m)
		return 0;
	FDT_TRY(fdt_property_u32(fdt, "msi-parent", ic->v2m_phandle));
	return 0;
}

int gicv2m_msi_route(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out)
{
	uint32_t first = ic->layout.v2m_spi_first;
	unsigned count = ic->layout.v2m_spi_count;

	(void)devid;
	if (addr != ic->layout.v2m_base + V2M_MSI_SETSPI_NS || data < first || data - first >= count)
		return -EINVAL;
	*out = (struct irq_route){ .type = ROUTE_SPI, .intid = data };
	return 0;
}
