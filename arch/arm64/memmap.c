/* memmap.c - the guest memory map and IRQ tables, their startup checks, and the arch
 * contract's view of them (../../arch.h). */
#include "memmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "../../util.h"

const struct mem_region guest_memmap[MEM_NR] = {
	[MEM_UART]            = { "uart",        0x01000000, 0x1000, SZ_4K },
	[MEM_TEST_EXIT]       = { "test-exit",   0x01010000, 0x1000, SZ_4K },
	[MEM_GICV2M]          = { "gicv2m",      0x02000000, 0x1000, SZ_4K },
	[MEM_GIC_DIST]        = { "gic-dist",    0x08000000, 0x10000, SZ_64K },
	/* KVM_VGIC_V2_CPU_SIZE; 64 KiB aligned so 64K-page hosts can map GICV. */
	[MEM_GIC_CPU]         = { "gicv2-cpu",   0x08010000, 0x2000, SZ_64K },
	[MEM_GIC_ITS]         = { "gicv3-its",   0x08080000, 0x20000, SZ_64K },
	[MEM_GIC_REDIST]      = { "gicv3-redist", 0x080A0000, 0x09000000 - 0x080A0000, SZ_64K },
	[MEM_VIRTIO_MMIO]     = { "virtio-mmio", 0x0a000000, 32 * VIRTIO_MMIO_SLOT, SZ_4K },
	/* 512 vCPUs x 64 bytes = 32 KiB, rounded to a 64 KiB page for 64K-page hosts. Not at
	 * 0x09000000: that stays a hole (tests/hostile aborts there). */
	[MEM_PVTIME]          = { "pvtime",      0x0b000000, 0x10000, SZ_64K },
	[MEM_PCI_MMIO]        = { "pci-mmio",    0x10000000, 0x20000000, SZ_64K },
	[MEM_PCI_ECAM]        = { "pci-ecam",    0x30000000, 0x100000, SZ_1M },
	[MEM_RAM]             = { "ram",         0x40000000, 0x4000000000 - 0x40000000, SZ_2M },
	[MEM_GIC_REDIST_HIGH] = { "gicv3-redist-high", 0x4000000000,
				  (VMM_MAX_VCPUS - (0x09000000 - 0x080A0000) / GICV3_REDIST_STRIDE) *
					  GICV3_REDIST_STRIDE, SZ_64K },
	[MEM_PCI_MMIO_HIGH]   = { "pci-mmio-64", 0x5000000000, 0x3000000000, SZ_1G },
};

const struct irq_assign guest_irqmap[IRQ_NR] = {
	[IRQ_PMU]        = { "pmu",        16 + 7, 1, true },
	[IRQ_GIC_MAINT]  = { "gic-maintenance", 16 + 9, 1, true },
	[IRQ_TIMER_HYP]  = { "timer-hyp",  16 + 10, 1, true },
	[IRQ_TIMER_VIRT] = { "timer-virt", 16 + 11, 1, true },
	[IRQ_TIMER_SEC]  = { "timer-sec",  16 + 13, 1, true },
	[IRQ_TIMER_PHYS] = { "timer-phys", 16 + 14, 1, true },
	[IRQ_UART]       = { "uart",       32 + 1, 1, true },
	[IRQ_VIRTIO_MMIO] = { "virtio-mmio", 32 + 16, 32, true },
	[IRQ_GICV2M]     = { "gicv2m",     32 + 64, 64, false },
	[IRQ_DYNAMIC]    = { "dynamic",    32 + 128, GIC_NR_IRQS - 32 - 128, true },
};

int memmap_check(const struct mem_region *map, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const struct mem_region *a = &map[i];

		if (!a->size || a->base + a->size < a->base) {
			snprintf(why, whylen, "region %s is empty or wraps", a->name);
			return -EINVAL;
		}
		if (!IS_ALIGNED(a->base, a->align) || !IS_ALIGNED(a->size, SZ_4K)) {
			snprintf(why, whylen, "region %s at 0x%" PRIx64 " is not %" PRIu64 "-byte aligned",
				 a->name, a->base, a->align);
			return -EINVAL;
		}
		for (size_t j = i + 1; j < n; j++) {
			const struct mem_region *b = &map[j];

			if (a->base < b->base + b->size && b->base < a->base + a->size) {
				snprintf(why, whylen, "regions %s and %s overlap", a->name, b->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int irqmap_check(const struct irq_assign *map, size_t n, uint32_t nr_irqs, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const struct irq_assign *a = &map[i];
		uint32_t end = a->intid + a->count;

		if (!a->count || a->intid < 16 || end > nr_irqs || (a->intid < 32 && end > 32)) {
			snprintf(why, whylen, "IRQ %s (INTID %u, %u lines) is outside PPIs/SPIs 16-%u",
				 a->name, a->intid, a->count, nr_irqs - 1);
			return -EINVAL;
		}
		for (size_t j = i + 1; j < n; j++) {
			const struct irq_assign *b = &map[j];

			if (a->intid < b->intid + b->count && b->intid < end) {
				snprintf(why, whylen, "IRQs %s and %s overlap", a->name, b->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

unsigned memmap_redist_low_count(void)
{
	return guest_memmap[MEM_GIC_REDIST].size / GICV3_REDIST_STRIDE;
}

const struct mem_region *arch_memmap(unsigned *n, unsigned *ram)
{
	*n = MEM_NR;
	*ram = MEM_RAM;
	return guest_memmap;
}

const struct irq_assign *arch_irqmap(unsigned *n)
{
	*n = IRQ_NR;
	return guest_irqmap;
}

uint64_t arch_ram_base(void)
{
	return guest_memmap[MEM_RAM].base;
}

uint64_t arch_ram_max(void)
{
	return guest_memmap[MEM_RAM].size;
}

unsigned arch_max_vcpus(void)
{
	return VMM_MAX_VCPUS;
}

unsigned arch_nr_irqs(void)
{
	return GIC_NR_IRQS;
}

int arch_check_layout(void)
{
	char why[160];

	if (memmap_check(guest_memmap, MEM_NR, why, sizeof(why)) ||
	    irqmap_check(guest_irqmap, IRQ_NR, GIC_NR_IRQS, why, sizeof(why))) {
		log_err("memmap: %s", why);
		return -EINVAL;
	}
	return 0;
}

uint64_t arch_ipa_top(uint64_t ram_end, unsigned nr_vcpus, bool virtio)
{
	const struct mem_region *hi = &guest_memmap[MEM_GIC_REDIST_HIGH];
	const struct mem_region *pci = &guest_memmap[MEM_PCI_MMIO_HIGH];
	uint64_t top = ram_end;

	if (nr_vcpus > memmap_redist_low_count() && hi->base + hi->size > top)
		top = hi->base + hi->size;
	/* The guest may place 64-bit BARs anywhere in the high PCI window. */
	if (virtio)
		top = pci->base + pci->size;
	return top;
}
