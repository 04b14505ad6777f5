/* Unit tests: the virtio-pci transport: IDs and capabilities, common config, feature
 * negotiation, queues, kicks. KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
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

/* The nth virtio vendor capability of slot: struct virtio_pci_cap fields (virtio 1.2, 4.1.4). */
static unsigned check_vndr_cap(unsigned slot, unsigned nth, uint8_t type, uint32_t offset, uint32_t length)
{
	unsigned cap = find_cap(slot, PCI_CAP_ID_VNDR, nth);

	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_read(slot, cap + 2, 1), type == 2 ? 20 : 16); /* cap_len */
	assert_int_equal(cfg_read(slot, cap + 3, 1), type);
	assert_int_equal(cfg_read(slot, cap + 4, 1), 0); /* BAR0 */
	assert_int_equal(cfg_read(slot, cap + 8, 4), offset);
	assert_int_equal(cfg_read(slot, cap + 12, 4), length);
	return cap;
}

static void test_virtio_ids_and_caps(void **state)
{
	unsigned msix, cap;

	(void)state;
	/* Non-transitional: 0x1040 + device ID 4 (entropy), revision 1 (virtio 1.2, 4.1.2). */
	assert_int_equal(cfg_read(VSLOT, PCI_VENDOR_ID, 4), 0x10441af4);
	assert_int_equal(cfg_read(VSLOT, PCI_REVISION_ID, 1), 1);
	assert_int_equal(cfg_read(VSLOT, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_read(VSLOT, PCI_SUBSYSTEM_ID, 2), 0x40);
	assert_int_equal(cfg_read(VSLOT, PCI_BAR0, 4) & 0xf, 0); /* 32-bit memory BAR */
	cfg_write(VSLOT, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_read(VSLOT, PCI_BAR0, 4), 0xffff8000); /* 32 KiB */
	cfg_write(VSLOT, PCI_BAR0, 4, bar0);
	/* MSI-X: one vector per queue plus config; table and PBA in BAR0. */
	msix = find_cap(VSLOT, PCI_CAP_ID_MSIX, 0);
	assert_int_not_equal(msix, 0);
	assert_int_equal(cfg_read(VSLOT, msix + 2, 2), 1); /* table size - 1, disabled */
	assert_int_equal(cfg_read(VSLOT, msix + 4, 4), BAR_TABLE); /* BIR 0 */
	assert_int_equal(cfg_read(VSLOT, msix + 8, 4), BAR_PBA);
	/* Vendor capabilities in order: common, notify, ISR; rng has no device config. */
	check_vndr_cap(VSLOT, 0, 1, BAR_COMMON, 0x3c);
	cap = check_vndr_cap(VSLOT, 1, 2, BAR_NOTIFY, 4); /* one queue */
	assert_int_equal(cfg_read(VSLOT, cap + 16, 4), 4); /* notify_off_multiplier */
	cap = check_vndr_cap(VSLOT, 2, 3, BAR_ISR, 1);
	assert_int_equal(find_cap(VSLOT, PCI_CAP_ID_VNDR, 3), 0);
	/* Capabilities are read-only except MSI-X enable/mask. */
	cfg_write(VSLOT, cap + 8, 4, 0x7000);
	assert_int_equal(cfg_read(VSLOT, cap + 8, 4), BAR_ISR);
	cfg_write(VSLOT, msix + 2, 2, 0xffff);
	assert_int_equal(cfg_read(VSLOT, msix + 2, 2), MSIX_ENABLE | MSIX_MASKALL | 1);
}

/* A two-queue model with 6 bytes of device config, for the capability rng lacks. */
static const uint8_t model_config[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

static void model_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	assert_true(off + len <= sizeof(model_config));
	memcpy(buf, model_config + off, len);
}

static void model_notify(void *dev, unsigned q)
{
	(void)dev, (void)q;
}

static void model_noop(void *dev)
{
	(void)dev;
}

static const struct virtio_dev_ops model_ops = {
	.name = "test-model", .device_id = 3, .class_code = 0x078000, .nr_queues = 2, .queue_size = 32,
	.features = 1ULL << 5, .config_size = sizeof(model_config), .config_read = model_config_read,
	.queue_notify = model_notify, .reset = model_noop, .destroy = model_noop,
};

static void test_virtio_device_config(void **state)
{
	static int model_state;
	struct virtio_dev *m;
	unsigned cap;

	(void)state;
	assert_int_equal(virtio_pci_create(&vm.vhost, &model_ops, &model_state, 1ULL << 7, &m), 0);
	/* The model and every queue see guest RAM as the VM's one guest_mem, nothing else. */
	assert_ptr_equal(m->mem, &vm.mem);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		assert_ptr_equal(m->queues[q].vq.mem, &vm.mem);
	assert_int_equal(cfg_read(2, PCI_DEVICE_ID, 2), 0x1043);
	assert_int_equal(cfg_read(2, PCI_REVISION_ID, 4) >> 8, 0x078000);
	check_vndr_cap(2, 1, 2, BAR_NOTIFY, 2 * 4); /* two queues' notify addresses */
	cap = check_vndr_cap(2, 3, 4, BAR_DEVICE, sizeof(model_config));
	assert_int_equal(find_cap(2, PCI_CAP_ID_MSIX, 0) > cap, 1);
	/* Through its BAR: config bytes, a read past the end is cut short, then nothing. */
	cfg_write(2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	bar0 = cfg_read(2, PCI_BAR0, 4) & ~0xfu;
	assert_int_equal(bar_rd(BAR_DEVICE, 4), 0x44332211);
	assert_int_equal(bar_rd(BAR_DEVICE + 5, 1), 0x66);
	assert_int_equal(bar_rd(BAR_DEVICE + 4, 4), 0x6655);
	assert_int_equal(bar_rd(BAR_DEVICE + 8, 4), 0);
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 2);
	/* Offered: the model's bit 5, the instance's bit 7, the transport's. */
	bar_wr(CC_DFSELECT, 4, 0);
	assert_int_equal(bar_rd(CC_DF, 4), 1u << 5 | 1u << 7 | 1u << VIRTIO_F_INDIRECT_DESC |
			 1u << VIRTIO_F_EVENT_IDX);
	bar_wr(CC_Q_SELECT, 2, 1);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 32);
	assert_int_equal(bar_rd(CC_Q_NOFF, 2), 1);
	virtio_destroy(m);
}

static void test_virtio_features(void **state)
{
	(void)state;
	bar_wr(CC_DFSELECT, 4, 1);
	assert_int_equal(bar_rd(CC_DFSELECT, 4), 1);
	assert_int_equal(bar_rd(CC_DF, 4) & 1, 1); /* VIRTIO_F_VERSION_1 */
	bar_wr(CC_DFSELECT, 4, 0);
	assert_int_equal(bar_rd(CC_DF, 4), 1u << VIRTIO_F_INDIRECT_DESC | 1u << VIRTIO_F_EVENT_IDX);
	bar_wr(CC_DFSELECT, 4, 2);
	assert_int_equal(bar_rd(CC_DF, 4), 0);
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 1);
	assert_int_equal(bar_rd(CC_MSIX_CONFIG, 2), NO_VECTOR);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
}

static void test_virtio_feature_negotiation(void **state)
{
	const uint8_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	(void)state;
	bar_wr(CC_STATUS, 1, ad);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad);
	/* A bit the device does not offer: FEATURES_OK does not stick. */
	set_features(1, 1);
	set_features(0, 1u << 3);
	assert_int_equal(bar_rd(CC_GF, 4), 1u << 3);
	bar_wr(CC_STATUS, 1, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad);
	/* Without VERSION_1 (a legacy driver) it does not either. */
	set_features(0, 1u << VIRTIO_F_EVENT_IDX);
	set_features(1, 0);
	bar_wr(CC_STATUS, 1, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad);
	/* A subset with VERSION_1 is accepted, and then features are frozen. */
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), ad | VIRTIO_STATUS_FEATURES_OK);
	set_features(0, 0);
	assert_int_equal(bar_rd(CC_GF, 4), 1u << VIRTIO_F_EVENT_IDX);
	/* Reset clears status and the negotiated features. */
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
	bar_wr(CC_GFSELECT, 4, 1);
	assert_int_equal(bar_rd(CC_GF, 4), 0);
}

static void test_virtio_common_width(void **state)
{
	(void)state;
	/* Each field takes only its own width; anything else is dropped. */
	bar_wr(CC_STATUS, 4, 0x01010101);
	bar_wr(CC_STATUS, 2, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
	bar_wr(CC_MSIX_CONFIG, 4, 0);
	assert_int_equal(bar_rd(CC_MSIX_CONFIG, 2), NO_VECTOR);
	bar_wr(CC_Q_SELECT, 1, 5);
	assert_int_equal(bar_rd(CC_Q_SELECT, 2), 0);
	bar_wr(CC_DFSELECT, 2, 1);
	assert_int_equal(bar_rd(CC_DFSELECT, 4), 0);
	bar_wr(CC_Q_DESCLO, 8, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), 0);
	/* Wrong-width reads return 0, not a piece of the field. */
	assert_int_equal(bar_rd(CC_Q_SIZE, 4), 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 1), 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	assert_int_equal(bar_rd(CC_DFSELECT, 8), 0);
	assert_int_equal(bar_rd(CC_STATUS, 2), 0);
}

static void test_virtio_queue_select(void **state)
{
	(void)state;
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	bar_wr(CC_Q_SELECT, 2, 1); /* rng has one queue */
	assert_int_equal(bar_rd(CC_Q_SELECT, 2), 1);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
	bar_wr(CC_Q_SIZE, 2, 16);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 0);
	bar_wr(CC_Q_SELECT, 2, 0xffff);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
	bar_wr(CC_Q_SELECT, 2, 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	/* More than the model offers: refused outright. */
	bar_wr(CC_Q_SIZE, 2, 128);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 0);
}

static void test_virtio_queue_enable(void **state)
{
	const struct kvm_ioeventfd *ev;

	(void)state;
	driver_init();
	queue_program(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	assert_int_equal(bar_rd(CC_Q_AVAILLO, 4), (uint32_t)AVAIL_GPA);
	assert_int_equal(bar_rd(CC_Q_USEDLO, 4), (uint32_t)USED_GPA);
	assert_int_equal(bar_rd(CC_Q_USEDHI, 4), 0);
	assert_int_equal(kvm.nr_ioeventfds, 0);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
	/* The kick address: BAR0 + notify offset + queue_notify_off * multiplier, 16 bits wide. */
	assert_int_equal(kvm.nr_ioeventfds, 1);
	ev = last_ioeventfd();
	assert_int_equal(ev->addr, bar0 + BAR_NOTIFY + 0 * 4);
	assert_int_equal(ev->len, 2);
	assert_int_equal(ev->fd, vd->queues[0].kick_fd);
	assert_int_equal(ev->flags, 0);
	/* Once enabled, size and addresses are fixed. */
	bar_wr(CC_Q_SIZE, 2, 32);
	put64(CC_Q_DESCLO, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 16);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	/* Reset: the queue is disabled and its kick address deassigned. */
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 0);
	assert_int_equal(bar_rd(CC_Q_SIZE, 2), 64);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), 0);
	assert_int_equal(kvm.nr_ioeventfds, 2);
	ev = last_ioeventfd();
	assert_int_equal(ev->addr, bar0 + BAR_NOTIFY);
	assert_int_equal(ev->fd, vd->queues[0].kick_fd);
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
}

/* Try to enable queue 0 with a bad ring; it must stay disabled with no kick address. */
static void check_enable_refused(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	queue_program(0, size, desc, avail, used);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 0);
	assert_int_equal(kvm.nr_ioeventfds, 0);
}

static void test_virtio_queue_enable_refused(void **state)
{
	(void)state;
	driver_init();
	check_enable_refused(16, DESC_GPA + 8, AVAIL_GPA, USED_GPA);   /* desc: 16-byte aligned */
	check_enable_refused(16, DESC_GPA, AVAIL_GPA + 1, USED_GPA);   /* avail: 2 */
	check_enable_refused(16, DESC_GPA, AVAIL_GPA, USED_GPA + 2);   /* used: 4 */
	check_enable_refused(12, DESC_GPA, AVAIL_GPA, USED_GPA);       /* not a power of two */
	check_enable_refused(16, RAM_GPA + RAM_SIZE - 0x80, AVAIL_GPA, USED_GPA); /* past RAM */
	check_enable_refused(16, guest_memmap[MEM_PCI_MMIO].base, AVAIL_GPA, USED_GPA);
	/* A good ring still enables afterwards. */
	queue_program(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	bar_wr(CC_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
}

/* Policy (README "Security"): queue registers are frozen at DRIVER_OK until reset; a write
 * is refused and puts the device in DEVICE_NEEDS_RESET. Vector choices stay writable. */
static void test_virtio_queue_frozen_after_driver_ok(void **state)
{
	(void)state;
	queue_setup();
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	bar_wr(CC_Q_MSIX, 2, 0);
	assert_int_equal(bar_rd(CC_Q_MSIX, 2), 0);
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	put64(CC_Q_DESCLO, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* Disabling and re-enabling the live queue is refused too: it stays as it was. */
	bar_wr(CC_Q_ENABLE, 2, 0);
	assert_int_equal(bar_rd(CC_Q_ENABLE, 2), 1);
	/* A reset thaws it: the driver may set the queue up again. */
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
	driver_init();
	queue_program(0, 16, DESC_GPA + 0x100, AVAIL_GPA, USED_GPA);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)(DESC_GPA + 0x100));
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* 2.1.2: clearing a status bit is no reset: refused, so the freeze above cannot be thawed. */
static void test_virtio_status_bit_cleared(void **state)
{
	const uint8_t live = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			     VIRTIO_STATUS_DRIVER_OK;

	(void)state;
	queue_setup();
	assert_int_equal(bar_rd(CC_STATUS, 1), live);
	bar_wr(CC_STATUS, 1, live & ~VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1), live | VIRTIO_STATUS_NEEDS_RESET);
	put64(CC_Q_DESCLO, DESC_GPA + 0x100);
	assert_int_equal(bar_rd(CC_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	bar_wr(CC_GF, 4, 0);
	assert_int_not_equal(bar_rd(CC_GF, 4), 0);
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(bar_rd(CC_STATUS, 1), 0);
}

/* DEVICE_NEEDS_RESET stops the queues: nothing is pushed to the used ring until the reset. */
static void test_virtio_needs_reset_stops_queues(void **state)
{
	struct virtq *q;
	uint16_t used_idx;

	(void)state;
	queue_setup();
	pthread_mutex_lock(&vd->lock);
	q = virtio_queue(vd, 0);
	virtio_needs_reset(vd, "test");
	assert_true(q->broken);
	assert_int_equal(virtq_push(q, 0, 1), -EINVAL);
	pthread_mutex_unlock(&vd->lock);
	memcpy(&used_idx, ram + (USED_GPA - RAM_GPA) + 2, 2);
	assert_int_equal(used_idx, 0);
	bar_wr(CC_STATUS, 1, 0);
	assert_false(q->broken);
}

static void test_virtio_ioeventfd_follows_bar(void **state)
{
	uint64_t moved = guest_memmap[MEM_PCI_MMIO].base + 0x800000;
	const struct kvm_ioeventfd *ev;

	(void)state;
	queue_setup();
	assert_int_equal(kvm.nr_ioeventfds, 1);
	/* Decoding off: the kick address goes away with the BAR. */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(kvm.nr_ioeventfds, 2);
	ev = last_ioeventfd();
	assert_int_equal(ev->flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
	assert_int_equal(ev->addr, bar0 + BAR_NOTIFY);
	/* Moved and decoding again: registered at the new place. */
	cfg_write(VSLOT, PCI_BAR0, 4, moved);
	assert_int_equal(kvm.nr_ioeventfds, 2);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(kvm.nr_ioeventfds, 3);
	ev = last_ioeventfd();
	assert_int_equal(ev->flags, 0);
	assert_int_equal(ev->addr, moved + BAR_NOTIFY);
	/* Moved while decoding: deassign the old, assign the new. */
	cfg_write(VSLOT, PCI_BAR0, 4, bar0);
	assert_int_equal(kvm.nr_ioeventfds, 5);
	assert_int_equal(kvm.ioeventfds[3].flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
	assert_int_equal(kvm.ioeventfds[3].addr, moved + BAR_NOTIFY);
	assert_int_equal(kvm.ioeventfds[4].flags, 0);
	assert_int_equal(kvm.ioeventfds[4].addr, bar0 + BAR_NOTIFY);
	/* A config write that touches neither command nor BARs changes nothing. */
	cfg_write(VSLOT, PCI_INTERRUPT_LINE, 1, 3);
	assert_int_equal(kvm.nr_ioeventfds, 5);
}

/* A kick whose KVM_IOEVENTFD failed to register is tried again at the next slow kick,
 * not left on the slow path until the BAR moves. */
static void test_virtio_ioeventfd_retried(void **state)
{
	(void)state;
	kvm.ioeventfd_fail = ENOMEM;
	queue_setup();
	assert_int_equal(vd->queues[0].ioeventfd_addr, 0);
	assert_false(ioeventfd_at(vd->queues[0].kick_fd, bar0 + BAR_NOTIFY));
	bar_wr(BAR_NOTIFY, 2, 0); /* the exit KVM_IOEVENTFD would have caught */
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 1);
	assert_int_equal(vd->queues[0].ioeventfd_addr, bar0 + BAR_NOTIFY);
	assert_true(ioeventfd_at(vd->queues[0].kick_fd, bar0 + BAR_NOTIFY));
}

static void test_virtio_notify_fallback(void **state)
{
	(void)state;
	queue_setup();
	/* A kick KVM_IOEVENTFD did not take (another width) reaches the same eventfd. */
	bar_wr(BAR_NOTIFY, 4, 0);
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 1);
	bar_wr(BAR_NOTIFY + 4, 2, 1); /* no queue 1 */
	assert_int_equal(eventfd_take(vd->queues[0].kick_fd), 0);
}

/* The driver puts one 64-byte device-writable buffer in queue 0; the rng model fills it. */
static void rng_request(void)
{
	uint16_t idx = 1;
	uint64_t addr = DATA_GPA;
	uint32_t len = 64;
	uint16_t flags = VIRTQ_DESC_F_WRITE;

	memcpy(ram + (DESC_GPA - RAM_GPA), &addr, 8);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 8, &len, 4);
	memcpy(ram + (DESC_GPA - RAM_GPA) + 12, &flags, 2);
	memset(ram + (AVAIL_GPA - RAM_GPA) + 4, 0, 2); /* ring[0] = head 0 */
	memcpy(ram + (AVAIL_GPA - RAM_GPA) + 2, &idx, 2);
	pthread_mutex_lock(&vd->lock);
	vd->ops->queue_notify(vd->dev, 0);
	pthread_mutex_unlock(&vd->lock);
}

static void test_virtio_rng_end_to_end(void **state)
{
	struct msix_vector *v = &virtio_pci_msix(vd)->vectors[0];
	struct virtio_io_stats io;
	uint32_t used_len;
	uint16_t used_idx;

	(void)state;
	msix_setup(41);
	msix_mask(0, false);
	rng_request();
	memcpy(&used_idx, ram + (USED_GPA - RAM_GPA) + 2, 2);
	memcpy(&used_len, ram + (USED_GPA - RAM_GPA) + 8, 4);
	assert_int_equal(used_idx, 1);
	assert_int_equal(used_len, 64);
	assert_int_equal(eventfd_take(v->irq_fd), 1);
	virtio_io_stats(vd, &io);
	assert_int_equal(io.bytes_read, 64);
	assert_int_equal(io.reads, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VIRTIO_TEST(test_virtio_ids_and_caps),
		VIRTIO_TEST(test_virtio_device_config),
		VIRTIO_TEST(test_virtio_features),
		VIRTIO_TEST(test_virtio_feature_negotiation),
		VIRTIO_TEST(test_virtio_common_width),
		VIRTIO_TEST(test_virtio_queue_select),
		VIRTIO_TEST(test_virtio_queue_enable),
		VIRTIO_TEST(test_virtio_queue_enable_refused),
		VIRTIO_TEST(test_virtio_queue_frozen_after_driver_ok),
		VIRTIO_TEST(test_virtio_status_bit_cleared),
		VIRTIO_TEST(test_virtio_needs_reset_stops_queues),
		VIRTIO_TEST(test_virtio_ioeventfd_follows_bar),
		VIRTIO_TEST(test_virtio_ioeventfd_retried),
		VIRTIO_TEST(test_virtio_notify_fallback),
		VIRTIO_TEST(test_virtio_rng_end_to_end),
	};
	return cmocka_run_group_tests_name("virtio_pci", tests, NULL, NULL);
}
