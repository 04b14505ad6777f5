/* its.c - the in-kernel GICv3 ITS (Documentation/virt/kvm/devices/arm-vgic-its.rst). */
#include <errno.h>
#include <linux/kvm.h>

#include "../arch/arm64/memmap.h"
#include "../fdt/fdt_build.h"
#include "../vm.h"
#include "irqchip.h"

int its_create(struct vm *vm)
{
	uint64_t base = guest_memmap[MEM_GIC_ITS].base;
	int fd;

	fd = vgic_device_create(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, "its");
	if (fd < 0)
		return fd;
	vm->gic.its_fd = fd;
	/* CTRL_INIT follows in gicv3_finalize, once the vGIC itself is initialised. */
	return vgic_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &base,
			     "its: base address");
}

int its_fdt_node(struct vm *vm, void *fdt)
{
	uint64_t reg[2] = { guest_memmap[MEM_GIC_ITS].base, guest_memmap[MEM_GIC_ITS].size };

	vm->gic.its_phandle = PHANDLE_ITS;
	FDT_TRY(fdt_begin_node_at(fdt, "its", reg[0]));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
	FDT_TRY(fdt_property(fdt, "msi-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#msi-cells", 1));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_property_u32(fdt, "phandle", vm->gic.its_phandle));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

/* GITS_TRANSLATER, the MSI doorbell, in the ITS's second 64 KiB page (arm-vgic-its.rst). */
#define GITS_TRANSLATER 0x10040

int its_msi_route(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out)
{
	if (!vm->gic.its_enabled)
		return -ENOTSUP;
	if (addr != guest_memmap[MEM_GIC_ITS].base + GITS_TRANSLATER)
		return -EINVAL;
	*out = (struct irq_route){ .type = ROUTE_MSI, .msi_addr = addr, .msi_data = data, .devid = devid };
	return 0;
}
