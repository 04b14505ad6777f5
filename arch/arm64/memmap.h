/* memmap.h - the arm64 guest physical memory map and IRQ assignments.
 *
 * Every device region sits below RAM so RAM can grow upward, except the
 * high redistributor region, which sits above the largest RAM we allow.
 * Arch-private: code outside arch/ reads it through the contract in ../../arch.h
 * (arch_memmap, arch_irqmap, ...). GIC regions are 64 KiB aligned (Documentation/virt/kvm/devices/arm-vgic-v3.rst).
 *
 *   0x00_0000_0000 +----------------------------------+
 *                  | unmapped (reads as zero)         |
 *   0x00_0100_0000 | 16550 UART                 4 KiB |
 *   0x00_0101_0000 | test-exit register         4 KiB |
 *   0x00_0200_0000 | GICv2m MSI frame           4 KiB |  --gic=v2m
 *   0x00_0800_0000 | GIC distributor           64 KiB |
 *   0x00_0801_0000 | GICv2 CPU interface        8 KiB |  --gic=v2/v2m
 *   0x00_0808_0000 | GICv3 ITS                128 KiB |  --its
 *   0x00_080A_0000 | GICv3 redistributors, vCPUs 0-122 |
 *                  |   123 x 128 KiB (RD + SGI frame) |
 *   0x00_0900_0000 | (free)                           |
 *   0x00_0A00_0000 | virtio-mmio, 32 x 512 bytes      |  --transport=mmio
 *   0x00_0B00_0000 | pvtime: stolen time, 64 B a vCPU |  its own memslot,
 *                  |   64 KiB                         |  /reserved-memory
 *   0x00_1000_0000 | PCI MMIO window, 32-bit  512 MiB |
 *   0x00_3000_0000 | PCI ECAM, bus 0            1 MiB |
 *   0x00_4000_0000 | RAM, up to 255 GiB               |
 *   0x40_0000_0000 | GICv3 redistributors, vCPUs 123+ |
 *                  |   389 x 128 KiB                  |
 *   0x50_0000_0000 | PCI MMIO window, 64-bit  192 GiB |
 *   0x80_0000_0000 +----------------------------------+  (39-bit IPA)
 */
#ifndef VMM_ARM64_MEMMAP_H
#define VMM_ARM64_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../arch.h"

enum mem_region_id {
	MEM_UART,
	MEM_TEST_EXIT,
	MEM_GICV2M,
	MEM_GIC_DIST,
	MEM_GIC_CPU,
	MEM_GIC_ITS,
	MEM_GIC_REDIST,
	MEM_VIRTIO_MMIO,
	MEM_PVTIME,
	MEM_PCI_MMIO,
	MEM_PCI_ECAM,
	MEM_RAM,
	MEM_GIC_REDIST_HIGH,
	MEM_PCI_MMIO_HIGH,
	MEM_NR
};

/* GICv3: each vCPU's redistributor is an RD frame plus an SGI frame. */
#define GICV3_REDIST_STRIDE ((uint64_t)0x20000)
#define VMM_MAX_VCPUS 512
/* virtio-mmio: one 512-byte register window per device (virtio 1.2, 4.2.2). */
#define VIRTIO_MMIO_SLOT 0x200
/* Stolen time: one 64-byte structure per vCPU (Documentation/virt/kvm/arm/pvtime.rst). */
#define PVTIME_STRUCT_SIZE 64

/* Fixed interrupt assignments. INTIDs: SGIs 0-15, PPIs 16-31, SPIs 32-1019. */
enum irq_id {
	IRQ_PMU,         /* PPI 7: PMUv3 overflow (as QEMU virt and kvmtool) */
	IRQ_GIC_MAINT,   /* PPI 9: GIC maintenance (nested virt) */
	IRQ_TIMER_HYP,   /* PPI 10 */
	IRQ_TIMER_VIRT,  /* PPI 11 */
	IRQ_TIMER_SEC,   /* PPI 13 */
	IRQ_TIMER_PHYS,  /* PPI 14 */
	IRQ_UART,        /* SPI 1 */
	IRQ_VIRTIO_MMIO, /* SPIs 16-47: one per virtio-mmio device */
	IRQ_GICV2M,      /* SPIs handed out by the v2m frame */
	IRQ_DYNAMIC,     /* SPIs the IRQ allocator hands to devices */
	IRQ_NR
};

/* Total INTIDs configured in the vGIC (KVM_DEV_ARM_VGIC_GRP_NR_IRQS): a multiple of 32. */
#define GIC_NR_IRQS 512

extern const struct mem_region guest_memmap[MEM_NR];
extern const struct irq_assign guest_irqmap[IRQ_NR];

/* Check a memory map for misaligned or overlapping regions; 0 or -EINVAL, reason in why. */
int memmap_check(const struct mem_region *map, size_t n, char *why, size_t whylen);
/* Check IRQ assignments for overlaps and range; 0 or -EINVAL, reason in why. */
int irqmap_check(const struct irq_assign *map, size_t n, uint32_t nr_irqs, char *why, size_t whylen);
/* Number of vCPU redistributors that fit in the low region. */
unsigned memmap_redist_low_count(void);

#endif
