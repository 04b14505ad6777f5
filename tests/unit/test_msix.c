/* Unit tests: MSI-X (devices/msix.c) on a bare PCI function, then through virtio-pci, with the
 * ITS: routes, irqfds, masking, the PBA, table accesses. KVM faked at ioctl() (fake_kvm.c),
 * fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kvm.h"
#include "pci_fixture.h"

/* ---- msix.c on its own: a function with 3 vectors, table and PBA in BAR 2 ---- */

#define T_TABLE 0x1000
#define T_PBA   0x2000
#define T_NR    3

static struct pci_device fn;
static struct msix m;
static bool gate_open;
static unsigned route_changes, last_changed;

static bool t_may_send(void *owner)
{
	assert_ptr_equal(owner, &fn);
	return gate_open;
}

static void t_route_changed(void *owner, unsigned vec)
{
	assert_ptr_equal(owner, &fn);
	route_changes++;
	last_changed = vec;
}

static int msix_alone_setup(void **state)
{
	(void)state;
	vm_init(&gicv3_ops, true);
	memset(&m, 0, sizeof(m));
	gate_open = true;
	route_changes = 0;
	pci_device_init(&fn, "msix-test", 0x1234, 0x1111, 0x0c0330, 0x1234, 1);
	m.may_send = t_may_send;
	m.route_changed = t_route_changed;
	m.owner = &fn;
	assert_int_equal(msix_init(&m, &fn, &vm.irq, T_NR, 2, T_TABLE, T_PBA), 0);
	assert_int_equal(pci_device_add(vm.pci, &fn), 0);
	return 0;
}

static int msix_alone_teardown(void **state)
{
	(void)state;
	msix_destroy(&m);
	vm_fini();
	return 0;
}

#define ALONE_TEST(f) cmocka_unit_test_setup_teardown(f, msix_alone_setup, msix_alone_teardown)

static void t_entry(unsigned i, uint64_t addr, uint32_t data, bool masked)
{
	msix_bar_write(&m, T_TABLE + 16 * i, 8, addr);
	msix_bar_write(&m, T_TABLE + 16 * i + 8, 4, data);
	msix_bar_write(&m, T_TABLE + 16 * i + 12, 4, masked);
}

/* Message Control as the owner's cfg_written passes it on. */
static void t_control(uint16_t ctrl)
{
	pci_cfg_write(&fn, m.cap + 2, 2, ctrl);
	assert_true(msix_cap_written(&m, m.cap + 2, 2));
	msix_update(&m);
}

/* 6.8.2: the capability says where the table and PBA are and how big; only enable and the
 * function mask are writable; vectors start masked. */
static void test_msix_capability(void **state)
{
	(void)state;
	assert_int_equal(pci_cfg_read(&fn, m.cap, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(pci_cfg_read(&fn, m.cap + 2, 2), T_NR - 1);
	assert_int_equal(pci_cfg_read(&fn, m.cap + 4, 4), T_TABLE | 2);
	assert_int_equal(pci_cfg_read(&fn, m.cap + 8, 4), T_PBA | 2);
	pci_cfg_write(&fn, m.cap + 2, 2, 0xffff);
	assert_int_equal(pci_cfg_read(&fn, m.cap + 2, 2), MSIX_ENABLE | MSIX_MASKALL | (T_NR - 1));
	assert_true(msix_enabled(&m));
	assert_false(msix_cap_written(&m, m.cap + 4, 4));
	assert_false(msix_cap_written(&m, m.cap, 2));
	for (unsigned i = 0; i < T_NR; i++)
		assert_int_equal(msix_bar_read(&m, T_TABLE + 16 * i + 12, 4), 1);
	/* What it claims: the entries and one QWORD of pending bits. */
	assert_true(msix_bar_claims(&m, T_TABLE));
	assert_true(msix_bar_claims(&m, T_TABLE + 16 * T_NR - 4));
	assert_false(msix_bar_claims(&m, T_TABLE + 16 * T_NR));
	assert_false(msix_bar_claims(&m, T_TABLE - 4));
	assert_true(msix_bar_claims(&m, T_PBA + 4));
	assert_false(msix_bar_claims(&m, T_PBA + 8));
	assert_int_equal(msix_signal(&m, T_NR), -EINVAL);
	/* Nonsense layouts are refused before anything is set up. */
	{
		struct msix bad = { 0 };

		assert_int_equal(msix_init(&bad, &fn, &vm.irq, 0, 0, 0, 0x800), -EINVAL);
		assert_int_equal(msix_init(&bad, &fn, &vm.irq, 1, 0, 4, 0x800), -EINVAL);
		assert_int_equal(msix_init(&bad, &fn, &vm.irq, 1, PCI_NR_BARS, 0, 0x800), -EINVAL);
		msix_destroy(&bad);
	}
}

/* Per-vector mask: no route while masked, route and irqfd at unmask, pending bit while
 * masked and delivered at unmask (6.8.3.5). */
static void test_msix_table_masking(void **state)
{
	struct msix_vector *v = &m.vectors[1];

	(void)state;
	t_control(MSIX_ENABLE);
	t_entry(1, its_doorbell(), 51, true);
	assert_null(route_of(v->gsi));
	assert_int_equal(msix_bar_read(&m, T_TABLE + 16, 8), its_doorbell());
	assert_int_equal(msix_bar_read(&m, T_TABLE + 24, 4), 51);
	assert_int_equal(msix_signal(&m, 1), 0);
	assert_int_equal(msix_bar_read(&m, T_PBA, 8), 2);
	assert_int_equal(msix_bar_read(&m, T_PBA + 4, 4), 0);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	msix_bar_write(&m, T_TABLE + 28, 4, 0);
	assert_non_null(route_of(v->gsi));
	assert_int_equal(route_of(v->gsi)->u.msi.data, 51);
	assert_int_equal(route_of(v->gsi)->u.msi.devid, pci_requester_id(&fn));
	assert_int_equal(irqfd_of(v->gsi)->fd, v->irq_fd);
	assert_int_equal(route_changes, 1);
	assert_int_equal(last_changed, 1);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(msix_bar_read(&m, T_PBA, 4), 0);
	assert_int_equal(msix_signal(&m, 1), 1);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	/* A new message while unmasked: the route follows; an unroutable one takes it away. */
	msix_bar_write(&m, T_TABLE + 24, 4, 52);
	assert_int_equal(route_of(v->gsi)->u.msi.data, 52);
	assert_int_equal(route_changes, 2);
	msix_bar_write(&m, T_TABLE + 16, 8, RAM_GPA);
	assert_false(v->routed);
	assert_true(irqfd_of(v->gsi)->flags & KVM_IRQFD_FLAG_DEASSIGN);
	assert_int_equal(route_changes, 3);
	assert_int_equal(msix_signal(&m, 1), 0);
	assert_int_equal(msix_bar_read(&m, T_PBA, 4), 2);
}

/* The function mask holds every vector like its own mask; MSI-X disabled gives no routes. */
static void test_msix_function_mask(void **state)
{
	struct msix_vector *v = &m.vectors[0];

	(void)state;
	t_entry(0, its_doorbell(), 60, false);
	assert_null(route_of(v->gsi)); /* not enabled yet */
	t_control(MSIX_ENABLE | MSIX_MASKALL);
	assert_null(route_of(v->gsi));
	assert_int_equal(msix_signal(&m, 0), 0);
	assert_int_equal(msix_bar_read(&m, T_PBA, 4), 1);
	t_control(MSIX_ENABLE);
	assert_non_null(route_of(v->gsi));
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(msix_bar_read(&m, T_PBA, 4), 0);
	t_control(MSIX_ENABLE | MSIX_MASKALL);
	assert_int_equal(msix_signal(&m, 0), 0);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	t_control(MSIX_ENABLE);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
}

/* The owner's gate (virtio-pci: Bus Master Enable) holds messages pending, for msix_update. */
static void test_msix_owner_gate(void **state)
{
	struct msix_vector *v = &m.vectors[2];

	(void)state;
	t_control(MSIX_ENABLE);
	t_entry(2, its_doorbell(), 70, false);
	gate_open = false;
	assert_int_equal(msix_signal(&m, 2), 0);
	assert_int_equal(msix_bar_read(&m, T_PBA, 4), 4);
	msix_update(&m);
	assert_int_equal(eventfd_take(v->irq_fd), 0);
	gate_open = true;
	msix_update(&m);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	assert_int_equal(msix_bar_read(&m, T_PBA, 4), 0);
}

/* 6.8.2: DWORD or aligned QWORD accesses only; the PBA is read-only. */
static void test_msix_bad_widths(void **state)
{
	(void)state;
	t_entry(0, its_doorbell(), 80, true);
	for (unsigned len = 1; len <= 2; len++) {
		msix_bar_write(&m, T_TABLE + 8, len, 0x55);
		msix_bar_write(&m, T_TABLE + 12, len, 0);
		assert_int_equal(msix_bar_read(&m, T_TABLE + 8, len), 0);
	}
	msix_bar_write(&m, T_TABLE + 4, 8, 0); /* QWORD across address high and data */
	msix_bar_write(&m, T_TABLE + 10, 4, 0); /* unaligned DWORD */
	assert_int_equal(msix_bar_read(&m, T_TABLE + 4, 8), 0);
	assert_int_equal(msix_bar_read(&m, T_TABLE + 8, 4), 80);
	assert_int_equal(msix_bar_read(&m, T_TABLE + 12, 4), 1);
	assert_int_equal(msix_bar_read(&m, T_TABLE, 8), its_doorbell());
	/* An aligned QWORD of data and vector control is one access. */
	msix_bar_write(&m, T_TABLE + 8, 8, 81);
	assert_int_equal(msix_bar_read(&m, T_TABLE + 8, 8), 81);
	/* The PBA: writes refused, narrow reads too. */
	assert_int_equal(msix_signal(&m, 1), 0);
	msix_bar_write(&m, T_PBA, 8, 0);
	msix_bar_write(&m, T_PBA, 4, 0);
	assert_int_equal(msix_bar_read(&m, T_PBA, 2), 0);
	assert_int_equal(msix_bar_read(&m, T_PBA, 8), 2);
	/* Outside the table and PBA: nothing. */
	msix_bar_write(&m, T_TABLE + 16 * T_NR, 4, 0x1234);
	assert_int_equal(msix_bar_read(&m, T_TABLE + 16 * T_NR, 4), 0);
}

/* ---- through virtio-pci ---- */

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
		ALONE_TEST(test_msix_capability),
		ALONE_TEST(test_msix_table_masking),
		ALONE_TEST(test_msix_function_mask),
		ALONE_TEST(test_msix_owner_gate),
		ALONE_TEST(test_msix_bad_widths),
		VIRTIO_TEST(test_virtio_msix_route),
		VIRTIO_TEST(test_virtio_msix_route_update),
		VIRTIO_TEST(test_virtio_msix_pending),
		VIRTIO_TEST(test_virtio_msix_held_without_bus_master),
		VIRTIO_TEST(test_virtio_msix_bad_address),
		VIRTIO_TEST(test_virtio_msix_table_width),
	};
	return cmocka_run_group_tests_name("msix", tests, NULL, NULL);
}
