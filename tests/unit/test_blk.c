/* Unit tests: virtio-blk (virtio/blk.c) and the virtio core's queue rules, driven as a guest
 * driver would, on the fuzzers' fake VM (tests/fuzz/fake_vm.c; see the Makefile): KVM and the
 * I/O thread are faked, submissions wait until a test completes them, on a memfd disk. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../devices/pci.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/transport.h"
#include "../../virtio/virtio.h"
#include "../fuzz/fuzz.h"

#define RAM_SIZE   0x40000u
#define DESC_OFF   0x0000u
#define AVAIL_OFF  0x1000u
#define USED_OFF   0x2000u
#define HDR_OFF    0x3000u   /* request headers, 16 bytes per slot */
#define STATUS_OFF 0x3800u   /* status bytes, one per slot */
#define DATA_OFF   0x4000u   /* 4 KiB of data per slot */
#define QSIZE      16
#define DISK_SIZE  0x10000u

#define T_IN    0
#define T_OUT   1
#define T_FLUSH 4
#define S_OK    0
#define S_IOERR 1
#define PENDING 0xff         /* a status byte the device has not written yet */

static struct vm *vm;
static struct virtio_dev *vd;
static int disk_fd = -1;

static uint8_t *ram(uint32_t off)
{
	return vm->mem.hva + off;
}

static void put_desc(unsigned idx, uint32_t off, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = ram(DESC_OFF + 16 * idx);

	le_store(d, 8, FAKE_RAM_GPA + off);
	le_store(d + 8, 4, len);
	le_store(d + 12, 2, flags);
	le_store(d + 14, 2, next);
}

/* The driver's start-up (virtio 1.2, 3.1.1) with Bus Master Enable: queue 0 at our rings. */
static void driver_init(void)
{
	struct virtio_queue_state *qs = &vd->queues[0];
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	pci_cfg_write(virtio_pci_function(vd), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	virtio_status_write(vd, 0);
	assert_int_equal(virtio_status_read(vd), 0);
	memset(ram(0), 0, DATA_OFF);
	memset(ram(STATUS_OFF), PENDING, QSIZE);
	virtio_status_write(vd, st);
	vd->driver_feature_select = 0;
	virtio_features_write(vd, (uint32_t)vd->device_features);
	vd->driver_feature_select = 1;
	virtio_features_write(vd, (uint32_t)(vd->device_features >> 32));
	virtio_status_write(vd, st | VIRTIO_STATUS_FEATURES_OK);
	qs->vq.size = QSIZE;
	qs->vq.desc_gpa = FAKE_RAM_GPA + DESC_OFF;
	qs->vq.avail_gpa = FAKE_RAM_GPA + AVAIL_OFF;
	qs->vq.used_gpa = FAKE_RAM_GPA + USED_OFF;
	virtio_queue_enable(vd, qs);
	virtio_status_write(vd, st | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_queue_live(vd, 0));
}

/* Make request slot k available (descriptors 3k..3k+2, head 3k): header, data for a
 * read or write of one sector at sector k, status byte. */
static void request(unsigned k, uint32_t type)
{
	uint16_t idx = (uint16_t)le_load(ram(AVAIL_OFF + 2), 2);
	unsigned d = 3 * k;

	le_store(ram(HDR_OFF + 16 * k), 4, type);
	le_store(ram(HDR_OFF + 16 * k + 8), 8, k);
	*ram(STATUS_OFF + k) = PENDING;
	put_desc(d, HDR_OFF + 16 * k, 16, VIRTQ_DESC_F_NEXT, d + 1);
	if (type == T_FLUSH) {
		put_desc(d + 1, STATUS_OFF + k, 1, VIRTQ_DESC_F_WRITE, 0);
	} else {
		put_desc(d + 1, DATA_OFF + 0x1000 * k, 512,
			 VIRTQ_DESC_F_NEXT | (type == T_IN ? VIRTQ_DESC_F_WRITE : 0), d + 2);
		put_desc(d + 2, STATUS_OFF + k, 1, VIRTQ_DESC_F_WRITE, 0);
	}
	le_store(ram(AVAIL_OFF + 4 + 2 * (idx % QSIZE)), 2, d);
	le_store(ram(AVAIL_OFF + 2), 2, (uint16_t)(idx + 1));
}

static void kick(void)
{
	assert_true(fake_io_fire(fake_io(), vd->queues[0].kick_fd));
}

static uint8_t status_of(unsigned k)
{
	return *ram(STATUS_OFF + k);
}

static void bus_master(bool on)
{
	pci_cfg_write(virtio_pci_function(vd), PCI_COMMAND, 2, on ? PCI_COMMAND_MASTER : 0);
}

static int setup(void **state)
{
	static uint8_t disk[DISK_SIZE];
	const char *path;

	(void)state;
	vm = fake_vm_create(RAM_SIZE, FAKE_GICV3_ITS, 1);
	path = fake_file(disk, sizeof(disk), &disk_fd);
	assert_non_null(path);
	assert_int_equal(virtio_blk_create(&vm->vhost, path, false, 0, &vd), 0);
	assert_int_equal(virtio_watch(vd, fake_io()), 0);
	vm->virtio[vm->nr_virtio++] = vd;
	driver_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_io_complete(fake_io(), ~0u, false);
	fake_vm_destroy(vm);
	close(disk_fd);
	return 0;
}

/* ---- issue 11, defect 6: only a live queue is popped ---- */

/* A completion takes waiting requests (blk_io_done -> blk_process): not once the driver
 * cleared Bus Master Enable; they wait for it to be set again and a kick. */
static void test_completion_path_respects_bus_master(void **state)
{
	(void)state;
	request(0, T_IN);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 1);
	bus_master(false);
	request(1, T_IN);
	assert_int_equal(fake_io_complete(fake_io(), 1, false), 1);
	assert_int_equal(fake_io_pending(fake_io()), 0); /* request 1 not taken */
	assert_int_equal(status_of(1), PENDING);
	bus_master(true);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 1);
	fake_io_complete(fake_io(), 1, false);
	assert_int_equal(status_of(1), S_OK);
}

static uint16_t used_idx(void)
{
	return (uint16_t)le_load(ram(USED_OFF + 2), 2);
}

/* Found fixing defect 6: a request completing after the driver cleared Bus Master Enable
 * still got its status byte and used entry written (PCI 3.0, 6.2.2: no memory writes then).
 * Held instead, and returned in order once bus mastering is back and the queue is kicked
 * (the transport kicks it then). */
static void test_completion_held_without_bus_master(void **state)
{
	struct virtio_io_stats io;

	(void)state;
	request(0, T_IN);
	request(1, T_OUT);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 2);
	bus_master(false);
	assert_int_equal(fake_io_complete(fake_io(), 2, false), 2);
	assert_int_equal(status_of(0), PENDING);
	assert_int_equal(status_of(1), PENDING);
	assert_int_equal(used_idx(), 0);
	bus_master(true);
	kick();
	assert_int_equal(status_of(0), S_OK);
	assert_int_equal(status_of(1), S_OK);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(le_load(ram(USED_OFF + 4), 4), 0); /* in completion order: head 0, then 3 */
	assert_int_equal(le_load(ram(USED_OFF + 12), 4), 3);
	/* The disk's counters, as `stat` and the report read them. */
	virtio_io_stats(vd, &io);
	assert_int_equal(io.reads, 1);
	assert_int_equal(io.writes, 1);
	assert_int_equal(io.bytes_read, 512);
	assert_int_equal(io.bytes_written, 512);
	assert_int_equal(io.flushes, 0);
	assert_int_equal(io.errors, 0);
}

/* A reset drops held completions (the driver forgot them) without waiting for anything; a
 * failed FLUSH dropped that way was never reported, so the failure stays latched for the
 * next FLUSH (it covers the lost write). */
static void test_held_completions_dropped_by_reset(void **state)
{
	(void)state;
	request(0, T_IN);
	request(1, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 2);
	bus_master(false);
	assert_int_equal(fake_io_complete(fake_io(), 1, false), 1);
	assert_int_equal(fake_io_complete(fake_io(), 1, true), 1);
	virtio_status_write(vd, 0);
	assert_int_equal(virtio_status_read(vd), 0); /* nothing stale: the reset is over */
	assert_int_equal(status_of(0), PENDING);
	assert_int_equal(status_of(1), PENDING);
	driver_init();
	kick();
	assert_int_equal(used_idx(), 0);
	request(0, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 0);
	assert_int_equal(status_of(0), S_IOERR);
}

/* DEVICE_NEEDS_RESET is the device's (2.1.2): a driver writing it does not set it, and a
 * chain the device then refuses still stops the queue. */
static void test_driver_cannot_set_needs_reset(void **state)
{
	uint8_t st;

	(void)state;
	request(0, T_IN);
	request(1, T_IN);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 2);
	st = virtio_status_read(vd);
	virtio_status_write(vd, st | VIRTIO_STATUS_NEEDS_RESET | 0x20 /* reserved */);
	assert_int_equal(virtio_status_read(vd), st);
	/* Slot 1's head again while it is in flight: refused, from the completion path. */
	le_store(ram(AVAIL_OFF + 4 + 2 * 2), 2, 3);
	le_store(ram(AVAIL_OFF + 2), 2, 3);
	fake_io_complete(fake_io(), 1, false);
	assert_true(virtio_status_read(vd) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(vd->queues[0].vq.broken);
	assert_false(virtio_queue_live(vd, 0));
	fake_io_complete(fake_io(), 1, false);
	assert_int_equal(status_of(1), PENDING); /* a stopped queue leaves guest memory alone */
}

/* virtio-rng pops only a live queue, whoever calls it. */
static void test_rng_pops_only_live_queue(void **state)
{
	struct virtio_dev *saved = vd, *rng;

	(void)state;
	assert_int_equal(virtio_rng_create(&vm->vhost, &rng), 0);
	vm->virtio[vm->nr_virtio++] = rng;
	vd = rng;
	driver_init();
	put_desc(0, DATA_OFF, 64, VIRTQ_DESC_F_WRITE, 0);
	le_store(ram(AVAIL_OFF + 4), 2, 0);
	le_store(ram(AVAIL_OFF + 2), 2, 1);
	bus_master(false);
	rng->ops->queue_notify(rng->dev, 0);
	assert_int_equal(le_load(ram(USED_OFF + 2), 2), 0);
	bus_master(true);
	rng->ops->queue_notify(rng->dev, 0);
	assert_int_equal(le_load(ram(USED_OFF + 2), 2), 1);
	vd = saved;
}

/* ---- issue 11, defect 7: every FLUSH that covers a lost write fails ---- */

/* Two FLUSHes at once share one fdatasync (the kernel reports a writeback error to one
 * fdatasync only): when it fails, both fail. */
static void test_flushes_share_one_fdatasync(void **state)
{
	struct virtio_io_stats io;

	(void)state;
	request(0, T_FLUSH);
	request(1, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 1);
	fake_io_complete(fake_io(), 1, true);
	assert_int_equal(status_of(0), S_IOERR);
	assert_int_equal(status_of(1), S_IOERR);
	assert_int_equal(fake_io_pending(fake_io()), 0);
	request(2, T_FLUSH); /* latched: refused at once */
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 0);
	assert_int_equal(status_of(2), S_IOERR);
	virtio_io_stats(vd, &io);
	assert_true(io.flushes >= 1);
	assert_int_equal(io.errors, 3);
	assert_int_equal(io.reads + io.writes, 0);
}

/* A FLUSH arriving while an fdatasync is in flight needs one started after it (that one may
 * miss writes completed since it started): it waits, then gets its own. */
static void test_flush_waits_for_its_own_fdatasync(void **state)
{
	(void)state;
	request(0, T_FLUSH);
	kick();
	request(1, T_OUT);
	request(2, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 2); /* the fdatasync and the write */
	fake_io_complete(fake_io(), 2, false);
	assert_int_equal(status_of(0), S_OK);
	assert_int_equal(status_of(1), S_OK);
	assert_int_equal(status_of(2), PENDING);
	assert_int_equal(fake_io_pending(fake_io()), 1);
	fake_io_complete(fake_io(), 1, false);
	assert_int_equal(status_of(2), S_OK);
}

/* A FLUSH the driver forgot (device reset) whose fdatasync then fails: the error is latched
 * for the next FLUSH, which covers the lost write; once a FLUSH has reported it, a reset
 * clears it. */
static void test_stale_flush_failure_latched(void **state)
{
	(void)state;
	request(0, T_OUT);
	kick();
	fake_io_complete(fake_io(), 1, false);
	assert_int_equal(status_of(0), S_OK);
	request(1, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 1);
	virtio_status_write(vd, 0); /* reset with the fdatasync in flight */
	fake_io_complete(fake_io(), 1, true);
	driver_init();
	request(0, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 0);
	assert_int_equal(status_of(0), S_IOERR);
	driver_init(); /* the driver was told: the reset ends it */
	request(0, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 1);
	fake_io_complete(fake_io(), 1, false);
	assert_int_equal(status_of(0), S_OK);
}

/* After a reset, a FLUSH waits for the old fdatasync still in flight, and fails with it. */
static void test_flush_after_reset_waits_for_old_fdatasync(void **state)
{
	(void)state;
	request(0, T_FLUSH);
	kick();
	driver_init();
	request(1, T_FLUSH);
	kick();
	assert_int_equal(fake_io_pending(fake_io()), 1);
	fake_io_complete(fake_io(), 1, true);
	assert_int_equal(status_of(0), PENDING); /* forgotten by the reset */
	assert_int_equal(status_of(1), S_IOERR);
	assert_int_equal(fake_io_pending(fake_io()), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_completion_path_respects_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion_held_without_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_completions_dropped_by_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_cannot_set_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_pops_only_live_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flushes_share_one_fdatasync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_waits_for_its_own_fdatasync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_flush_failure_latched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_after_reset_waits_for_old_fdatasync, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
