/* fdt_arch.c - the arm64 guest device tree: root, chosen, memory, cpus (MPIDR from KVM), psci,
 * the architected timer, the PMU and the pvtime region where the vCPUs have them, then the
 * GIC and the bus devices' own nodes. */
#include "arch.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>

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

/* arm,armv8-pmuv3 (arm/pmu.yaml): the overflow PPI KVM was given (cpu_features.c), with the
 * timer's flags (on GICv2 the CPU mask of every vCPU). Only when the vCPUs have a PMU. */
static int fdt_add_pmu(struct vm *vm, void *fdt)
{
	uint32_t cells[3];

	if (!vm->cpu.pmu)
		return 0;
	irqchip_fdt_ppi(guest_irqmap[IRQ_PMU].intid, irqchip_timer_flags(&vm->irq), cells);
	FDT_TRY(fdt_begin_node(fdt, "pmu"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3"));
	FDT_TRY(fdt_prop_cells(fdt, "interrupts", cells, 3));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

/* The stolen-time region under /reserved-memory, no-map (reserved-memory.yaml): outside
 * /memory already, so the guest never allocates it; this says what it is. Linux finds each
 * vCPU's structure through SMCCC PV_TIME_ST (Documentation/virt/kvm/arm/pvtime.rst). */
static int fdt_add_pvtime(struct vm *vm, void *fdt)
{
	const struct mem_region *r = &guest_memmap[MEM_PVTIME];
	uint64_t reg[2] = { r->base, r->size };

	if (!vm->cpu.pvtime)
		return 0;
	FDT_TRY(fdt_begin_node(fdt, "reserved-memory"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property(fdt, "ranges", NULL, 0));
	FDT_TRY(fdt_begin_node_at(fdt, "pvtime", r->base));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_property(fdt, "no-map", NULL, 0));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_cpus_psci_timer(struct vm *vm, void *fdt)
{
	int ret = fdt_add_cpus(vm, fdt);

	if (!ret)
		ret = fdt_add_psci(fdt);
	if (!ret)
		ret = fdt_add_timer(vm, fdt);
	if (!ret)
		ret = fdt_add_pmu(vm, fdt);
	if (!ret)
		ret = fdt_add_pvtime(vm, fdt);
	return ret;
}

void arch_default_cmdline(const char *console, char *buf, size_t len)
{
	/* The 16550 (or hvc0) as console, the 16550 for earlycon before drivers bind. vmm run
	 * --help prints it for ttyS0, and the boot tests read it from there (tests/boot). */
	snprintf(buf, len, "console=%s earlycon=uart8250,mmio,0x%" PRIx64, console,
		 guest_memmap[MEM_UART].base);
}

static int fdt_add_chosen(struct vm *vm, void *fdt)
{
	uint64_t uart = guest_memmap[MEM_UART].base;
	char cmdline[128], stdout_path[64];
	uint8_t seed[64];

	arch_default_cmdline(vm->cfg->virtio_console ? "hvc0" : "ttyS0", cmdline, sizeof(cmdline));
	snprintf(stdout_path, sizeof(stdout_path), "/uart@%" PRIx64, uart);
	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "bootargs", vm->cfg->cmdline ? vm->cfg->cmdline : cmdline));
	FDT_TRY(fdt_property_string(fdt, "stdout-path", stdout_path));
	if (vm->boot.initrd_size) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", vm->boot.initrd_gpa));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", vm->boot.initrd_gpa + vm->boot.initrd_size));
	}
	/* Early entropy, so the guest's CRNG is ready without waiting (chosen.yaml rng-seed). */
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		FDT_TRY(fdt_property(fdt, "rng-seed", seed, sizeof(seed)));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_memory(struct vm *vm, void *fdt)
{
	uint64_t reg[2] = { vm->mem.gpa, vm->mem.size };

	FDT_TRY(fdt_begin_node_at(fdt, "memory", vm->mem.gpa));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_add_device(const struct mmio_region *r, void *fdt)
{
	return r->ops->fdt_node ? r->ops->fdt_node(r->dev, fdt) : 0;
}

static int fdt_add_devices(struct vm *vm, void *fdt)
{
	return mmio_bus_for_each(&vm->mmio, fdt_add_device, fdt);
}

int arch_fdt_build(struct vm *vm, void *buf, size_t size)
{
	int ret;

	FDT_TRY(fdt_create(buf, size));
	FDT_TRY(fdt_finish_reservemap(buf));
	FDT_TRY(fdt_begin_node(buf, ""));
	FDT_TRY(fdt_property_string(buf, "compatible", "linux,dummy-virt"));
	FDT_TRY(fdt_property_string(buf, "model", "vmm"));
	FDT_TRY(fdt_property_u32(buf, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(buf, "#size-cells", 2));
	FDT_TRY(fdt_property_u32(buf, "interrupt-parent", irqchip_phandle(&vm->irq)));
	ret = fdt_add_chosen(vm, buf);
	if (!ret)
		ret = fdt_add_memory(vm, buf);
	if (!ret)
		ret = fdt_add_cpus_psci_timer(vm, buf);
	if (!ret)
		ret = irqchip_fdt_node(&vm->irq, buf);
	if (!ret)
		ret = fdt_add_devices(vm, buf);
	if (ret)
		return ret;
	FDT_TRY(fdt_end_node(buf));
	FDT_TRY(fdt_finish(buf));
	return 0;
}
