/* gicv2.c - in-kernel vGICv2 (Documentation/virt/kvm/devices/arm-vgic.rst). */
#include <errno.h>
#include <linux/kvm.h>

#include "../fdt/fdt_build.h"
#include "../util.h"
#include "gic.h"

static int gicv2_create(struct irqchip *ic)
{
	uint64_t dist = ic->layout.dist_base;
	uint64_t cpu = ic->layout.cpu_base;
	int fd, ret;

	fd = vgic_device_create(ic, KVM_DEV_TYPE_ARM_VGIC_V2, "gicv2");
	if (fd < 0)
		return fd;
	ic->dev_fd = fd;
	ret = vgic_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &dist,
			    "gicv2: distributor address");
	if (ret)
		return ret;
	ret = vgic_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &cpu,
			    "gicv2: CPU interface address");
	if (ret || !ic->ops->v2m)
		return ret;
	return gicv2m_create(ic);
}

static int gicv2_finalize(struct irqchip *ic)
{
	uint32_t nr_irqs = ic->layout.nr_irqs;
	int ret;

	ret = vgic_attr_set(ic->dev_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
			    "gicv2: number of IRQs");
	if (ret)
		return ret;
	return vgic_attr_set(ic->dev_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			     NULL, "gicv2: CTRL_INIT");
}

static int gicv2_fdt_node(struct irqchip *ic, void *fdt)
{
	uint64_t reg[4] = {
		ic->layout.dist_base, KVM_VGIC_V2_DIST_SIZE,
		ic->layout.cpu_base, KVM_VGIC_V2_CPU_SIZE,
	};

	FDT_TRY(fdt_begin_node_at(fdt, "intc", reg[0]));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,cortex-a15-gic"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property(fdt, "ranges", NULL, 0));
	FDT_TRY(fdt_prop_reg(fdt, reg, 2));
	FDT_TRY(fdt_property_u32(fdt, "phandle", ic->phandle));
	if (ic->ops->v2m)
		FDT_TRY(gicv2m_fdt_node(ic, fdt));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int gicv2_no_msi(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out)
{
	(void)ic, (void)addr, (void)data, (void)devid, (void)out;
	return -ENOTSUP; /* plain GICv2 has no MSI doorbell: devices use INTx */
}

const struct irqchip_ops gicv2_ops = {
	.name = "gicv2",
	.model = IRQCHIP_GICV2,
	.max_vcpus = GICV2_MAX_VCPUS,
	.ppi_cpu_mask = true,
	.create = gicv2_create,
	.finalize = gicv2_finalize,
	.fdt_node = gicv2_fdt_node,
	.msi_route = gicv2_no_msi,
};

/* GICv2 with the emulated v2m MSI frame (gicv2m.c) as its doorbell. */
const struct irqchip_ops gicv2m_ops = {
	.name = "gicv2m",
	.model = IRQCHIP_GICV2M,
	.max_vcpus = GICV2_MAX_VCPUS,
	.v2m = true,
	.ppi_cpu_mask = true,
	.create = gicv2_create,
	.finalize = gicv2_finalize,
	.fdt_node = gicv2_fdt_node,
	.msi_route = gicv2m_msi_route,
	.fdt_msi_parent = gicv2m_fdt_msi_parent,
};
