/* fdt_arch.c - arm64 FDT nodes: cpus (MPIDR from KVM), psci, the architected timer. */
#include "arch.h"

#include <stdio.h>

#include "../../fdt/fdt_build.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../vm.h"
#include "memmap.h"

/* Affinity fields of MPIDR_EL1: Aff3[39:32] Aff2[23:16] Aff1[15:8] Aff0[7:0]. */
#define MPIDR_AFF_MASK 0xff00ffffffULL

static int fdt_add_cpus(struct vm *vm, void *fdt)
{
	bool aff3 = false;

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		aff3 |= (vm->vcpus[i].mpidr & 0xff00000000ULL) != 0;
	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	/* One cell holds Aff2..Aff0; Aff3 needs the second (arm/cpus.yaml). */
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", aff3 ? 2 : 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		uint64_t mpidr = vm->vcpus[i].mpidr & MPIDR_AFF_MASK;

		FDT_TRY(fdt_begin_node_at(fdt, "cpu", mpidr));
		FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
		FDT_TRY(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		FDT_TRY(fdt_property_string(fdt, "enable-method", "psci"));
		if (aff3)
			FDT_TRY(fdt_property_u64(fdt, "reg", mpidr));
		else
			FDT_TRY(fdt_property_u32(fdt, "reg", (uint32_t)mpidr));
		FDT_TRY(fdt_end_node(fdt));
	}
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_psci(void *fdt)
{
	/* KVM_ARM_VCPU_PSCI_0_2: PSCI 0.2 or later over HVC, function IDs from the spec. */
	static const char compat[] = "arm,psci-0.2\0arm,psci";

	FDT_TRY(fdt_begin_node(fdt, "psci"));
	FDT_TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	FDT_TRY(fdt_property_string(fdt, "method", "hvc"));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_timer(struct vm *vm, void *fdt)
{
	/* arm,armv8-timer: secure, non-secure, virtual, hypervisor PPIs, in that order. */
	static const enum irq_id ppi[4] = { IRQ_TIMER_SEC, IRQ_TIMER_PHYS, IRQ_TIMER_VIRT, IRQ_TIMER_HYP };
	uint32_t flags = irqchip_timer_flags(&vm->irq);
	uint32_t cells[12];

	for (unsigned i = 0; i < 4; i++)
		irqchip_fdt_ppi(guest_irqmap[ppi[i]].intid, flags, cells + 3 * i);
	FDT_TRY(fdt_begin_node(fdt, "timer"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	FDT_TRY(fdt_prop_cells(fdt, "interrupts", cells, 12));
	FDT_TRY(fdt_property(fdt, "always-on", NULL, 0));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

int arch_fdt_nodes(struct vm *vm, void *fdt)
{
	int ret = fdt_add_cpus(vm, fdt);

	if (!ret)
		ret = fdt_add_psci(fdt);
	if (!ret)
		ret = fdt_add_timer(vm, fdt);
	return ret;
}
