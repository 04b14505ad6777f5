/* irqchip.h - in-kernel interrupt controller models and the IRQ layer every device uses. */
#ifndef VMM_IRQCHIP_H
#define VMM_IRQCHIP_H

#include <stdbool.h>
#include <stdint.h>

#include <pthread.h>
#include <linux/kvm.h>

#include "../arch/arm64/memmap.h"

struct vm;
struct strbuf;

/* A GSI's route in KVM's routing table (api.rst KVM_SET_GSI_ROUTING). */
enum irq_route_type { ROUTE_NONE, ROUTE_SPI, ROUTE_MSI };

struct irq_route {
	bool used;             /* allocated to a device */
	enum irq_route_type type;
	uint32_t intid;        /* ROUTE_SPI: INTID 32..1019 */
	uint64_t msi_addr;     /* ROUTE_MSI: doorbell address, data and device ID */
	uint32_t msi_data;
	uint32_t devid;
	uint64_t signals;      /* times the VMM signalled this GSI (irqfd writes, KVM_SIGNAL_MSI) */
};

/* GSIs this VMM hands out; KVM allows KVM_MAX_IRQ_ROUTES (4096). */
#define IRQ_MAX_GSIS 1024

struct irq_routing {
	pthread_mutex_t lock;
	bool msi_devid;        /* KVM_CAP_MSI_DEVID: MSI routes carry KVM_MSI_VALID_DEVID */
	struct irq_route routes[IRQ_MAX_GSIS];
	uint8_t spi_used[GIC_NR_IRQS / 8];
	uint64_t spi_raised[GIC_NR_IRQS]; /* KVM_IRQ_LINE rising edges per INTID */
};

/* GICv2 targets at most 8 CPUs (GICD_ITARGETSR, the PPI specifiers' CPU mask). */
#define GICV2_MAX_VCPUS 8

/* Which interrupt-controller model an ops table is: ask this, not the table's address. */
enum irqchip_model { IRQCHIP_GICV2, IRQCHIP_GICV2M, IRQCHIP_GICV3 };

/* One interrupt-controller model (Documentation/virt/kvm/devices/arm-vgic*.rst). */
struct irqchip_ops {
	const char *name;
	enum irqchip_model model;
	unsigned max_vcpus;
	bool v2m;              /* has the emulated GICv2m MSI frame */
	bool ppi_cpu_mask;     /* FDT PPI specifiers carry a CPU mask (GICv2) */
	/* KVM_CREATE_DEVICE and base addresses; before any vCPU exists. 0 or -errno. */
	int (*create)(struct vm *vm);
	/* NR_IRQS and KVM_DEV_ARM_VGIC_CTRL_INIT; after every vCPU exists. 0 or -errno. */
	int (*finalize)(struct vm *vm);
	/* The interrupt-controller node (and MSI children); sets vm->gic.phandle. 0 or -errno. */
	int (*fdt_node)(struct vm *vm, void *fdt);
	/* Route for an MSI a device will write (address, data, requester ID): the doorbell
	 * this model offers (ITS translater, v2m frame). -ENOTSUP without one, -EINVAL if
	 * the message does not hit it. */
	int (*msi_route)(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid,
			 struct irq_route *out);
	/* The MSI parent property of a device node that sends MSIs (msi-map to the ITS,
	 * msi-parent to the v2m frame); nothing without an MSI controller. 0 or -errno. */
	int (*fdt_msi_parent)(struct vm *vm, void *fdt);
};

extern const struct irqchip_ops gicv2_ops;
extern const struct irqchip_ops gicv2m_ops;
extern const struct irqchip_ops gicv3_ops;

/* The ops for a model. */
const struct irqchip_ops *irqchip_ops_for(enum irqchip_model model);
/* Close the vGIC device fds. */
void irqchip_destroy(struct vm *vm);
/* GICv3 only: KVM_DEV_TYPE_ARM_VGIC_ITS at its base; after the GIC device. 0 or -errno. */
int its_create(struct vm *vm);
/* GICv3 only: the arm,gic-v3-its child node, written inside the open GIC node. */
int its_fdt_node(struct vm *vm, void *fdt);

/* GICv2m: create the emulated MSI frame and register it on the MMIO bus. 0 or -errno. */
int gicv2m_create(struct vm *vm);
/* GICv2m: the arm,gic-v2m-frame child node, written inside the open GIC node. */
int gicv2m_fdt_node(struct vm *vm, void *fdt);
/* GICv2m: an MSI to the frame's SETSPI_NS doorbell becomes an SPI route. */
int gicv2m_msi_route(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out);
/* GICv2m: msi-parent = the frame. */
int gicv2m_fdt_msi_parent(struct vm *vm, void *fdt);
/* GICv2m: free the frame. */
void gicv2m_destroy(struct vm *vm);
/* GITS_TRANSLATER, the ITS's MSI doorbell, in its second 64 KiB page (arm-vgic-its.rst). */
#define GITS_TRANSLATER 0x10040
/* ITS: msi-map, requester ID = device ID, to the ITS (nothing if the ITS is off). */
int its_fdt_msi_parent(struct vm *vm, void *fdt);
/* ITS: an MSI to GITS_TRANSLATER becomes an MSI route carrying the device ID. */
int its_msi_route(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out);

/* Print every non-idle INTID (all of them with all) from KVM's vGIC state, and the v3 CPU
 * interfaces. The VM must be paused (KVM: -EBUSY while vCPUs run). 0 or -errno. */
int gic_dump(struct vm *vm, bool all, struct strbuf *sb);
/* Print the ITS registers (KVM_DEV_ARM_VGIC_GRP_ITS_REGS); paused VM. 0 or -errno. */
int its_dump(struct vm *vm, struct strbuf *sb);

/* Flags cell of an FDT interrupt specifier for the architected timer PPIs. */
uint32_t irqchip_timer_flags(const struct vm *vm);
/* The GIC's FDT interrupt specifier (3 cells) for SPI intid (32..1019), level high. */
void irqchip_fdt_spi(uint32_t intid, uint32_t cells[3]);
/* The GIC's FDT interrupt specifier (3 cells) for PPI intid (16..31) with flags. */
void irqchip_fdt_ppi(uint32_t intid, uint32_t flags, uint32_t cells[3]);
/* Write the MSI parent of a device node that sends MSIs, as the GIC model has it
 * (msi-map for the ITS, msi-parent for the v2m frame, nothing else). 0 or -errno. */
int irqchip_fdt_msi_parent(struct vm *vm, void *fdt);
/* GICv2m: the frame's SPIs (first INTID, count). */
void gicv2m_spis(uint32_t *first, unsigned *count);

/* KVM_IRQ_LINE irq field types (Documentation/virt/kvm/api.rst, KVM_IRQ_LINE on arm64). */
#define KVM_IRQ_TYPE_CPU 0
#define KVM_IRQ_TYPE_SPI 1
#define KVM_IRQ_TYPE_PPI 2
/* Encode KVM_IRQ_LINE's irq: vcpu2_index[31:28] type[27:24] vcpu_index[23:16] intid[15:0]. */
uint32_t irq_line_encode(unsigned type, unsigned vcpu, unsigned intid);
/* Drive an SPI (INTID 32..GIC_NR_IRQS-1) to a level through KVM_IRQ_LINE. 0 or -errno. */
int irq_spi_set(struct vm *vm, uint32_t intid, bool level);

/* Reset a routing table: no GSIs, no dynamic SPIs in use. */
void irq_routing_init(struct irq_routing *r, bool msi_devid);
/* Allocate count contiguous SPIs from the dynamic range; first INTID out. 0 or -ENOSPC. */
int irq_spi_alloc(struct irq_routing *r, unsigned count, uint32_t *first);
/* Return SPIs from irq_spi_alloc. */
void irq_spi_free(struct irq_routing *r, uint32_t first, unsigned count);
/* Allocate a GSI with no route yet. 0 or -ENOSPC. */
int irq_gsi_alloc(struct irq_routing *r, uint32_t *gsi);
/* Release a GSI and its route (commit to tell KVM). */
void irq_gsi_free(struct irq_routing *r, uint32_t gsi);
/* Set an allocated GSI's route (type NONE clears it); 0, or -EINVAL for a bad GSI/route. */
int irq_route_set(struct irq_routing *r, uint32_t gsi, const struct irq_route *route);
/* Fill KVM's table from the routes in use; returns the entry count (<= max). */
unsigned irq_routing_build(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max);
/* KVM_SET_GSI_ROUTING with the current table. 0 or -errno. */
int irq_routing_commit(struct vm *vm);
/* KVM_IRQFD: signal gsi when fd is written; resample_fd >= 0 for a level line. 0 or -errno. */
int irqfd_attach(struct vm *vm, int fd, uint32_t gsi, int resample_fd);
/* KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN. 0 or -errno. */
int irqfd_detach(struct vm *vm, int fd, uint32_t gsi);
/* Raise gsi by writing its irqfd eventfd, and count it. 0 or -errno. */
int irq_gsi_signal(struct vm *vm, uint32_t gsi, int fd);
/* KVM_SIGNAL_MSI: one message now. 0 (also when the ITS has no translation yet) or -errno. */
int irq_msi_signal(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid);

/* KVM_CREATE_DEVICE of a vGIC type; the new fd or -errno (logged with the ioctl name). */
int vgic_device_create(struct vm *vm, uint32_t type, const char *what);
/* KVM_SET_DEVICE_ATTR on a vGIC fd; 0 or -errno (logged with what failed). */
int vgic_attr_set(int fd, uint32_t group, uint64_t attr, const void *val, const char *what);

#endif
