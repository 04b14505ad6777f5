/* irqchip.h - in-kernel interrupt controller models and the IRQ layer every device uses. */
#ifndef VMM_IRQCHIP_H
#define VMM_IRQCHIP_H

#include <stdbool.h>
#include <stdint.h>

#include "../cli.h"

struct vm;

/* One interrupt-controller model (Documentation/virt/kvm/devices/arm-vgic*.rst). */
struct irqchip_ops {
	const char *name;
	unsigned max_vcpus;
	/* KVM_CREATE_DEVICE and base addresses; before any vCPU exists. 0 or -errno. */
	int (*create)(struct vm *vm);
	/* NR_IRQS and KVM_DEV_ARM_VGIC_CTRL_INIT; after every vCPU exists. 0 or -errno. */
	int (*finalize)(struct vm *vm);
	/* The interrupt-controller node (and MSI children); sets vm->gic.phandle. 0 or -errno. */
	int (*fdt_node)(struct vm *vm, void *fdt);
};

extern const struct irqchip_ops gicv2_ops;
extern const struct irqchip_ops gicv3_ops;

/* The ops for an explicit model (v2, v3); NULL for GIC_AUTO. */
const struct irqchip_ops *irqchip_ops_for(enum gic_model model);
/* Close the vGIC device fds. */
void irqchip_destroy(struct vm *vm);
/* GICv3 only: KVM_DEV_TYPE_ARM_VGIC_ITS at its base; after the GIC device. 0 or -errno. */
int its_create(struct vm *vm);
/* GICv3 only: the arm,gic-v3-its child node, written inside the open GIC node. */
int its_fdt_node(struct vm *vm, void *fdt);

/* Flags cell of an FDT interrupt specifier for the architected timer PPIs. */
uint32_t irqchip_timer_flags(const struct vm *vm);

/* KVM_IRQ_LINE irq field types (Documentation/virt/kvm/api.rst, KVM_IRQ_LINE on arm64). */
#define KVM_IRQ_TYPE_CPU 0
#define KVM_IRQ_TYPE_SPI 1
#define KVM_IRQ_TYPE_PPI 2
/* Encode KVM_IRQ_LINE's irq: vcpu2_index[31:28] type[27:24] vcpu_index[23:16] intid[15:0]. */
uint32_t irq_line_encode(unsigned type, unsigned vcpu, unsigned intid);
/* Drive an SPI (INTID 32..GIC_NR_IRQS-1) to a level through KVM_IRQ_LINE. 0 or -errno. */
int irq_spi_set(struct vm *vm, uint32_t intid, bool level);

/* KVM_CREATE_DEVICE of a vGIC type; the new fd or -errno (logged with the ioctl name). */
int vgic_device_create(struct vm *vm, uint32_t type, const char *what);
/* KVM_SET_DEVICE_ATTR on a vGIC fd; 0 or -errno (logged with what failed). */
int vgic_attr_set(int fd, uint32_t group, uint64_t attr, const void *val, const char *what);

#endif
