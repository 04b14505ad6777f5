/* routing.h - the GSI routing table and the SPI allocator: plain data, no KVM call
 * (irq.h's irq_route_set, irq_routing_commit... work on the VM's table through these). */
#ifndef VMM_IRQCHIP_ROUTING_H
#define VMM_IRQCHIP_ROUTING_H

#include <stdbool.h>
#include <stdint.h>

#include <pthread.h>
#include <linux/kvm.h>

/* A GSI's route in KVM's routing table (api.rst KVM_SET_GSI_ROUTING). */
enum irq_route_type { ROUTE_NONE, ROUTE_SPI, ROUTE_MSI };

struct irq_route {
	bool used;             /* allocated to a device */
	enum irq_route_type type;
	uint32_t intid;        /* ROUTE_SPI: INTID 32..nr_irqs-1 */
	uint64_t msi_addr;     /* ROUTE_MSI: doorbell address, data and device ID */
	uint32_t msi_data;
	uint32_t devid;
	uint64_t signals;      /* times the VMM signalled this GSI (irqfd writes, KVM_SIGNAL_MSI) */
};

/* GSIs this VMM hands out; KVM allows KVM_MAX_IRQ_ROUTES (4096). */
#define IRQ_MAX_GSIS 1024
/* INTIDs a GIC can have below the special ones (1020-1023): the tables' size. */
#define IRQ_MAX_INTIDS 1024

struct irq_routing {
	pthread_mutex_t lock;
	bool msi_devid;        /* KVM_CAP_MSI_DEVID: MSI routes carry KVM_MSI_VALID_DEVID */
	uint32_t nr_irqs;      /* INTIDs the vGIC has (KVM_DEV_ARM_VGIC_GRP_NR_IRQS) */
	uint32_t dyn_first;    /* the SPIs irq_spi_alloc hands out: first INTID, count */
	uint32_t dyn_count;
	struct irq_route routes[IRQ_MAX_GSIS];
	uint8_t spi_used[IRQ_MAX_INTIDS / 8];
	uint64_t spi_raised[IRQ_MAX_INTIDS]; /* KVM_IRQ_LINE rising edges per INTID */
};

/* Reset a table: no GSIs, no dynamic SPIs in use; SPIs dyn_first.. (dyn_count) to hand out. */
void irq_routing_init(struct irq_routing *r, bool msi_devid, uint32_t nr_irqs, uint32_t dyn_first,
		      uint32_t dyn_count);
/* irq_spi_alloc on a table. 0, -EINVAL for count 0, -ENOSPC. */
int irq_routing_spi_alloc(struct irq_routing *r, unsigned count, uint32_t *first);
/* irq_spi_free on a table. */
void irq_routing_spi_free(struct irq_routing *r, uint32_t first, unsigned count);
/* irq_gsi_alloc on a table. 0 or -ENOSPC. */
int irq_routing_gsi_alloc(struct irq_routing *r, uint32_t *gsi);
/* irq_gsi_free on a table. */
void irq_routing_gsi_free(struct irq_routing *r, uint32_t gsi);
/* irq_route_set on a table. 0 or -EINVAL. */
int irq_routing_route_set(struct irq_routing *r, uint32_t gsi, const struct irq_route *route);
/* Fill KVM's table from the routes in use; returns the entry count (<= max). */
unsigned irq_routing_build(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max);
/* irq_routing_build with r->lock already held (build and install under one lock). */
unsigned irq_routing_build_locked(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max);

#endif
