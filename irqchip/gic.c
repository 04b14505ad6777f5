/* gic.c - the VM's interrupt controller: set up, create, finalize and tear down the model
 * chosen, and what every model shares (FDT specifiers, vGIC device attributes). */
#include "gic.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../fdt/fdt_build.h"
#include "../util.h"

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

void irqchip_init(struct irqchip *ic, int vm_fd, unsigned nr_vcpus, const struct irqchip_ops *ops, bool its,
		  const struct gic_layout *layout, const struct guest_mem *mem, struct mmio_bus *bus)
{
	ic->vm_fd = vm_fd;
	ic->nr_vcpus = nr_vcpus;
	ic->ops = ops;
	ic->layout = *layout;
	ic->dev_fd = ic->its_fd = -1;
	ic->phandle = PHANDLE_GIC;
	ic->its_phandle = PHANDLE_ITS;
	ic->v2m_phandle = PHANDLE_V2M;
	ic->its_enabled = its;
	ic->nr_redist_regions = 0;
	ic->v2m = NULL;
	ic->mem = mem;
	ic->bus = bus;
	/* msi_devid follows once the ITS exists (irqchip_create). */
	irq_routing_init(&ic->routing, false, layout->nr_irqs, layout->dyn_spi_first, layout->dyn_spi_count);
}

int irqchip_create(struct irqchip *ic)
{
	int ret = ic->ops->create(ic);

	/* KVM_CAP_MSI_DEVID turns true once an ITS exists (arm-vgic-its.rst). */
	if (!ret)
		ic->routing.msi_devid = ioctl(ic->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID) > 0;
	return ret;
}

int irqchip_finalize(struct irqchip *ic)
{
	return ic->ops->finalize(ic);
}

int irqchip_fdt_node(struct irqchip *ic, void *fdt)
{
	return ic->ops->fdt_node(ic, fdt);
}

void irqchip_destroy(struct irqchip *ic)
{
	if (ic->its_fd >= 0)
		close(ic->its_fd);
	if (ic->dev_fd >= 0)
		close(ic->dev_fd);
	ic->its_fd = ic->dev_fd = -1;
	gicv2m_destroy(ic);
}

uint32_t irqchip_timer_flags(const struct irqchip *ic)
{
	uint32_t flags = 4; /* IRQ_TYPE_LEVEL_HIGH */

	/* GICv2 PPI specifiers carry a CPU mask in bits 15:8 (arm,gic binding). */
	if (ic->ops->ppi_cpu_mask) {
		unsigned n = ic->nr_vcpus > GICV2_MAX_VCPUS ? GICV2_MAX_VCPUS : ic->nr_vcpus;

		flags |= ((1u << n) - 1) << 8;
	}
	return flags;
}

int vgic_device_create(struct irqchip *ic, uint32_t type, const char *what)
{
	struct kvm_create_device dev = { .type = type };

	if (ioctl(ic->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
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
