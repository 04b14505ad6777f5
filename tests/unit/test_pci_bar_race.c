/* Unit tests: two vCPUs moving virtio-pci BARs while their kicks are re-registered. KVM faked
 * at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>

#include "fake_kvm.h"
#include "pci_fixture.h"

/* Issue 11 defect 10: two vCPUs moving two functions' BARs. Each remapped its BAR, then in
 * a second step re-registered its kick: B could take the address A had just left while A's
 * kick was still registered there; KVM refused B's with EEXIST, logged without a rate
 * limit, and B's kicks took the slow path until its BAR moved again. */
#define RACE_ROUNDS 3000

struct bar_mover {
	unsigned slot;
	uint64_t addr[2]; /* BAR0 goes back and forth between these */
};

/* A vCPU: config writes through ECAM, as exits bring them (no cmocka asserts off the main thread). */
static void *bar_mover_run(void *arg)
{
	const struct bar_mover *m = arg;

	for (unsigned i = 0; i < RACE_ROUNDS; i++) {
		uint8_t data[4];

		le_store(data, 4, (uint32_t)m->addr[i & 1]);
		mmio_bus_access(&vm.mmio, ecam_addr(m->slot, 0, PCI_BAR0), data, 4, true);
	}
	return NULL;
}

static void test_bar_move_race(void **state)
{
	uint64_t w = guest_memmap[MEM_PCI_MMIO].base, x = w + 0x100000, y = w + 0x200000, z = w + 0x300000;
	/* A leaves X for Z and comes back; B takes X whenever A is away, then returns to Y. */
	struct bar_mover movers[2] = { { 0, { z, x } }, { 1, { x, y } } };
	struct virtio_dev *devs[2];
	pthread_t threads[2];
	unsigned mapped = 0;

	(void)state;
	vm_init(&gicv3_ops, true);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(virtio_rng_create(&vm.vhost, &devs[i]), 0);
		vd = devs[i];
		cfg_write(i, PCI_BAR0, 4, (uint32_t)movers[i].addr[1]);
		cfg_write(i, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		bar0 = movers[i].addr[1];
		assert_int_equal(virtio_pci_function(vd)->bars[0].mapped_at, bar0);
		queue_setup();
		assert_true(ioeventfd_at(vd->queues[0].kick_fd, bar0 + BAR_NOTIFY));
	}
	kvm.ioeventfd_no_log = kvm.ioeventfd_yield = true;
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, bar_mover_run, &movers[i]), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	/* No registration was refused, and each mapped function kicks at its notify address. */
	assert_int_equal(kvm.eexist, 0);
	for (unsigned i = 0; i < 2; i++) {
		struct virtio_queue_state *qs = &devs[i]->queues[0];
		uint64_t at = virtio_pci_function(devs[i])->bars[0].mapped_at;

		if (!at) {
			assert_int_equal(qs->ioeventfd_addr, 0);
			continue;
		}
		mapped++;
		assert_int_equal(qs->ioeventfd_addr, at + BAR_NOTIFY);
		assert_true(ioeventfd_at(qs->kick_fd, at + BAR_NOTIFY));
	}
	assert_int_equal(kvm.nr_active, mapped); /* nothing left behind at an old address */
	for (unsigned i = 0; i < 2; i++)
		virtio_destroy(devs[i]);
	vd = NULL;
	vm_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_move_race),
	};
	return cmocka_run_group_tests_name("pci_bar_race", tests, NULL, NULL);
}
