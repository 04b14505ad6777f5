/* Unit tests: virtio-pci MSI-X through the ITS: routes, irqfds, masking, the PBA, table
 * accesses. KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>

#include "fake_kvm.h"
#include "pci_fixture.h"

static void test_virtio_msix_route(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[0];
	unsigned calls = kvm.routing_calls, irqfds = kvm.nr_irqfds;
	const struct kvm_irqfd *fd;

	(void)state;
	msix_setup(33);
	/* Masked: nothing given to KVM yet. */
	assert_int_equal(kvm.routing_calls, calls);
	assert_null(route_of(v->gsi));
	assert_int_equal(bar_rd(BAR_TABLE, 8), its_doorbell());
	assert_int_equal(bar_rd(BAR_TABLE + 8, 4), 33);
	assert_int_equal(bar_rd(BAR_TABLE + 12, 4), 1);
	/* A vector past the table is refused. */
	bar_wr(CC_Q_MSIX, 2, 2);
	assert_int_equal(bar_rd(CC_Q_MSIX, 2), NO_VECTOR);
	bar_wr(CC_Q_MSIX, 2, 0);
	bar_wr(CC_MSIX_CONFIG, 2, 1);
	assert_int_equal(bar_rd(CC_MSIX_CONFIG, 2), 1);
	/* Unmask: route (ITS, device ID = requester ID) and irqfd on the vector's GSI. */
	msix_mask(0, false);
	assert_int_equal(kvm.routing_calls, calls + 1);
	check_msi_route(v->gsi, 33);
	assert_non_null(route_of(vd->line.gsi)); /* the whole table: INTx's route stays */
	assert_int_equal(kvm.nr_irqfds, irqfds + 1);
	fd = irqfd_of(v->gsi);
	assert_non_null(fd);
	assert_int_equal(fd->fd, v->irq_fd);
	assert_int_equal(fd->flags, 0);
	assert_int_equal(bar_rd(BAR_TABLE + 12, 4), 0);
}

static void test_virtio_msix_route_update(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[0];
	unsigned calls, irqfds;

	(void)state;
	msix_setup(33);
	msix_mask(0, false);
	calls = kvm.routing_calls;
	irqfds = kvm.nr_irqfds;
	/* Unmasking again with the same message: KVM already has it. */
	msix_mask(0, false);
	assert_int_equal(kvm.routing_calls, calls);
	/* New data while unmasked: the route follows, the irqfd stays attached. */
	bar_wr(BAR_TABLE + 8, 4, 34);
	check_msi_route(v->gsi, 34);
	/* Masked, reprogrammed, unmasked: the new data at unmask time. */
	msix_mask(0, true);
	calls = kvm.routing_calls;
	bar_wr(BAR_TABLE + 8, 4, 35);
	assert_int_equal(kvm.routing_calls, calls);
	msix_mask(0, false);
	assert_int_equal(kvm.routing_calls, calls + 1);
	check_msi_route(v->gsi, 35);
	assert_int_equal(kvm.nr_irqfds, irqfds);
}

static void test_virtio_msix_pending(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[0];

	(void)state;
	msix_setup(40);
	/* Raised while masked: the PBA bit, no eventfd write. */
	queue_interrupt();
	assert_int_equal(bar_rd(BAR_PBA, 4), 1);
	assert_int_equal(bar_rd(BAR_PBA, 8), 1);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	/* Unmask delivers it through the irqfd. */
	msix_mask(0, false);
	assert_int_equal(bar_rd(BAR_PBA, 4), 0);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	/* Unmasked: straight to the irqfd. */
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(bar_rd(BAR_ISR, 1), 0); /* MSI-X does not use the ISR */
	/* The function mask holds it back the same way. */
	msix_control(MSIX_ENABLE | MSIX_MASKALL);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_int_equal(bar_rd(BAR_PBA, 4), 1);
	msix_control(MSIX_ENABLE);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(bar_rd(BAR_PBA, 4), 0);
	/* No vector for the queue: nothing at all. */
	bar_wr(CC_Q_MSIX, 2, NO_VECTOR);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_int_equal(eventfd_take(vd->line.fd), 0);
}

/* An MSI-X message is a memory write: none with Bus Master Enable clear (PCIe 4.0,
 * 7.5.1.1.3). Held pending, as while masked, and sent when it is set again, with a kick
 * for the live queue (what waited for bus mastering is taken then). */
static void test_virtio_msix_held_without_bus_master(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[0];

	(void)state;
	msix_setup(42);
	msix_mask(0, false);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_int_equal(bar_rd(BAR_PBA, 4), 1);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 0);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(bar_rd(BAR_PBA, 4), 0);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 1);
	/* Rewriting the command register with Bus Master Enable still set kicks nothing. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 0);
	queue_interrupt();
	assert_int_equal(eventfd_take(v->irq_fd), 1);
}

static void test_virtio_msix_bad_address(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[1];
	unsigned calls, irqfds;

	(void)state;
	msix_setup(33);
	calls = kvm.routing_calls;
	irqfds = kvm.nr_irqfds;
	/* The ITS frame but not GITS_TRANSLATER, then plain RAM: no doorbell, no route. */
	msix_entry(1, guest_memmap[MEM_GIC_ITS].base + 0x40, 7, false);
	msix_entry(1, RAM_GPA, 7, false);
	assert_int_equal(kvm.routing_calls, calls);
	assert_int_equal(kvm.nr_irqfds, irqfds);
	assert_null(route_of(v->gsi));
	assert_false(v->routed);
	/* An interrupt on it stays pending rather than going anywhere. */
	bar_wr(CC_MSIX_CONFIG, 2, 1);
	pthread_mutex_lock(&vd->lock);
	virtio_needs_reset(vd, "test");
	pthread_mutex_unlock(&vd->lock);
	assert_int_equal(bar_rd(BAR_PBA, 4), 2);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_virtio_msix_table_width(void **state)
{
	(void)state;
	msix_setup(33);
	/* 1- and 2-byte table accesses are ignored (PCI 3.0, 6.8.2: DWORD or QWORD only). */
	bar_wr(BAR_TABLE + 8, 1, 0x55);
	bar_wr(BAR_TABLE + 8, 2, 0x5555);
	bar_wr(BAR_TABLE + 12, 2, 0);
	bar_wr(BAR_TABLE + 12, 1, 0);
	assert_int_equal(bar_rd(BAR_TABLE + 8, 4), 33);
	assert_int_equal(bar_rd(BAR_TABLE + 12, 4), 1);
	assert_int_equal(bar_rd(BAR_TABLE + 8, 2), 0);
	assert_int_equal(bar_rd(BAR_TABLE + 8, 1), 0);
	/* An 8-byte write of address, or of data + control, is fine. */
	bar_wr(BAR_TABLE + 16, 8, its_doorbell());
	assert_int_equal(bar_rd(BAR_TABLE + 16, 4), (uint32_t)its_doorbell());
	bar_wr(BAR_TABLE + 8, 8, 36);
	check_msi_route(virtio_pci_msix(vd)->vectors[0].gsi, 36);
	/* Entries past the table read 0 and ignore writes. */
	bar_wr(BAR_TABLE + 16 * 2, 4, 0x1234);
	assert_int_equal(bar_rd(BAR_TABLE + 16 * 2, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VIRTIO_TEST(test_virtio_msix_route),
		VIRTIO_TEST(test_virtio_msix_route_update),
		VIRTIO_TEST(test_virtio_msix_pending),
		VIRTIO_TEST(test_virtio_msix_held_without_bus_master),
		VIRTIO_TEST(test_virtio_msix_bad_address),
		VIRTIO_TEST(test_virtio_msix_table_width),
	};
	return cmocka_run_group_tests_name("msix", tests, NULL, NULL);
}
