/* gicv3.c - in-kernel vGICv3 (Documentation/virt/kvm/devices/arm-vgic-v3.rst). */
#include <errno.h>
#include <linux/kvm.h>

#include "../fdt/fdt_build.h"
#include "../util.h"
#include "gic.h"

/* KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION: count[63:52] base[51:16] flags[15:12] index[11:0]. */
static uint64_t redist_region_attr(uint64_t base, unsigned count, unsigned index)
{
	return (uint64_t)count << 52 | base | index;
}

/* Split the vCPUs' redistributors over the low region and, past 123 vCPUs, the high one. */
static unsigned gicv3_redist_split(const struct gic_layout *l, unsigned nr_vcpus, unsigned count[2])
{
	unsigned low = l->redist_count[0];

	count[0] = nr_vcpus < low ? nr_vcpus : low;
	count[1] = nr_vcpus - count[0];
	return count[1] ? 2 : 1;
}

static int gicv3_create(struct irqchip *ic)
{
	uint64_t dist = ic->layout.dist_base;
	unsigned count[2];
	int fd, ret;

	fd = vgic_device_create(ic, KVM_DEV_TYPE_ARM_VGIC_V3, "gicv3");
	if (fd < 0)
		return fd;
	ic->dev_fd = fd;
	ret = vgic_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
			    "gicv3: distributor address");
	if (ret)
		return ret;
	ic->nr_redist_regions = gicv3_redist_split(&ic->layout, ic->nr_vcpus, count);
	for (unsigned i = 0; i < ic->nr_redist_regions; i++) {
		uint64_t v = redist_region_attr(ic->layout.redist_base[i], count[i], i);

		ret = vgic_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				    &v, "gicv3: redistributor region");
		if (ret)
			return ret;
	}
	if (ic->its_enabled)
		return its_create(ic);
	return 0;
}

static int gicv3_finalize(struct irqchip *ic)
{
	uint32_t nr_irqs = ic->layout.nr_irqs;
	int ret;

	ret = vgic_attr_set(ic->dev_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
			    "gicv3: number of IRQs");
	if (ret)
		return ret;
	ret = vgic_attr_set(ic->dev_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			    NULL, "gicv3: CTRL_INIT");
	if (ret)
		return ret;
	if (ic->its_fd >= 0)
		return vgic_attr_set(ic->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				     KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "its: CTRL_INIT");
	return 0;
}

static int gicv3_fdt_node(struct irqchip *ic, void *fdt)
{
	uint64_t reg[6];
	unsigned count[2], n, i;

	n = gicv3_redist_split(&ic->layout, ic->nr_vcpus, count);
	reg[0] = ic->layout.dist_base;
	reg[1] = ic->layout.dist_size;
	for (i = 0; i < n; i++) {
		reg[2 + 2 * i] = ic->layout.redist_base[i];
		reg[3 + 2 * i] = (uint64_t)count[i] * GICV3_REDIST_FRAMES;
	}
	FDT_TRY(fdt_begin_node_at(fdt, "intc", reg[0]));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property(fdt, "ranges", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#redistributor-regions", n));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1 + n));
	FDT_TRY(fdt_property_u32(fdt, "phandle", ic->phandle));
	if (ic->its_enabled)
		FDT_TRY(its_fdt_node(ic, fdt));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

const struct irqchip_ops gicv3_ops = {
	.name = "gicv3",
	.model = IRQCHIP_GICV3,
	.max_vcpus = GICV3_MAX_VCPUS,
	.create = gicv3_create,
	.finalize = gicv3_finalize,
	.fdt_node = gicv3_fdt_node,
	.msi_route = its_msi_route,
	.fdt_msi_parent = its_fdt_msi_parent,
};
