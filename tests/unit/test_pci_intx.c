/* Unit tests: virtio-pci interrupts without the ITS: INTx (ISR, resampling irqfd) and MSI-X on
 * GICv2m. KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>

#include "fake_kvm.h"
#include "pci_fixture.h"

static void test_virtio_msix_v2m(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[0];
	uint32_t spi = guest_irqmap[IRQ_GICV2M].intid + 3;
	const struct kvm_irq_routing_entry *e;

	(void)state;
	queue_setup();
	msix_control(MSIX_ENABLE);
	/* GICv2m: the frame's SETSPI_NS doorbell with an SPI of the frame as data. */
	msix_entry(0, guest_memmap[MEM_GICV2M].base + 0x40, spi, false);
	e = route_of(v->gsi);
	assert_non_null(e);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
	assert_int_equal(e->u.irqchip.pin, spi - 32);
	assert_non_null(irqfd_of(v->gsi));
	/* An SPI outside the frame is no doorbell hit. */
	msix_entry(1, guest_memmap[MEM_GICV2M].base + 0x40, spi + 200, false);
	assert_null(route_of(virtio_pci_msix(vd)->vectors[1].gsi));
}

static void test_virtio_intx(void **state)
{
	const struct kvm_irq_routing_entry *e = route_of(vd->line.gsi);
	const struct kvm_irqfd *fd = irqfd_of(vd->line.gsi);

	(void)state;
	/* At creation: an irqchip route to the INTx SPI and a resampling irqfd on it. */
	assert_non_null(e);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
	assert_int_equal(e->u.irqchip.irqchip, 0);
	assert_int_equal(e->u.irqchip.pin, virtio_pci_function(vd)->intx_intid - 32);
	assert_non_null(fd);
	assert_int_equal(fd->fd, vd->line.fd);
	assert_int_equal(fd->flags, KVM_IRQFD_FLAG_RESAMPLE);
	assert_int_equal(fd->resamplefd, vd->line.resample_fd);
	assert_int_equal(cfg_read(VSLOT, PCI_INTERRUPT_LINE, 1), virtio_pci_function(vd)->intx_intid - 32);
	assert_int_equal(cfg_read(VSLOT, PCI_INTERRUPT_PIN, 1), 1);
	/* MSI-X off: a queue interrupt sets ISR bit 0 and raises the line. */
	queue_setup();
	queue_interrupt();
	assert_int_equal(eventfd_take(vd->line.fd), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 0); /* reading cleared it */
	/* INTX_DISABLE keeps the line down; the ISR still records it. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	queue_interrupt();
	assert_int_equal(eventfd_take(vd->line.fd), 0);
	assert_int_equal(bar_rd(BAR_ISR, 4), 1);
	assert_int_equal(bar_rd(BAR_ISR, 4), 0);
	/* A config change (here NEEDS_RESET) is ISR bit 1. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&vd->lock);
	virtio_needs_reset(vd, "test");
	pthread_mutex_unlock(&vd->lock);
	assert_int_equal(eventfd_take(vd->line.fd), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 2);
	assert_int_equal(bar_rd(CC_CFG_GEN, 1), 1);
	/* The avail ring's NO_INTERRUPT flag suppresses queue interrupts. */
	ram[AVAIL_GPA - RAM_GPA] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	queue_interrupt();
	assert_int_equal(eventfd_take(vd->line.fd), 0);
	assert_int_equal(bar_rd(BAR_ISR, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		V2M_TEST(test_virtio_msix_v2m),
		VIRTIO_TEST(test_virtio_intx),
	};
	return cmocka_run_group_tests_name("pci_intx", tests, NULL, NULL);
}
