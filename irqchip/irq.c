/* irq.c - the IRQ layer: every device raises and lowers its lines here. */
#include "irqchip.h"

#include <errno.h>
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
	return 0;
}

const struct irqchip_ops *irqchip_ops_for(enum gic_model model)
{
	switch (model) {
	case GIC_V2:
		return &gicv2_ops;
	case GIC_V3:
		return &gicv3_ops;
	default:
		return NULL;
	}
}

void irqchip_destroy(struct vm *vm)
{
	if (vm->gic.its_fd >= 0)
		close(vm->gic.its_fd);
	if (vm->gic.dev_fd >= 0)
		close(vm->gic.dev_fd);
	vm->gic.its_fd = vm->gic.dev_fd = -1;
}

uint32_t irqchip_timer_flags(const struct vm *vm)
{
	uint32_t flags = 4; /* IRQ_TYPE_LEVEL_HIGH */

	/* GICv2 PPI specifiers carry a CPU mask in bits 15:8 (arm,gic binding). */
	if (vm->gic_ops == &gicv2_ops) {
		unsigned n = vm->nr_vcpus > 8 ? 8 : vm->nr_vcpus;

		flags |= ((1u << n) - 1) << 8;
	}
	return flags;
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
