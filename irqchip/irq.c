/* irq.c - the IRQ layer: every device raises and lowers its lines here. */
#include "irq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../util.h"
#include "gic.h"

uint32_t irq_line_encode(unsigned type, unsigned vcpu, unsigned intid)
{
	/* Without KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 vcpu2_index must be 0, i.e. vcpu < 256. */
	return ((uint32_t)(vcpu >> 8) & 0xf) << 28 | (type & 0xf) << 24 |
	       (vcpu & 0xff) << 16 | (intid & 0xffff);
}

int irq_spi_set(struct irqchip *ic, uint32_t intid, bool level)
{
	struct kvm_irq_level irq;

	if (intid < 32 || intid >= ic->routing.nr_irqs)
		return -EINVAL;
	memset(&irq, 0, sizeof(irq));
	irq.irq = irq_line_encode(KVM_IRQ_TYPE_SPI, 0, intid);
	irq.level = level;
	if (ioctl(ic->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
		int err = errno;

		log_ratelimited("irq: KVM_IRQ_LINE(SPI %u, %d): %s", intid, level, strerror(err));
		return -err;
	}
	if (level)
		__atomic_add_fetch(&ic->routing.spi_raised[intid], 1, __ATOMIC_RELAXED);
	return 0;
}

/* ---- GSI routing (api.rst KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_SIGNAL_MSI) ---- */

int irq_spi_alloc(struct irqchip *ic, unsigned count, uint32_t *first)
{
	return irq_routing_spi_alloc(&ic->routing, count, first);
}

void irq_spi_free(struct irqchip *ic, uint32_t first, unsigned count)
{
	irq_routing_spi_free(&ic->routing, first, count);
}

int irq_gsi_alloc(struct irqchip *ic, uint32_t *gsi)
{
	return irq_routing_gsi_alloc(&ic->routing, gsi);
}

void irq_gsi_free(struct irqchip *ic, uint32_t gsi)
{
	irq_routing_gsi_free(&ic->routing, gsi);
}

int irq_route_set(struct irqchip *ic, uint32_t gsi, const struct irq_route *route)
{
	return irq_routing_route_set(&ic->routing, gsi, route);
}

int irq_routing_commit(struct irqchip *ic)
{
	struct kvm_irq_routing *table;
	int ret = 0;

	table = calloc(1, sizeof(*table) + IRQ_MAX_GSIS * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	/* Build and install under one lock: two vCPUs committing must not reorder tables. */
	pthread_mutex_lock(&ic->routing.lock);
	table->nr = irq_routing_build_locked(&ic->routing, table->entries, IRQ_MAX_GSIS);
	if (ioctl(ic->vm_fd, KVM_SET_GSI_ROUTING, table) < 0) {
		ret = -errno;
		log_err("irq: KVM_SET_GSI_ROUTING (%u entries): %s", table->nr, strerror(-ret));
	}
	pthread_mutex_unlock(&ic->routing.lock);
	free(table);
	return ret;
}

static int irqfd_ioctl(struct irqchip *ic, int fd, uint32_t gsi, int resample_fd, uint32_t flags)
{
	struct kvm_irqfd req = { .fd = fd, .gsi = gsi, .flags = flags };

	if (resample_fd >= 0) {
		req.flags |= KVM_IRQFD_FLAG_RESAMPLE;
		req.resamplefd = resample_fd;
	}
	if (ioctl(ic->vm_fd, KVM_IRQFD, &req) < 0) {
		int err = errno;

		log_err("irq: KVM_IRQFD(gsi %u%s): %s", gsi,
			(flags & KVM_IRQFD_FLAG_DEASSIGN) ? ", deassign" : "", strerror(err));
		return -err;
	}
	return 0;
}

int irqfd_attach(struct irqchip *ic, int fd, uint32_t gsi, int resample_fd)
{
	return irqfd_ioctl(ic, fd, gsi, resample_fd, 0);
}

int irqfd_detach(struct irqchip *ic, int fd, uint32_t gsi)
{
	return irqfd_ioctl(ic, fd, gsi, -1, KVM_IRQFD_FLAG_DEASSIGN);
}

int irq_gsi_signal(struct irqchip *ic, uint32_t gsi, int fd)
{
	uint64_t one = 1;

	if (gsi >= IRQ_MAX_GSIS)
		return -EINVAL;
	__atomic_add_fetch(&ic->routing.routes[gsi].signals, 1, __ATOMIC_RELAXED);
	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int irq_msi_signal(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int r;

	if (ic->routing.msi_devid) {
		msi.flags = KVM_MSI_VALID_DEVID;
		msi.devid = devid;
	}
	/* Returns > 0 when delivered, 0 when the guest has not mapped it (not an error). */
	r = ioctl(ic->vm_fd, KVM_SIGNAL_MSI, &msi);
	if (r < 0) {
		int err = errno;

		log_ratelimited("irq: KVM_SIGNAL_MSI(devid %u, data %u): %s", devid, data, strerror(err));
		return -err;
	}
	return 0;
}

int irq_msi_route(struct irqchip *ic, uint64_t addr, uint32_t data, uint32_t devid, struct irq_route *out)
{
	if (!ic->ops || !ic->ops->msi_route)
		return -ENOTSUP;
	return ic->ops->msi_route(ic, addr, data, devid, out);
}

void irqchip_fdt_spi(uint32_t intid, uint32_t cells[3])
{
	cells[0] = 0;          /* SPI */
	cells[1] = intid - 32;
	cells[2] = 4;          /* IRQ_TYPE_LEVEL_HIGH */
}

void irqchip_fdt_ppi(uint32_t intid, uint32_t flags, uint32_t cells[3])
{
	cells[0] = 1;          /* PPI */
	cells[1] = intid - 16;
	cells[2] = flags;
}

int irqchip_fdt_msi_parent(struct irqchip *ic, void *fdt)
{
	return ic->ops->fdt_msi_parent ? ic->ops->fdt_msi_parent(ic, fdt) : 0;
}

uint32_t irqchip_phandle(const struct irqchip *ic)
{
	return ic->phandle;
}
