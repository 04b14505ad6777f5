/* Unit tests: virtio-console over virtio-pci: no DMA without bus mastering, bounded transmit.
 * KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "../../console.h"
#include "../fake/test_env.h"
#include "fake_kvm.h"
#include "pci_fixture.h"

/* Found by fuzz_pci: host console input reached virtio-console's receiveq with Bus Master
 * Enable clear (PCI 3.0, 6.2.2: no memory requests then), e.g. after the guest shut the
 * device down for kexec: the VMM wrote into RAM the guest had handed to something else. */
static void test_virtio_console_no_dma_without_master(void **state)
{
	uint16_t idx = 1, flags = VIRTQ_DESC_F_WRITE, used_idx;
	uint64_t addr = DATA_GPA;
	uint32_t len = 16;

	(void)state;
	queue_setup(); /* queue 0: the receiveq */
	memcpy(ram + (DESC_GPA - RAM_GPA), &addr, 8);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 8, &len, 4);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 12, &flags, 2);
	memcpy(ram + (AVAIL_GPA - RAM_GPA) + 2, &idx, 2);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(virtio_console_receive(vd, (const uint8_t *)"hi", 2), 0);
	memcpy(&used_idx, ram + (USED_GPA - RAM_GPA) + 2, 2);
	assert_int_equal(used_idx, 0);
	assert_int_equal(ram[DATA_GPA - RAM_GPA], 0);
	/* Bus mastering back on: the input is delivered. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(virtio_console_receive(vd, (const uint8_t *)"hi", 2), 2);
	assert_memory_equal(ram + (DATA_GPA - RAM_GPA), "hi", 2);
}

/* Issue 11 (5): a transmit chain's size is the driver's. Chains whose descriptors each
 * cover all of RAM give the console at most 64 KiB each, and one notification at most its
 * budget, after which the queue is kicked again (the I/O thread serves others first). */
#define TXQ_DESC  (RAM_GPA + 0x4000)
#define TXQ_AVAIL (RAM_GPA + 0x5000)
#define TXQ_USED  (RAM_GPA + 0x6000)
static struct console tx_con;
static struct console_sink tx_sink;

static int virtio_setup_console_out(void **state)
{
	char err[128];

	(void)state;
	vm_init(&gicv3_ops, true);
	assert_int_equal(console_init(&tx_con, &vm, -1, NULL, NULL, NULL, err, sizeof(err)), 0);
	test_console_sink(&tx_sink, &tx_con);
	plain_add(&plain);
	assert_int_equal(virtio_console_create(&vm.vhost, &tx_sink, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int virtio_teardown_console_out(void **state)
{
	virtio_teardown(state);
	console_destroy(&tx_con);
	return 0;
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = ram + (table - RAM_GPA) + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t txq_used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + (TXQ_USED - RAM_GPA) + 2, 2);
	return v;
}

static void tx_notify(void)
{
	pthread_mutex_lock(&vd->lock);
	vd->ops->queue_notify(vd->dev, 1);
	pthread_mutex_unlock(&vd->lock);
}

static void test_virtio_console_tx_bounded(void **state)
{
	uint16_t avail_idx;

	(void)state;
	driver_init();
	queue_program(1, 16, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
	/* Two chains of 8 descriptors, each descriptor all of RAM: 16 MiB of "output". */
	for (unsigned i = 0; i < 16; i++)
		put_desc(TXQ_DESC, i, RAM_GPA, RAM_SIZE, i % 8 == 7 ? 0 : VIRTQ_DESC_F_NEXT, i + 1);
	for (uint16_t i = 0; i < 2; i++) {
		uint16_t head = 8 * i;

		memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 4 + 2 * i, &head, 2);
	}
	avail_idx = 2;
	memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 2, &avail_idx, 2);
	eventfd_take(vd->queues[1].kick_fd);
	tx_notify();
	assert_int_equal(txq_used_idx(), 2);
	assert_int_equal(tx_con.bytes, 2 * 64 * 1024);
	assert_int_equal(eventfd_take(vd->queues[1].kick_fd), 0); /* under budget: no re-kick */

	/* Sixteen one-descriptor chains of all RAM: 4 x 64 KiB fill the budget, then a re-kick. */
	for (unsigned i = 0; i < 16; i++) {
		uint16_t head = i;

		put_desc(TXQ_DESC, i, RAM_GPA, RAM_SIZE, 0, 0);
		memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 4 + 2 * ((avail_idx + i) % 16), &head, 2);
	}
	avail_idx += 16;
	memcpy(ram + (TXQ_AVAIL - RAM_GPA) + 2, &avail_idx, 2);
	tx_notify();
	assert_int_equal(txq_used_idx(), 2 + 4);
	assert_int_equal(tx_con.bytes, 6 * 64 * 1024);
	assert_int_equal(eventfd_take(vd->queues[1].kick_fd), 1);
	/* Each kick makes progress; the queue drains. */
	for (int k = 0; k < 8 && txq_used_idx() != avail_idx; k++)
		tx_notify();
	assert_int_equal(txq_used_idx(), avail_idx);
	assert_int_equal(tx_con.bytes, 18 * 64 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_virtio_console_tx_bounded, virtio_setup_console_out,
						virtio_teardown_console_out),
		cmocka_unit_test_setup_teardown(test_virtio_console_no_dma_without_master, virtio_setup_console,
						virtio_teardown),
	};
	return cmocka_run_group_tests_name("virtio_console", tests, NULL, NULL);
}
