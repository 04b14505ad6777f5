/* msix.h - MSI-X as a part of a PCI function (PCI Local Bus Specification 3.0, 6.8.2): the
 * capability in the function's config space, the table and PBA in a BAR region the owner
 * picks, per-vector and function masking, pending bits, and each vector's GSI route and
 * irqfd in KVM. Not locked: the owner serialises every call (virtio-pci: vd->lock). */
#ifndef VMM_MSIX_H
#define VMM_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "../irqchip/irq.h"
#include "../util.h"
#include "pci.h"

/* The IRQ layer's handle. TODO(merge): becomes struct irqchip * (irqchip/irq.h). */
struct irqchip;

/* Message Control (6.8.2.3). */
#define MSIX_CTRL_ENABLE  0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_SIZE   16

struct msix_vector {
	uint64_t addr;
	uint32_t data;
	bool masked;            /* vector control bit 0 */
	bool pending;           /* PBA bit: raised while it could not be sent */
	int irq_fd;             /* eventfd: KVM_IRQFD on gsi */
	uint32_t gsi;
	bool routed;            /* gsi has a route and irq_fd is attached */
	struct irq_route route; /* the route last given to KVM */
};

struct msix {
	struct pci_device *pd;  /* the function: its config space holds the capability */
	struct irqchip *irq_ctx; /* routes, irqfds, signals */
	unsigned cap;           /* config offset of the capability */
	uint32_t table_off, pba_off; /* in the BAR the owner serves them from */
	unsigned nr_vectors;
	struct msix_vector *vectors;
	/* May a message go out now? NULL: always. The owner's gate (virtio-pci: Bus Master
	 * Enable); a vector that may not send is held pending and sent by msix_update. */
	bool (*may_send)(void *owner);
	/* After a vector's route was given to KVM or taken away. NULL: nobody asks. */
	void (*route_changed)(void *owner, unsigned vec);
	void *owner;
	struct ratelimit rl;    /* refused table and PBA accesses */
};

/* Set up nr_vectors vectors (masked, an eventfd and a GSI each) with the table at table_off and
 * the PBA at pba_off of BAR bar, and add the capability to pd's config space (before
 * pci_device_add). 0 or -errno; msix_destroy cleans up after a failure too. */
int msix_init(struct msix *m, struct pci_device *pd, struct irqchip *irq_ctx, unsigned nr_vectors,
	      unsigned bar, uint32_t table_off, uint32_t pba_off);
/* Close the vectors' eventfds and free them. Safe on a zeroed or half-initialised struct. */
void msix_destroy(struct msix *m);
/* Is MSI-X enabled in Message Control? */
bool msix_enabled(struct msix *m);
/* Does a config write of [off, off + len) touch Message Control? */
bool msix_cap_written(const struct msix *m, uint32_t off, unsigned len);
/* Give every unmasked vector its route and irqfd and send what is pending, if enabled: after
 * Message Control or the owner's may_send gate changed. */
void msix_update(struct msix *m);
/* Send vector vec, or set its pending bit while it is masked, unrouted or the owner holds
 * messages (6.8.3.5). 1 sent, 0 held pending, -EINVAL for no such vector. */
int msix_signal(struct msix *m, unsigned vec);
/* Would a signal on vector vec's irq_fd reach the guest now: MSI-X enabled, the function
 * and the vector unmasked, the vector routed, the owner letting messages out? */
bool msix_vector_live(struct msix *m, unsigned vec);
/* Does BAR offset off fall in the table or the PBA? */
bool msix_bar_claims(const struct msix *m, uint64_t off);
/* A guest read of the table or PBA at BAR offset off: DWORD or aligned QWORD only (6.8.2),
 * else refused (logged, reads 0). */
uint64_t msix_bar_read(struct msix *m, uint64_t off, unsigned len);
/* A guest write of the table (the PBA is read-only): checked as msix_bar_read; a change of
 * address, data or mask updates the vector's route. */
void msix_bar_write(struct msix *m, uint64_t off, unsigned len, uint64_t val);

#endif
