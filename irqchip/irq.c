/* irq.c - the IRQ layer: every device raises and lowers its lines here. */
#include "irqchip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../arch/arm64/memmap.h"
#include "../util.h"
#include "../vm.h"

uint32_t irq_line_encode(unsigned type, unsigned vcpu, unsigned intid)
{
	/* Without KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 vcpu2_index must be 0, i.e. vcpu < 256. */
	return ((uint32_t)(vcpu >> 8) & 0xf) << 28 | (type & 0xf) << 24 |
	       (vcpu & 0xff) << 16 | (intid & 0xffff);
}

int irq_spi_set(struct vm *vm, uint32_t intid, bool level)
{
	struct kvm_irq_level irq;

	if (intid < 32 || intid >= GIC_NR_IRQS)
		return -EINVAL;
	memset(&irq, 0, sizeof(irq));
	irq.irq = irq_line_encode(KVM_IRQ_TYPE_SPI, 0, intid);
	irq.level = level;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
		int err = errno;

		log_ratelimited("irq: KVM_IRQ_LINE(SPI %u, %d): %s", intid, level, strerror(err));
		return -err;
	}
	if (level)
		__atomic_add_fetch(&vm->routing.spi_raised[intid], 1, __ATOMIC_RELAXED);
	return 0;
}

const struct irqchip_ops *irqchip_ops_for(enum irqchip_model model)
{
	switch (model) {
	case IRQCHIP_GICV2:
		return &gicv2_ops;
	case IRQCHIP_GICV2M:
		return &gicv2m_ops;
	case IRQCHIP_GICV3:
		return &gicv3_ops;
	}
	return NULL;
}

void irqchip_destroy(struct vm *vm)
{
	if (vm->gic.its_fd >= 0)
		close(vm->gic.its_fd);
	if (vm->gic.dev_fd >= 0)
		close(vm->gic.dev_fd);
	vm->gic.its_fd = vm->gic.dev_fd = -1;
	gicv2m_destroy(vm);
}

uint32_t irqchip_timer_flags(const struct vm *vm)
{
	uint32_t flags = 4; /* IRQ_TYPE_LEVEL_HIGH */

	/* GICv2 PPI specifiers carry a CPU mask in bits 15:8 (arm,gic binding). */
	if (vm->gic_ops->ppi_cpu_mask) {
		unsigned n = vm->nr_vcpus > GICV2_MAX_VCPUS ? GICV2_MAX_VCPUS : vm->nr_vcpus;

		flags |= ((1u << n) - 1) << 8;
	}
	return flags;
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

int irqchip_fdt_msi_parent(struct vm *vm, void *fdt)
{
	return vm->gic_ops->fdt_msi_parent ? vm->gic_ops->fdt_msi_parent(vm, fdt) : 0;
}

int vgic_device_create(struct vm *vm, uint32_t type, const char *what)
{
	struct kvm_create_device dev = { .type = type };

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
		int err = errno;

		log_err("%s: KVM_CREATE_DEVICE: %s", what, strerror(err));
		return -err;
	}
	return dev.fd;
}

int vgic_attr_set(int fd, uint32_t group, uint64_t attr, const void *val, const char *what)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)val,
	};

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
		int err = errno;

		log_err("%s: KVM_SET_DEVICE_ATTR: %s", what, strerror(err));
		return -err;
	}
	return 0;
}

/* ---- GSI routing (api.rst KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_SIGNAL_MSI) ---- */

void irq_routing_init(struct irq_routing *r, bool msi_devid)
{
	memset(r->routes, 0, sizeof(r->routes));
	memset(r->spi_used, 0, sizeof(r->spi_used));
	r->msi_devid = msi_devid;
	pthread_mutex_init(&r->lock, NULL);
}

static bool spi_is_used(const struct irq_routing *r, uint32_t intid)
{
	return r->spi_used[intid / 8] & (1u << (intid % 8));
}

int irq_spi_alloc(struct irq_routing *r, unsigned count, uint32_t *first)
{
	const struct irq_assign *dyn = &guest_irqmap[IRQ_DYNAMIC];
	uint32_t end = dyn->intid + dyn->count;
	int ret = -ENOSPC;

	if (!count)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	for (uint32_t base = dyn->intid; base + count <= end; base++) {
		unsigned n = 0;

		while (n < count && !spi_is_used(r, base + n))
			n++;
		if (n < count) {
			base += n; /* skip past the used SPI */
			continue;
		}
		for (n = 0; n < count; n++)
			r->spi_used[(base + n) / 8] |= 1u << ((base + n) % 8);
		*first = base;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void irq_spi_free(struct irq_routing *r, uint32_t first, unsigned count)
{
	pthread_mutex_lock(&r->lock);
	for (uint32_t i = first; i < first + count && i < GIC_NR_IRQS; i++)
		r->spi_used[i / 8] &= ~(1u << (i % 8));
	pthread_mutex_unlock(&r->lock);
}

int irq_gsi_alloc(struct irq_routing *r, uint32_t *gsi)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (uint32_t i = 0; i < IRQ_MAX_GSIS; i++) {
		if (!r->routes[i].used) {
			r->routes[i] = (struct irq_route){ .used = true, .type = ROUTE_NONE };
			*gsi = i;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void irq_gsi_free(struct irq_routing *r, uint32_t gsi)
{
	if (gsi >= IRQ_MAX_GSIS)
		return;
	pthread_mutex_lock(&r->lock);
	memset(&r->routes[gsi], 0, sizeof(r->routes[gsi]));
	pthread_mutex_unlock(&r->lock);
}

int irq_route_set(struct irq_routing *r, uint32_t gsi, const struct irq_route *route)
{
	int ret = 0;

	if (gsi >= IRQ_MAX_GSIS)
		return -EINVAL;
	if (route->type == ROUTE_SPI && (route->intid < 32 || route->intid >= GIC_NR_IRQS))
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (!r->routes[gsi].used) {
		ret = -EINVAL;
	} else {
		uint64_t signals = r->routes[gsi].signals;

		r->routes[gsi] = *route;
		r->routes[gsi].used = true;
		r->routes[gsi].signals = signals;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* The table from the routes in use; lock held. */
static unsigned routing_build_locked(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max)
{
	unsigned n = 0;

	for (uint32_t gsi = 0; gsi < IRQ_MAX_GSIS && n < max; gsi++) {
		const struct irq_route *rt = &r->routes[gsi];

		if (!rt->used || rt->type == ROUTE_NONE)
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].gsi = gsi;
		if (rt->type == ROUTE_SPI) {
			/* vgic-irqfd.c: pin is the SPI number, INTID - 32. */
			e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			e[n].u.irqchip.irqchip = 0;
			e[n].u.irqchip.pin = rt->intid - 32;
		} else {
			e[n].type = KVM_IRQ_ROUTING_MSI;
			e[n].u.msi.address_lo = (uint32_t)rt->msi_addr;
			e[n].u.msi.address_hi = (uint32_t)(rt->msi_addr >> 32);
			e[n].u.msi.data = rt->msi_data;
			if (r->msi_devid) {
				e[n].flags = KVM_MSI_VALID_DEVID;
				e[n].u.msi.devid = rt->devid;
			}
		}
		n++;
	}
	return n;
}

unsigned irq_routing_build(struct irq_routing *r, struct kvm_irq_routing_entry *e, unsigned max)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = routing_build_locked(r, e, max);
	pthread_mutex_unlock(&r->lock);
	return n;
}

int irq_routing_commit(struct vm *vm)
{
	struct kvm_irq_routing *table;
	int ret = 0;

	table = calloc(1, sizeof(*table) + IRQ_MAX_GSIS * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	/* Build and install under one lock: two vCPUs committing must not reorder tables. */
	pthread_mutex_lock(&vm->routing.lock);
	table->nr = routing_build_locked(&vm->routing, table->entries, IRQ_MAX_GSIS);
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0) {
		ret = -errno;
		log_err("irq: KVM_SET_GSI_ROUTING (%u entries): %s", table->nr, strerror(-ret));
	}
	pthread_mutex_unlock(&vm->routing.lock);
	free(table);
	return ret;
}

static int irqfd_ioctl(struct vm *vm, int fd, uint32_t gsi, int resample_fd, uint32_t flags)
{
	struct kvm_irqfd req = { .fd = fd, .gsi = gsi, .flags = flags };

	if (resample_fd >= 0) {
		req.flags |= KVM_IRQFD_FLAG_RESAMPLE;
		req.resamplefd = resample_fd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0) {
		int err = errno;

		log_err("irq: KVM_IRQFD(gsi %u%s): %s", gsi,
			(flags & KVM_IRQFD_FLAG_DEASSIGN) ? ", deassign" : "", strerror(err));
		return -err;
	}
	return 0;
}

int irqfd_attach(struct vm *vm, int fd, uint32_t gsi, int resample_fd)
{
	return irqfd_ioctl(vm, fd, gsi, resample_fd, 0);
}

int irqfd_detach(struct vm *vm, int fd, uint32_t gsi)
{
	return irqfd_ioctl(vm, fd, gsi, -1, KVM_IRQFD_FLAG_DEASSIGN);
}

int irq_gsi_signal(struct vm *vm, uint32_t gsi, int fd)
{
	uint64_t one = 1;

	if (gsi >= IRQ_MAX_GSIS)
		return -EINVAL;
	__atomic_add_fetch(&vm->routing.routes[gsi].signals, 1, __ATOMIC_RELAXED);
	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int irq_msi_signal(struct vm *vm, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int r;

	if (vm->routing.msi_devid) {
		msi.flags = KVM_MSI_VALID_DEVID;
		msi.devid = devid;
	}
	/* Returns > 0 when delivered, 0 when the guest has not mapped it (not an error). */
	r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	if (r < 0) {
		int err = errno;

		log_ratelimited("irq: KVM_SIGNAL_MSI(devid %u, data %u): %s", devid, data, strerror(err));
		return -err;
	}
	return 0;
}
