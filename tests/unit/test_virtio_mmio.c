/* Unit tests: the virtio-mmio transport (virtio 1.2, 4.2.2): registers, kicks matched on the
 * queue index, the SPI. KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>

#include "fake_kvm.h"
#include "pci_fixture.h"

static void test_virtio_mmio(void **state)
{
	uint64_t base = guest_memmap[MEM_VIRTIO_MMIO].base;
	const struct kvm_ioeventfd *ev;
	struct virtio_dev *md;

	(void)state;
	vm_init(&gicv3_ops, false);
	vm.vhost.pci = NULL; /* virtio-mmio */
	assert_int_equal(virtio_rng_create(&vm.vhost, &md), 0);
	vm.vhost.pci = vm.pci;
	assert_null(virtio_pci_function(md)); /* not on the PCI bus */
	assert_null(virtio_pci_msix(md));
	assert_int_equal(mmio_read(base + 0x000, 4), 0x74726976); /* "virt" */
	assert_int_equal(mmio_read(base + 0x004, 4), 2);
	assert_int_equal(mmio_read(base + 0x008, 4), 4);          /* entropy */
	assert_int_equal(mmio_read(base + 0x000, 2), 0);          /* registers are 32-bit only */
	/* The SPI is a resampling irqfd on an irqchip route. */
	assert_non_null(route_of(md->line.gsi));
	assert_int_equal(route_of(md->line.gsi)->u.irqchip.pin, guest_irqmap[IRQ_VIRTIO_MMIO].intid - 32);
	assert_int_equal(irqfd_of(md->line.gsi)->flags, KVM_IRQFD_FLAG_RESAMPLE);
	/* Features: VERSION_1 in the high half; FEATURES_OK then DRIVER_OK. */
	mmio_write(base + 0x014, 4, 1);
	assert_int_equal(mmio_read(base + 0x010, 4) & 1, 1);
	mmio_write(base + 0x024, 4, 1);
	mmio_write(base + 0x020, 4, 1);
	mmio_write(base + 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(mmio_read(base + 0x070, 4) & VIRTIO_STATUS_FEATURES_OK);
	/* A queue past the last one, even one that only a 32-bit QueueSel names, has no size. */
	mmio_write(base + 0x030, 4, 0x10000);
	assert_int_equal(mmio_read(base + 0x034, 4), 0);
	mmio_write(base + 0x030, 4, 0);
	assert_int_equal(mmio_read(base + 0x034, 4), 64);
	mmio_write(base + 0x038, 4, 16);
	mmio_write(base + 0x080, 4, (uint32_t)DESC_GPA);
	mmio_write(base + 0x090, 4, (uint32_t)AVAIL_GPA);
	mmio_write(base + 0x0a0, 4, (uint32_t)USED_GPA);
	mmio_write(base + 0x044, 4, 1);
	assert_int_equal(mmio_read(base + 0x044, 4), 1);
	/* The kick: QueueNotify, 4 bytes, matched on queue index 0. */
	ev = last_ioeventfd();
	assert_int_equal(ev->addr, base + 0x050);
	assert_int_equal(ev->len, 4);
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DATAMATCH);
	assert_int_equal(ev->datamatch, 0);
	assert_int_equal(ev->fd, md->queues[0].kick_fd);
	/* A queue interrupt: InterruptStatus bit 0 and the line raised; ACK clears the bit. */
	pthread_mutex_lock(&md->lock);
	virtio_queue_interrupt(md, 0);
	pthread_mutex_unlock(&md->lock);
	assert_int_equal(mmio_read(base + 0x060, 4), 1);
	assert_int_equal(eventfd_take(md->line.fd), 1);
	mmio_write(base + 0x064, 4, 1);
	assert_int_equal(mmio_read(base + 0x060, 4), 0);
	/* QueueReady 0 takes the queue down (Linux checks it reads back 0) and drops the kick. */
	mmio_write(base + 0x044, 4, 0);
	assert_int_equal(mmio_read(base + 0x044, 4), 0);
	ev = last_ioeventfd();
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN);
	/* A notify write KVM did not catch reaches the same eventfd; a bad index is ignored. */
	mmio_write(base + 0x050, 4, 0);
	mmio_write(base + 0x050, 4, 7);
	assert_int_equal(eventfd_take(md->queues[0].kick_fd), 1);
	/* At DRIVER_OK the queue registers freeze: a write means DEVICE_NEEDS_RESET. */
	mmio_write(base + 0x070, 4, mmio_read(base + 0x070, 4) | VIRTIO_STATUS_DRIVER_OK);
	mmio_write(base + 0x038, 4, 32);
	assert_true(mmio_read(base + 0x070, 4) & VIRTIO_STATUS_NEEDS_RESET);
	mmio_write(base + 0x070, 4, 0);
	assert_int_equal(mmio_read(base + 0x070, 4), 0);
	virtio_destroy(md);
	vm_fini();
}

/* Found by fuzz_mmio: QueueReady 0 left the ring marked ready, so host console input (and
 * blk completions) kept using a queue the driver was reprogramming: an odd avail address
 * was read with atomic 16-bit loads, which fault on arm64 when misaligned. */
static void test_virtio_mmio_queue_down(void **state)
{
	uint64_t base = guest_memmap[MEM_VIRTIO_MMIO].base;
	struct virtio_dev *md;

	(void)state;
	vm_init(&gicv3_ops, false);
	vm.vhost.pci = NULL;
	assert_int_equal(virtio_console_create(&vm.vhost, NULL, &md), 0);
	vm.vhost.pci = vm.pci;
	mmio_write(base + 0x024, 4, 1);
	mmio_write(base + 0x020, 4, 1);
	mmio_write(base + 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	/* Before DRIVER_OK (after it the queue registers are frozen): set up, then take down. */
	mmio_write(base + 0x038, 4, 16);
	mmio_write(base + 0x080, 4, (uint32_t)DESC_GPA);
	mmio_write(base + 0x090, 4, (uint32_t)AVAIL_GPA);
	mmio_write(base + 0x0a0, 4, (uint32_t)USED_GPA);
	mmio_write(base + 0x044, 4, 1);
	assert_true(md->queues[0].vq.ready);
	/* Taken down: not used until QueueReady 1 checks the new placement again. */
	mmio_write(base + 0x044, 4, 0);
	assert_false(md->queues[0].vq.ready);
	mmio_write(base + 0x090, 4, (uint32_t)AVAIL_GPA + 1);
	ram[AVAIL_GPA + 3 - RAM_GPA] = 1; /* an avail idx at the odd address */
	assert_int_equal(virtio_console_receive(md, (const uint8_t *)"x", 1), 0);
	mmio_write(base + 0x044, 4, 1);
	assert_false(md->queues[0].vq.ready);
	assert_int_equal(mmio_read(base + 0x044, 4), 0);
	virtio_destroy(md);
	vm_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtio_mmio),
		cmocka_unit_test(test_virtio_mmio_queue_down),
	};
	return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
