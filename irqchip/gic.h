/* gic.h - the in-kernel GIC models (Documentation/virt/kvm/devices/arm-vgic*.rst) behind
 * the IRQ layer: their state, their ops, and what the VM does with them. Devices use
 * irq.h, which this header does not include (irq.c needs this one: no cycle). */
#ifndef VMM_IRQCHIP_GIC_H
#define VMM_IRQCHIP_GIC_H

#include <stdbool.h>
#include <stdint.h>

#include "routing.h"

struct guest_mem;
struct mmio_bus;
struct strbuf;
struct gicv2m;

/* Where the GIC sits: filled by the caller from the board's memory and IRQ maps. */
struct gic_layout {
	uint64_t dist_base, dist_size;   /* distributor */
	uint64_t cpu_base;               /* GICv2 CPU interface */
	uint64_t its_base, its_size;     /* GICv3 ITS */
	uint64_t v2m_base, v2m_size;     /* GICv2m MSI frame */
	uint32_t v2m_spi_first;          /* the SPIs the v2m frame hands out */
	unsigned v2m_spi_count;
	uint64_t redist_base[2];         /* GICv3 redistributor regions: low, high */
	unsigned redist_count[2];        /* how many vCPUs' redistributors fit in each */
	uint32_t nr_irqs;                /* KVM_DEV_ARM_VGIC_GRP_NR_IRQS: a multiple of 32 */
	uint32_t dyn_spi_first;          /* the SPIs irq_spi_alloc hands to devices */
	unsigned dyn_spi_count;
};

/* GICv3: each vCPU's redistributor is an RD frame plus an SGI frame, 64 KiB each. */
#define GICV3_REDIST_FRAMES ((uint64_t)0x20000)
/* GICv2 targets at most 8 CPUs (GICD_ITARGETSR, the PPI specifiers' CPU mask). */
#define GICV2_MAX_VCPUS 8
/* KVM's vGICv3 limit (virt/kvm/arm/vgic: VGIC_V3_MAX_CPUS). */
#define GICV3_MAX_VCPUS 512
/* GITS_TRANSLATER, the ITS's MSI doorbell, in its second 64 KiB page (arm-vgic-its.rst). */
#define GITS_TRANSLATER 0x10040

/* Which interrupt-controller model an ops table is: ask this, not the table's address. */
enum irqchip_model { IRQCHIP_GICV2, IRQCHIP_GICV2M, IRQCHIP_GICV3 };

/* The VM's interrupt controller: one per VM, set up by irqchip_init. */
struct irqchip {
	int vm_fd;                       /* the KVM VM fd */
	unsigned nr_vcpus;
	const struct irqchip_ops *ops;   /* NULL before irqchip_init */
	struct gic_layout layout;
	int dev_fd;                      /* KVM_DEV_TYPE_ARM_VGIC_V2/V3, -1 if none */
	int its_fd;                      /* KVM_DEV_TYPE_ARM_VGIC_ITS, -1 if none */
	uint32_t phandle;
	uint32_t its_phandle;
	uint32_t v2m_phandle;
	bool its_enabled;                /* GICv3 ITS requested and created */
	unsigned nr_redist_regions;
	struct gicv2m *v2m;              /* GICv2m frame, NULL if none */
	struct irq_routing routing;
	const struct guest_mem *mem;     /* guest RAM: the ITS tables info its walks */
	struct mmio_bus *bus;            /* where the v2m frame registers */
};

/* One interrupt-controller model. */
struct irqchip_ops {
	const char *name;
	enum irqchip_model model;
	unsigned max_vcpus;
	bool v2m;              /* has the emulated GICv2m MSI frame */
	bool ppi_cpu_mask;     /* FDT PPI specifiers carry a CPU mask (GICv2) */
	/* KVM_CREATE_DEVICE and base addresses; before any vCPU exists. 0 or -errno. */
	int (*create)(struct irqchip *ic);
	/* NR_IRQS and KVM_DEV_ARM_VGIC_CTRL_INIT; after every vCPU exists. 0 or -errno. */
	int (*finalize)(struct irqchip *ic);
	/* The interrupt-controller node (and MSI children). 0 or -errno. */
	int (*fdt_node)(struct irqchip *ic, void *fdt);
	/* irq_msi_route for this model. */
	int (*msi_route)(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid,
			 struct irq_route *out);
	/* irqchip_fdt_msi_parent for this model; NULL: nothing. */
	int (*fdt_msi_parent)(struct irqchip *ic, void *fdt);
};

extern const struct irqchip_ops gicv2_ops;
extern const struct irqchip_ops gicv2m_ops;
extern const struct irqchip_ops gicv3_ops;

/* The ops for a model. */
const struct irqchip_ops *irqchip_ops_for(enum irqchip_model model);
/* Set up ic for a model (its: create the GICv3 ITS); no KVM call yet, fds -1, an empty
 * routing table. mem and bus must outlive ic. */
void irqchip_init(struct irqchip *ic, int vm_fd, unsigned nr_vcpus, const struct irqchip_ops *ops, bool its,
		  const struct gic_layout *layout, const struct guest_mem *mem, struct mmio_bus *bus);
/* ops->create: the vGIC device and its addresses, before any vCPU. 0 or -errno. */
int irqchip_create(struct irqchip *ic);
/* ops->finalize: NR_IRQS and CTRL_INIT, after every vCPU. 0 or -errno. */
int irqchip_finalize(struct irqchip *ic);
/* Close the vGIC device fds and free the v2m frame; safe on a partly built ic. */
void irqchip_destroy(struct irqchip *ic);
/* ops->fdt_node: the interrupt-controller node. 0 or -errno. */
int irqchip_fdt_node(struct irqchip *ic, void *fdt);
/* Flags cell of an FDT interrupt specifier for the architected timer PPIs. */
uint32_t irqchip_timer_flags(const struct irqchip *ic);

/* A PCI function as info its names it: its device ID (requester ID) and name. */
struct its_device {
	uint32_t devid;
	const char *name;
};

/* Print every non-idle INTID (all of them with all) from KVM's vGIC state, and the v3 CPU
 * interfaces; mpidr[i] is vCPU i's MPIDR_EL1 (nr_vcpus of them). The VM must be paused
 * (KVM: -EBUSY while vCPUs run). 0 or -errno. */
int gic_dump(struct irqchip *ic, const uint64_t *mpidr, bool all, struct strbuf *sb);
/* Print the ITS registers (KVM_DEV_ARM_VGIC_GRP_ITS_REGS) and the mappings of devs;
 * paused VM. 0 or -errno. */
int its_dump(struct irqchip *ic, const struct its_device *devs, unsigned nr_devs, struct strbuf *sb);

/* ---- inside the models ---- */

/* GICv3 only: KVM_DEV_TYPE_ARM_VGIC_ITS at its base; after the GIC device. 0 or -errno. */
int its_create(struct irqchip *ic);
/* GICv3 only: the arm,gic-v3-its child node, written inside the open GIC node. */
int its_fdt_node(struct irqchip *ic, void *fdt);
/* ITS: msi-map, requester ID = device ID, to the ITS (nothing if the ITS is off). */
int its_fdt_msi_parent(struct irqchip *ic, void *fdt);
/* ITS: an MSI to GITS_TRANSLATER becomes an MSI route carrying the device ID. */
int its_msi_route(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out);

/* GICv2m: create the emulated MSI frame and register it on the MMIO bus. 0 or -errno. */
int gicv2m_create(struct irqchip *ic);
/* GICv2m: the arm,gic-v2m-frame child node, written inside the open GIC node. */
int gicv2m_fdt_node(struct irqchip *ic, void *fdt);
/* GICv2m: an MSI to the frame's SETSPI_NS doorbell becomes an SPI route. */
int gicv2m_msi_route(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out);
/* GICv2m: msi-parent = the frame. */
int gicv2m_fdt_msi_parent(struct irqchip *ic, void *fdt);
/* GICv2m: free the frame. */
void gicv2m_destroy(struct irqchip *ic);

/* KVM_CREATE_DEVICE of a vGIC type; the new fd or -errno (logged with the ioctl name). */
int vgic_device_create(struct irqchip *ic, uint32_t type, const char *what);
/* KVM_SET_DEVICE_ATTR on a vGIC fd; 0 or -errno (logged with what failed). */
int vgic_attr_set(int fd, uint32_t group, uint64_t attr, const void *val, const char *what);

#endif
