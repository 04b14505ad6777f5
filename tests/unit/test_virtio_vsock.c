/* Unit tests: virtio-vsock over virtio-pci (virtio/vsock.c) on a fake vhost-vsock device
 * (fake_vhost_vsock: the vhost ioctls recorded at the fake KVM's ioctl wrapper): config
 * space, the setup and DRIVER_OK ioctl sequences, the CID in use, reset stopping vhost,
 * the call re-wired as MSI-X changes, the event queue's buffers held and used for a
 * transport reset, and --vsock on the command line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <cmocka.h>

#include "../../cli.h"
#include "../../virtio/vsock.h"
#include "../fake/kvm_ioctl.h"
#include "fake_kvm.h"
#include "pci_fixture.h"

/* ---- fake_vhost_vsock: records each vhost request with its argument ---- */

struct vhost_rec {
	unsigned long req;
	uint64_t a, b, c;       /* index, num/fd/value, the first address */
};

static struct {
	struct vhost_rec rec[64];
	unsigned n;
	uint64_t features;      /* what VHOST_GET_FEATURES answers */
	int cid_errno;          /* VHOST_VSOCK_SET_GUEST_CID fails with this */
	uint64_t mem_gpa, mem_size, mem_hva, cid;
	int running;
} fv;

static int fake_vhost_vsock(int fd, unsigned long req, void *arg)
{
	struct vhost_rec r = { .req = req };

	(void)fd;
	switch (req) {
	case VHOST_GET_FEATURES: *(uint64_t *)arg = fv.features; break;
	case VHOST_SET_FEATURES: r.b = *(uint64_t *)arg; break;
	case VHOST_SET_MEM_TABLE: {
		const struct vhost_memory *m = arg;

		assert_int_equal(m->nregions, 1);
		fv.mem_gpa = m->regions[0].guest_phys_addr;
		fv.mem_size = m->regions[0].memory_size;
		fv.mem_hva = m->regions[0].userspace_addr;
		break;
	}
	case VHOST_VSOCK_SET_GUEST_CID:
		if (fv.cid_errno) {
			errno = fv.cid_errno;
			return -1;
		}
		fv.cid = *(uint64_t *)arg;
		break;
	case VHOST_SET_VRING_NUM: case VHOST_SET_VRING_BASE:
		r.a = ((struct vhost_vring_state *)arg)->index;
		r.b = ((struct vhost_vring_state *)arg)->num;
		break;
	case VHOST_SET_VRING_ADDR:
		r.a = ((struct vhost_vring_addr *)arg)->index;
		r.c = ((struct vhost_vring_addr *)arg)->desc_user_addr;
		break;
	case VHOST_SET_VRING_KICK: case VHOST_SET_VRING_CALL:
		r.a = ((struct vhost_vring_file *)arg)->index;
		r.b = (uint64_t)(int64_t)((struct vhost_vring_file *)arg)->fd;
		break;
	case VHOST_VSOCK_SET_RUNNING: fv.running = *(int *)arg; r.b = fv.running; break;
	case VHOST_SET_OWNER: break;
	default: errno = ENOTTY; return -1;
	}
	assert_true(fv.n < 64);
	fv.rec[fv.n++] = r;
	return 0;
}

/* Index of the k-th record of req from 0, or -1. */
static int rec_find(unsigned long req, unsigned k)
{
	for (unsigned i = 0; i < fv.n; i++)
		if (fv.rec[i].req == req && !k--)
			return (int)i;
	return -1;
}

static unsigned rec_count(unsigned long req)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fv.n; i++)
		n += fv.rec[i].req == req;
	return n;
}

/* The last VHOST_SET_VRING_CALL fd for queue q, or -2. */
static int64_t last_call(unsigned q)
{
	int64_t fd = -2;

	for (unsigned i = 0; i < fv.n; i++)
		if (fv.rec[i].req == VHOST_SET_VRING_CALL && fv.rec[i].a == q)
			fd = (int64_t)fv.rec[i].b;
	return fd;
}

#define F_SEQPACKET (1ull << 1)

static int vsock_setup(void **state)
{
	struct virtio_vsock_params p = { .cid = 5, .vhost_path = "/dev/null" };

	(void)state;
	memset(&fv, 0, sizeof(fv));
	fv.features = 1ull << 32 | 1ull << 28 | 1ull << 29 | F_SEQPACKET;
	fake_vhost_ioctl = fake_vhost_vsock;
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	assert_int_equal(virtio_vsock_create(&vm.vhost, &p, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int vsock_teardown(void **state)
{
	virtio_teardown(state);
	fake_vhost_ioctl = NULL;
	return 0;
}

#define RXQ_DESC  DESC_GPA
#define RXQ_AVAIL AVAIL_GPA
#define RXQ_USED  USED_GPA
#define TXQ_DESC  (RAM_GPA + 0x4000)
#define TXQ_AVAIL (RAM_GPA + 0x5000)
#define TXQ_USED  (RAM_GPA + 0x6000)
#define EVQ_DESC  (RAM_GPA + 0x8000)
#define EVQ_AVAIL (RAM_GPA + 0x9000)
#define EVQ_USED  (RAM_GPA + 0xa000)
#define QSIZE 128

/* The driver up to FEATURES_OK with VERSION_1 (and low bits), the three queues enabled. */
static void vsock_driver_queues(uint32_t low)
{
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, low);
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK);
	queue_program(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	queue_program(1, QSIZE, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	queue_program(2, QSIZE, EVQ_DESC, EVQ_AVAIL, EVQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
}

static void driver_ok(void)
{
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
}

static void test_config_and_setup(void **state)
{
	(void)state;
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 3);
	assert_int_equal(bar_rd(BAR_DEVICE, 4), 5);       /* guest_cid, le64 */
	assert_int_equal(bar_rd(BAR_DEVICE + 4, 4), 0);
	assert_int_equal(cfg_read(VSLOT, 2, 2), 0x1040 + 19); /* device ID 19 */
	bar_wr(CC_DFSELECT, 4, 0);
	assert_true(bar_rd(CC_DF, 4) & F_SEQPACKET);      /* vhost has it: offered */
	/* Setup: owner, features, memory table (guest RAM), CID, in that order; nothing runs. */
	assert_int_equal(rec_find(VHOST_SET_OWNER, 0), 0);
	assert_int_equal(rec_find(VHOST_GET_FEATURES, 0), 1);
	assert_int_equal(rec_find(VHOST_SET_MEM_TABLE, 0), 2);
	assert_int_equal(rec_find(VHOST_VSOCK_SET_GUEST_CID, 0), 3);
	assert_int_equal(fv.cid, 5);
	assert_int_equal(fv.mem_gpa, RAM_GPA);
	assert_int_equal(fv.mem_size, RAM_SIZE);
	assert_true(fv.mem_hva == (uint64_t)(uintptr_t)ram);
	assert_int_equal(rec_count(VHOST_VSOCK_SET_RUNNING), 0);
}

static void test_driver_ok_sequence(void **state)
{
	int k;

	(void)state;
	vsock_driver_queues(0);
	assert_int_equal(rec_count(VHOST_VSOCK_SET_RUNNING), 0);
	driver_ok();
	k = rec_find(VHOST_SET_FEATURES, 0);
	assert_true(k >= 0);
	assert_true(fv.rec[k].b == (1ull << 32)); /* what the driver took, nothing more */
	for (unsigned q = 0; q < 2; q++) {
		int num = rec_find(VHOST_SET_VRING_NUM, q), base = rec_find(VHOST_SET_VRING_BASE, q);
		int addr = rec_find(VHOST_SET_VRING_ADDR, q), kick = rec_find(VHOST_SET_VRING_KICK, q);

		assert_true(num > k && base > num && addr > base && kick > addr);
		assert_int_equal(fv.rec[num].a, q);
		assert_int_equal(fv.rec[num].b, QSIZE);
		assert_int_equal(fv.rec[base].b, 0);
		assert_true(fv.rec[addr].c == (uint64_t)(uintptr_t)(ram + ((q ? TXQ_DESC : RXQ_DESC) - RAM_GPA)));
		assert_int_equal((int)fv.rec[kick].b, vd->queues[q].kick_fd);
		/* MSI-X off: the call is the model's eventfd, not a vector's irqfd. */
		assert_true(last_call(q) >= 0);
	}
	assert_int_equal(rec_count(VHOST_SET_VRING_NUM), 2); /* the event queue stays here */
	assert_int_equal(fv.running, 1);
	assert_true(rec_find(VHOST_VSOCK_SET_RUNNING, 0) > rec_find(VHOST_SET_VRING_CALL, 1));
}

static void test_reset_stops(void **state)
{
	(void)state;
	vsock_driver_queues(0);
	driver_ok();
	assert_int_equal(fv.running, 1);
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(fv.running, 0);
	assert_int_equal(rec_count(VHOST_VSOCK_SET_RUNNING), 2);
	/* Up again: the rings are given again, vhost runs again. */
	vsock_driver_queues(0);
	driver_ok();
	assert_int_equal(rec_count(VHOST_SET_VRING_NUM), 4);
	assert_int_equal(fv.running, 1);
}

static void test_msix_rewire(void **state)
{
	int64_t own;

	(void)state;
	vsock_driver_queues(0);
	msix_control(MSIX_ENABLE);
	msix_entry(0, its_doorbell(), 40, false);
	bar_wr(CC_Q_SELECT, 2, 0);
	bar_wr(CC_Q_MSIX, 2, 0);
	driver_ok();
	/* Queue 0's vector is enabled, unmasked and routed: vhost signals its irqfd. */
	assert_int_equal(last_call(0), virtio_pci_msix(vd)->vectors[0].irq_fd);
	own = last_call(1);
	assert_true(own >= 0 && own != virtio_pci_msix(vd)->vectors[0].irq_fd); /* no vector */
	/* Masked: our eventfd (a message then becomes the pending bit). */
	msix_mask(0, true);
	assert_true(last_call(0) != virtio_pci_msix(vd)->vectors[0].irq_fd);
	assert_true(last_call(0) >= 0);
	msix_mask(0, false);
	assert_int_equal(last_call(0), virtio_pci_msix(vd)->vectors[0].irq_fd);
	/* MSI-X off: back to the model's eventfd (INTx needs the ISR bit). */
	msix_control(0);
	assert_true(last_call(0) != virtio_pci_msix(vd)->vectors[0].irq_fd);
	/* A write that changes nothing issues no ioctl. */
	{
		unsigned calls = rec_count(VHOST_SET_VRING_CALL);

		msix_control(0);
		assert_int_equal(rec_count(VHOST_SET_VRING_CALL), calls);
	}
}

/* DEVICE_NEEDS_RESET stops vhost too: it must not go on working the driver's rings. */
static void test_needs_reset_stops(void **state)
{
	(void)state;
	vsock_driver_queues(0);
	driver_ok();
	assert_int_equal(fv.running, 1);
	bar_wr(CC_Q_SELECT, 2, 0);
	bar_wr(CC_Q_SIZE, 2, 64); /* a queue register after DRIVER_OK: DEVICE_NEEDS_RESET */
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(fv.running, 0);
}

/* vhost works guest memory for us: not without Bus Master Enable. Cleared while it runs,
 * the device needs a reset; DRIVER_OK before Bus Master starts it once Bus Master is set. */
static void test_bus_master(void **state)
{
	(void)state;
	vsock_driver_queues(0);
	driver_ok();
	assert_int_equal(fv.running, 1);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(fv.running, 0);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* After a reset: DRIVER_OK with Bus Master clear waits for it. */
	bar_wr(CC_STATUS, 1, 0);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	vsock_driver_queues(0);
	driver_ok();
	assert_int_equal(fv.running, 0);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(fv.running, 1);
}

/* On virtio-mmio the level line needs its ISR bit: vhost always calls the model's eventfd. */
static void test_mmio_own_call(void **state)
{
	struct virtio_vsock_params p = { .cid = 9, .vhost_path = "/dev/null" };
	struct virtio_dev *m = NULL;

	(void)state;
	vm.vhost.pci = NULL;
	assert_int_equal(virtio_vsock_create(&vm.vhost, &p, &m), 0);
	assert_null(virtio_pci_msix(m));
	pthread_mutex_lock(&m->lock);
	assert_int_equal(virtio_queue_irqfd(m, 0), -1);
	assert_int_equal(virtio_queue_irqfd(m, 1), -1);
	pthread_mutex_unlock(&m->lock);
	virtio_destroy(m);
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *d = ram + (table - RAM_GPA) + 16 * i;
	uint16_t next = 0;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void test_event_queue(void **state)
{
	uint16_t idx = 1, head = 0;
	uint32_t id = 0xffffffff, len;

	(void)state;
	vsock_driver_queues(0);
	driver_ok();
	assert_int_equal(virtio_vsock_transport_reset(vd), 0); /* no buffer yet */
	put_desc(EVQ_DESC, 0, DATA_GPA, 8, 2 /* VIRTQ_DESC_F_WRITE */);
	memcpy(ram + (EVQ_AVAIL - RAM_GPA) + 4, &head, 2);
	memcpy(ram + (EVQ_AVAIL - RAM_GPA) + 2, &idx, 2);
	memcpy(ram + (DATA_GPA - RAM_GPA), &id, 4);
	/* A kick of the event queue: the buffer is held, not used. */
	pthread_mutex_lock(&vd->lock);
	vd->ops->queue_notify(vd->dev, 2);
	pthread_mutex_unlock(&vd->lock);
	memcpy(&idx, ram + (EVQ_USED - RAM_GPA) + 2, 2);
	assert_int_equal(idx, 0);
	assert_int_equal(virtio_vsock_transport_reset(vd), 1);
	memcpy(&idx, ram + (EVQ_USED - RAM_GPA) + 2, 2);
	assert_int_equal(idx, 1);
	memcpy(&len, ram + (EVQ_USED - RAM_GPA) + 8, 4);
	assert_int_equal(len, 4);
	memcpy(&id, ram + (DATA_GPA - RAM_GPA), 4);
	assert_int_equal(id, 0); /* VIRTIO_VSOCK_EVENT_TRANSPORT_RESET */
}

static void test_cid_in_use(void **state)
{
	struct virtio_vsock_params p = { .cid = 5, .vhost_path = "/dev/null" };
	struct virtio_dev *second = NULL;

	(void)state;
	fv.cid_errno = EADDRINUSE;
	assert_int_equal(virtio_vsock_create(&vm.vhost, &p, &second), -EADDRINUSE);
	assert_null(second);
	p.cid = 2;
	assert_int_equal(virtio_vsock_create(&vm.vhost, &p, &second), -EINVAL);
	p.cid = 7;
	p.vhost_path = "/nonexistent/vhost-vsock";
	assert_int_equal(virtio_vsock_create(&vm.vhost, &p, &second), -ENOENT);
}

static void test_cid_valid(void **state)
{
	(void)state;
	assert_false(vsock_cid_valid(0));
	assert_false(vsock_cid_valid(1));
	assert_false(vsock_cid_valid(2));
	assert_true(vsock_cid_valid(3));
	assert_true(vsock_cid_valid(0xfffffffeULL));
	assert_false(vsock_cid_valid(0xffffffffULL));
	assert_false(vsock_cid_valid(0x100000000ULL));
}

static int parse(const char *a1, const char *a2, struct vm_config *c, char *err, size_t n)
{
	char *argv[] = { "run", "-k", "Image", (char *)a1, (char *)a2, NULL };

	memset(c, 0, sizeof(*c));
	return cli_parse_run(a2 ? 5 : 4, argv, c, err, n);
}

static void test_cli(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(parse("--vsock", "3", &c, err, sizeof(err)), 0);
	assert_int_equal(c.vsock_cid, 3);
	assert_int_equal(parse("--vsock=4294967294", NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.vsock_cid, 4294967294ULL);
	assert_int_equal(parse("--vsock", "2", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--vsock 2: a guest CID is a number from 3 to 4294967294 "
			    "(0, 1 and 2 are reserved, 4294967295 is VMADDR_CID_ANY)");
	assert_int_equal(parse("--vsock", "4294967295", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse("--vsock", "x", &c, err, sizeof(err)), -EINVAL);
	assert_true(cli_run_takes_value("--vsock"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_setup, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_driver_ok_sequence, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_reset_stops, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_msix_rewire, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_event_queue, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_needs_reset_stops, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_bus_master, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_mmio_own_call, vsock_setup, vsock_teardown),
		cmocka_unit_test_setup_teardown(test_cid_in_use, vsock_setup, vsock_teardown),
		cmocka_unit_test(test_cid_valid),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
