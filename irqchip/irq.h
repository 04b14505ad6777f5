/* irq.h - the IRQ layer every device uses: SPI lines, GSI routes, irqfds, MSIs.
 * Devices see only this (and the route table types, routing.h); the GIC models behind it
 * are in gic.h. */
#ifndef VMM_IRQCHIP_IRQ_H
#define VMM_IRQCHIP_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "routing.h"

struct irqchip;

/* ---- what devices call (ic is the VM's interrupt controller) ---- */

/* Drive an SPI (INTID 32..nr_irqs-1) to a level through KVM_IRQ_LINE. 0 or -errno. */
int irq_spi_set(struct irqchip *ic, uint32_t intid, bool level);
/* Allocate count contiguous SPIs from the dynamic range; first INTID out. 0 or -ENOSPC. */
int irq_spi_alloc(struct irqchip *ic, unsigned count, uint32_t *first);
/* Return SPIs from irq_spi_alloc. */
void irq_spi_free(struct irqchip *ic, uint32_t first, unsigned count);
/* Allocate a GSI with no route yet. 0 or -ENOSPC. */
int irq_gsi_alloc(struct irqchip *ic, uint32_t *gsi);
/* Release a GSI and its route (commit to tell KVM). */
void irq_gsi_free(struct irqchip *ic, uint32_t gsi);
/* Set an allocated GSI's route (type NONE clears it); 0, or -EINVAL for a bad GSI/route. */
int irq_route_set(struct irqchip *ic, uint32_t gsi, const struct irq_route *route);
/* KVM_SET_GSI_ROUTING with the current table. 0 or -errno. */
int irq_routing_commit(struct irqchip *ic);
/* Route for an MSI a device will write (address, data, requester ID): the doorbell the
 * model offers (ITS translater, v2m frame). -ENOTSUP without an MSI controller, -EINVAL
 * if the message does not hit it. */
int irq_msi_route(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out);
/* KVM_IRQFD: signal gsi when fd is written; resample_fd >= 0 for a level line. 0 or -errno. */
int irqfd_attach(struct irqchip *ic, int fd, uint32_t gsi, int resample_fd);
/* KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN. 0 or -errno. */
int irqfd_detach(struct irqchip *ic, int fd, uint32_t gsi);
/* Raise gsi by writing its irqfd eventfd, and count it. 0 or -errno. */
int irq_gsi_signal(struct irqchip *ic, uint32_t gsi, int fd);
/* KVM_SIGNAL_MSI: one message now. 0 (also when the ITS has no translation yet) or -errno. */
int irq_msi_signal(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid);

/* The GIC's FDT interrupt specifier (3 cells) for SPI intid (32..1019), level high. */
void irqchip_fdt_spi(uint32_t intid, uint32_t cells[3]);
/* The GIC's FDT interrupt specifier (3 cells) for PPI intid (16..31) with flags. */
void irqchip_fdt_ppi(uint32_t intid, uint32_t flags, uint32_t cells[3]);
/* Write the MSI parent of a device node that sends MSIs, as the GIC model has it
 * (msi-map for the ITS, msi-parent for the v2m frame, nothing else). 0 or -errno. */
int irqchip_fdt_msi_parent(struct irqchip *ic, void *fdt);
/* The GIC node's phandle: the interrupt-parent of device nodes. */
uint32_t irqchip_phandle(const struct irqchip *ic);

/* KVM_IRQ_LINE irq field types (Documentation/virt/kvm/api.rst, KVM_IRQ_LINE on arm64). */
#define KVM_IRQ_TYPE_CPU 0
#define KVM_IRQ_TYPE_SPI 1
#define KVM_IRQ_TYPE_PPI 2
/* Encode KVM_IRQ_LINE's irq: vcpu2_index[31:28] type[27:24] vcpu_index[23:16] intid[15:0]. */
uint32_t irq_line_encode(unsigned type, unsigned vcpu, unsigned intid);

#endif
