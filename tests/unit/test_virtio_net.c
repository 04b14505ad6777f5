/* Unit tests: virtio-net over virtio-pci (virtio/net.c) on a fake tap: config space, feature
 * negotiation, receive into good, short and read-only chains, transmit of good, oversized
 * and undersized chains, the fd backend on a socketpair, MAC parsing and generation, and
 * the -n command line; multiqueue: two pairs, the control queue's commands good and bad,
 * the tap queues attached and detached with them. KVM faked at ioctl() (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cli.h"
#include "../../command.h"
#include "../../devices/device.h"
#include "../../emit.h"
#include "../../virtio/net.h"
#include "fake_kvm.h"
#include "pci_fixture.h"

#define F_MTU    (1u << 3)
#define F_MAC    (1u << 5)
#define F_STATUS (1u << 16)

#define RXQ_DESC  DESC_GPA
#define RXQ_AVAIL AVAIL_GPA
#define RXQ_USED  USED_GPA
#define TXQ_DESC  (RAM_GPA + 0x4000)
#define TXQ_AVAIL (RAM_GPA + 0x5000)
#define TXQ_USED  (RAM_GPA + 0x6000)
#define RXBUF     DATA_GPA              /* 16 receive buffers of 2 KiB */
#define TXBUF     (RAM_GPA + 0x20000)

/* ---- the fake tap: frames queued by the test, frames sent recorded; recv cuts a frame to
 * the iovecs and returns the bytes copied, as tun does ---- */

struct fake_tap {
	struct net_backend be;
	uint8_t in[4][70000];
	size_t in_len[4];
	unsigned nr_in;
	uint8_t out[70000];
	size_t out_len;
	unsigned sent, closed;
};

static struct fake_tap tap;

static ssize_t fake_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fake_tap *t = (struct fake_tap *)be;
	size_t len, off = 0;

	if (!t->nr_in)
		return -EAGAIN;
	len = t->in_len[0];
	for (int i = 0; i < n && off < len; i++) {
		size_t k = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;

		memcpy(iov[i].iov_base, t->in[0] + off, k);
		off += k;
	}
	memmove(t->in[0], t->in[1], sizeof(t->in[0]) * 3);
	memmove(t->in_len, t->in_len + 1, sizeof(t->in_len[0]) * 3);
	t->nr_in--;
	return (ssize_t)off;
}

static ssize_t fake_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct fake_tap *t = (struct fake_tap *)be;

	t->out_len = 0;
	for (int i = 0; i < n; i++) {
		assert_true(t->out_len + iov[i].iov_len <= sizeof(t->out));
		memcpy(t->out + t->out_len, iov[i].iov_base, iov[i].iov_len);
		t->out_len += iov[i].iov_len;
	}
	t->sent++;
	return (ssize_t)t->out_len;
}

static void fake_close(struct net_backend *be)
{
	((struct fake_tap *)be)->closed++;
}

static const struct net_backend_ops fake_ops = { "fake", fake_recv, fake_send, fake_close, NULL };

static void tap_queue_frame(size_t frame_len, uint8_t fill)
{
	assert_true(tap.nr_in < 4);
	memset(tap.in[tap.nr_in], 0xee, NET_HDR_LEN); /* the backend's header: never shown to the guest */
	memset(tap.in[tap.nr_in] + NET_HDR_LEN, fill, frame_len);
	tap.in_len[tap.nr_in++] = NET_HDR_LEN + frame_len;
}

static const uint8_t test_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static int net_setup(void **state)
{
	struct virtio_net_params p = { .mmio = false };

	(void)state;
	memset(&tap, 0, sizeof(tap));
	tap.be = (struct net_backend){ .ops = &fake_ops, .fd = -1, .desc = "tap fake0" };
	memcpy(p.mac, test_mac, 6);
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	assert_int_equal(virtio_net_create(&vm.vhost, &p, &tap.be, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int net_teardown(void **state)
{
	virtio_teardown(state);
	assert_int_equal(tap.closed, 1);
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

static uint16_t rd16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + (gpa - RAM_GPA), 2);
	return v;
}

static uint32_t rd32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + (gpa - RAM_GPA), 4);
	return v;
}

#define QSIZE 128

/* Make head available on a queue whose avail ring is at avail (QSIZE entries). */
static void avail_add(uint64_t avail, uint16_t head)
{
	uint16_t idx = rd16(avail + 2);

	memcpy(ram + (avail - RAM_GPA) + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(ram + (avail - RAM_GPA) + 2, &idx, 2);
}

static void notify(unsigned q)
{
	pthread_mutex_lock(&vd->lock);
	vd->ops->queue_notify(vd->dev, q);
	pthread_mutex_unlock(&vd->lock);
}

/* The driver's steps with these feature bits (low word), both queues at DRIVER_OK. */
static void net_driver_up(uint32_t features)
{
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, features);
	set_features(1, 1); /* VIRTIO_F_VERSION_1 */
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	queue_program(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	queue_program(1, QSIZE, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
}

static struct virtio_io_stats stats(void)
{
	struct virtio_io_stats s;

	virtio_io_stats(vd, &s);
	return s;
}

static void test_config_and_features(void **state)
{
	uint8_t mac[6];

	(void)state;
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 2);
	bar_wr(CC_DFSELECT, 4, 0);
	assert_int_equal(bar_rd(CC_DF, 4) & (F_MTU | F_MAC | F_STATUS), F_MTU | F_MAC | F_STATUS);
	/* No offload, no MRG_RXBUF, no control queue (bits 0-2, 7-15, 17-23). */
	assert_int_equal(bar_rd(CC_DF, 4) & 0x00feff87u & ~F_MTU, 0);
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)bar_rd(BAR_DEVICE + i, 1);
	assert_memory_equal(mac, test_mac, 6);
	assert_int_equal(bar_rd(BAR_DEVICE + 6, 2), 1);    /* status: VIRTIO_NET_S_LINK_UP */
	assert_int_equal(bar_rd(BAR_DEVICE + 8, 2), 1);    /* max_virtqueue_pairs */
	assert_int_equal(bar_rd(BAR_DEVICE + 10, 2), 1500); /* mtu */
	/* A driver asking for an offload we did not offer gets no FEATURES_OK (2.2). */
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, F_MAC | 1u << 0 /* VIRTIO_NET_F_CSUM */);
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	bar_wr(CC_STATUS, 1, 0);
	net_driver_up(F_MAC | F_STATUS | F_MTU);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK);
}

static void test_rx_good(void **state)
{
	uint8_t *buf = ram + (RXBUF - RAM_GPA);
	static const uint8_t hdr[NET_HDR_LEN] = { [10] = 1 };

	(void)state;
	net_driver_up(F_MAC | F_STATUS);
	memset(buf, 0x55, 2048);
	/* A header descriptor and a data descriptor, both writable: 12 + 2036 bytes. */
	put_desc(RXQ_DESC, 0, RXBUF, NET_HDR_LEN, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(RXQ_DESC, 1, RXBUF + NET_HDR_LEN, 2036, VIRTQ_DESC_F_WRITE, 0);
	avail_add(RXQ_AVAIL, 0);
	tap_queue_frame(60, 0xab);
	notify(0);
	assert_int_equal(rd16(RXQ_USED + 2), 1);
	assert_int_equal(rd32(RXQ_USED + 4), 0);              /* head */
	assert_int_equal(rd32(RXQ_USED + 8), NET_HDR_LEN + 60); /* len */
	assert_memory_equal(buf, hdr, NET_HDR_LEN); /* zeros, num_buffers 1 */
	assert_int_equal(buf[NET_HDR_LEN], 0xab);
	assert_int_equal(buf[NET_HDR_LEN + 59], 0xab);
	assert_int_equal(buf[NET_HDR_LEN + 60], 0x55);
	assert_int_equal(stats().reads, 1);
	assert_int_equal(stats().bytes_read, 60);

	/* No frame waiting: the chain is kept, and the next frame lands in it. */
	put_desc(RXQ_DESC, 2, RXBUF + 2048, 2048, VIRTQ_DESC_F_WRITE, 0);
	avail_add(RXQ_AVAIL, 2);
	notify(0);
	assert_int_equal(rd16(RXQ_USED + 2), 1);
	tap_queue_frame(100, 0xcd);
	notify(0); /* what the backend's poll does */
	assert_int_equal(rd16(RXQ_USED + 2), 2);
	assert_int_equal(rd32(RXQ_USED + 4 + 8), 2);
	assert_int_equal(rd32(RXQ_USED + 8 + 8), NET_HDR_LEN + 100);
	assert_int_equal(ram[RXBUF + 2048 + NET_HDR_LEN - RAM_GPA], 0xcd);
}

static void test_rx_short_and_readonly(void **state)
{
	(void)state;
	net_driver_up(F_MAC);
	put_desc(RXQ_DESC, 0, RXBUF, NET_MIN_RX_BUF - 1, VIRTQ_DESC_F_WRITE, 0);  /* too short */
	put_desc(RXQ_DESC, 1, RXBUF + 2048, 2048, 0, 0);                          /* read-only */
	put_desc(RXQ_DESC, 2, RXBUF + 4096, 64, VIRTQ_DESC_F_NEXT, 3);             /* partly read-only */
	put_desc(RXQ_DESC, 3, RXBUF + 4096 + 64, 2048, VIRTQ_DESC_F_WRITE, 0);
	put_desc(RXQ_DESC, 4, RXBUF + 8192, NET_MIN_RX_BUF, VIRTQ_DESC_F_WRITE, 0); /* just enough */
	avail_add(RXQ_AVAIL, 0);
	avail_add(RXQ_AVAIL, 1);
	avail_add(RXQ_AVAIL, 2);
	avail_add(RXQ_AVAIL, 4);
	tap_queue_frame(1514, 0x77);
	notify(0);
	/* Three refused (returned empty, counted), the frame in the fourth. */
	assert_int_equal(rd16(RXQ_USED + 2), 4);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(rd32(RXQ_USED + 8 + 8 * i), 0);
	assert_int_equal(rd32(RXQ_USED + 4 + 8 * 3), 4);
	assert_int_equal(rd32(RXQ_USED + 8 + 8 * 3), NET_HDR_LEN + 1514);
	assert_int_equal(ram[RXBUF + 8192 + NET_HDR_LEN + 1513 - RAM_GPA], 0x77);
	assert_int_equal(stats().errors, 3);
	assert_int_equal(stats().reads, 1);
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* Refused receive chains use up the notification's budget too (64 chains, net.c NET_BUDGET):
 * a driver that keeps offering bad ones cannot hold the I/O thread in one pass. */
static void test_rx_refused_budget(void **state)
{
	(void)state;
	net_driver_up(F_MAC);
	put_desc(RXQ_DESC, 0, RXBUF, 1, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 100; i++)
		avail_add(RXQ_AVAIL, 0);
	tap_queue_frame(1514, 0x77);
	notify(0);
	assert_int_equal(rd16(RXQ_USED + 2), 64);
	assert_int_equal(stats().errors, 64);
}

/* A frame larger than the chain (cut to it, as tun does) is dropped; the chain takes the
 * next one; a frame exactly as long as the chain is delivered. */
static void test_rx_truncated(void **state)
{
	(void)state;
	net_driver_up(F_MAC);
	put_desc(RXQ_DESC, 0, RXBUF, 2048, VIRTQ_DESC_F_WRITE, 0);
	avail_add(RXQ_AVAIL, 0);
	tap_queue_frame(3000, 0x11);
	tap_queue_frame(80, 0x22);
	notify(0);
	assert_int_equal(rd16(RXQ_USED + 2), 1);
	assert_int_equal(rd32(RXQ_USED + 8), NET_HDR_LEN + 80);
	assert_int_equal(ram[RXBUF + NET_HDR_LEN - RAM_GPA], 0x22);
	assert_int_equal(stats().errors, 1);
	put_desc(RXQ_DESC, 1, RXBUF + 4096, 2048, VIRTQ_DESC_F_WRITE, 0);
	avail_add(RXQ_AVAIL, 1);
	tap_queue_frame(2049 - NET_HDR_LEN, 0x44); /* one byte too many */
	tap_queue_frame(2048 - NET_HDR_LEN, 0x55); /* exactly the chain */
	notify(0);
	assert_int_equal(rd16(RXQ_USED + 2), 2);
	assert_int_equal(rd32(RXQ_USED + 8 + 8), 2048);
	assert_int_equal(ram[RXBUF + 4096 + 2047 - RAM_GPA], 0x55);
	assert_int_equal(stats().errors, 2);
}

/* Without DRIVER_OK (or after a reset) nothing is read from the tap. */
static void test_rx_not_live(void **state)
{
	(void)state;
	tap_queue_frame(60, 0x33);
	notify(0);
	assert_int_equal(tap.nr_in, 1);
}

static void tx_chain(unsigned first, uint64_t gpa, uint32_t hdr_len, uint32_t frame_len)
{
	put_desc(TXQ_DESC, first, gpa, hdr_len, VIRTQ_DESC_F_NEXT, first + 1);
	put_desc(TXQ_DESC, first + 1, gpa + hdr_len, frame_len, 0, 0);
	avail_add(TXQ_AVAIL, first);
}

static void test_tx_good(void **state)
{
	uint8_t *buf = ram + (TXBUF - RAM_GPA);
	static const uint8_t zero[NET_HDR_LEN];

	(void)state;
	net_driver_up(F_MAC);
	memset(buf, 0xff, NET_HDR_LEN); /* the driver's header: replaced by the host's zeros */
	memset(buf + NET_HDR_LEN, 0x42, 1514);
	tx_chain(0, TXBUF, NET_HDR_LEN, 1514);
	notify(1);
	assert_int_equal(tap.sent, 1);
	assert_int_equal(tap.out_len, NET_HDR_LEN + 1514);
	assert_memory_equal(tap.out, zero, NET_HDR_LEN);
	assert_int_equal(tap.out[NET_HDR_LEN], 0x42);
	assert_int_equal(tap.out[NET_HDR_LEN + 1513], 0x42);
	assert_int_equal(rd16(TXQ_USED + 2), 1);
	assert_int_equal(rd32(TXQ_USED + 8), 0);
	assert_int_equal(stats().writes, 1);
	assert_int_equal(stats().bytes_written, 1514);
	/* One descriptor holding header and frame: the same frame goes out. */
	put_desc(TXQ_DESC, 2, TXBUF, NET_HDR_LEN + 60, 0, 0);
	avail_add(TXQ_AVAIL, 2);
	notify(1);
	assert_int_equal(tap.sent, 2);
	assert_int_equal(tap.out_len, NET_HDR_LEN + 60);
}

static void test_tx_bad_sizes(void **state)
{
	(void)state;
	net_driver_up(F_MAC);
	put_desc(TXQ_DESC, 0, TXBUF, NET_HDR_LEN - 2, 0, 0);       /* shorter than the header */
	avail_add(TXQ_AVAIL, 0);
	put_desc(TXQ_DESC, 1, TXBUF, NET_HDR_LEN, 0, 0);           /* a header, no frame */
	avail_add(TXQ_AVAIL, 1);
	tx_chain(2, TXBUF, NET_HDR_LEN, NET_MAX_FRAME + 1);         /* larger than any frame */
	/* Device-writable parts are not part of the frame: only the readable bytes go out. */
	put_desc(TXQ_DESC, 4, TXBUF, NET_HDR_LEN + 64, VIRTQ_DESC_F_NEXT, 5);
	put_desc(TXQ_DESC, 5, TXBUF + 4096, 65536, VIRTQ_DESC_F_WRITE, 0);
	avail_add(TXQ_AVAIL, 4);
	notify(1);
	assert_int_equal(rd16(TXQ_USED + 2), 4);
	assert_int_equal(tap.sent, 1);
	assert_int_equal(tap.out_len, NET_HDR_LEN + 64);
	assert_int_equal(stats().errors, 3);
	assert_false(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* A transmit ring fuller than the budget (64 frames) is served in rounds: the queue is kicked
 * again after each, so the I/O thread serves the others in between. */
static void test_tx_budget_rekick(void **state)
{
	(void)state;
	net_driver_up(F_MAC);
	eventfd_take(vd->queues[1].kick_fd);
	for (unsigned i = 0; i < 100; i++) {
		put_desc(TXQ_DESC, i, TXBUF, NET_HDR_LEN + 60, 0, 0);
		avail_add(TXQ_AVAIL, i);
	}
	notify(1);
	assert_int_equal(tap.sent, 64);
	assert_int_equal(eventfd_take(vd->queues[1].kick_fd), 1);
	notify(1);
	assert_int_equal(tap.sent, 100);
	assert_int_equal(rd16(TXQ_USED + 2), 100);
	assert_int_equal(eventfd_take(vd->queues[1].kick_fd), 0);
}

/* info net, and the NIC's members of stat and --report (device_class report). */
static void test_info_and_report(void **state)
{
	struct strbuf out = { 0 };
	struct emit e;

	(void)state;
	net_driver_up(F_MAC);
	tx_chain(0, TXBUF, NET_HDR_LEN, 100);
	notify(1);
	vm.virtio[0] = vd;
	vm.nr_virtio = 1;
	command_run(&vm, "info net", &out);
	assert_non_null(strstr(out.buf, "nic 0 on pci 00:01.0:\n"));
	assert_non_null(strstr(out.buf, "tap fake0 MAC 02:11:22:33:44:55 link up MTU 1500, driver ready, features 0x100000020\n"));
	assert_non_null(strstr(out.buf, "  pair 0: rx 0 packets 0 bytes 0 drops, tx 1 packets 100 bytes 0 drops\n"));
	sb_free(&out);
	vm.nr_virtio = 0;
	command_run(&vm, "info net", &out);
	assert_non_null(strstr(out.buf, "no network devices"));
	sb_free(&out);

	emit_init(&e, &out, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	virtio_device_class.report(vd, &e);
	emit_obj_end(&e);
	assert_int_equal(emit_end(&e), 0);
	assert_non_null(strstr(out.buf, "\"name\": \"virtio-net\""));
	assert_non_null(strstr(out.buf, "\"backend\": \"tap fake0\", \"mac\": \"02:11:22:33:44:55\", \"rx0_packets\": 0"));
	assert_non_null(strstr(out.buf, "\"tx0_packets\": 1, \"tx0_bytes\": 100, \"tx0_drops\": 0"));
	sb_free(&out);
}

/* trans=mmio on a PCI VM: the NIC takes the first virtio-mmio window; its registers
 * answer there with the virtio-mmio magic and the network device ID. */
static void test_mmio_on_pci_vm(void **state)
{
	struct virtio_net_params p = { .mac = { 0x02, 9, 9, 9, 9, 9 }, .mmio = true };
	struct fake_tap t2 = { .be = { .ops = &fake_ops, .fd = -1, .desc = "tap fake1" } };
	struct virtio_dev *v2;
	uint64_t base = guest_memmap[MEM_VIRTIO_MMIO].base;

	(void)state;
	assert_int_equal(virtio_net_create(&vm.vhost, &p, &t2.be, &v2), 0);
	assert_null(virtio_pci_function(v2));
	assert_int_equal(mmio_read(base, 4), 0x74726976); /* "virt" */
	assert_int_equal(mmio_read(base + 8, 4), 1);      /* DeviceID: network */
	assert_int_equal(mmio_read(base + 0x100, 1), 0x02); /* config: the MAC */
	assert_int_equal(mmio_read(base + 0x105, 1), 9);
	virtio_destroy(v2);
	assert_int_equal(t2.closed, 1);
}

/* The fd backend (what a tap fd is) over a SOCK_SEQPACKET socketpair. */
static void test_fd_backend(void **state)
{
	struct net_backend *be;
	uint8_t buf[64], frame[NET_HDR_LEN + 20];
	struct iovec iov = { buf, sizeof(buf) };
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(net_backend_from_fd(sv[0], "tap test", &be), 0);
	assert_int_equal(be->ops->recv(be, &iov, 1), -EAGAIN);
	memset(frame, 7, sizeof(frame));
	assert_int_equal(write(sv[1], frame, sizeof(frame)), sizeof(frame));
	assert_int_equal(be->ops->recv(be, &iov, 1), sizeof(frame));
	assert_memory_equal(buf, frame, sizeof(frame));
	iov.iov_len = sizeof(frame);
	assert_int_equal(be->ops->send(be, &iov, 1), sizeof(frame));
	assert_int_equal(read(sv[1], buf, sizeof(buf)), sizeof(frame));
	be->ops->close(be);
	close(sv[1]);
}

static void test_mac_addresses(void **state)
{
	uint8_t a[6], b[6];

	(void)state;
	assert_int_equal(net_mac_parse("02:12:34:56:78:9a", a), 0);
	assert_int_equal(a[0], 0x02);
	assert_int_equal(a[5], 0x9a);
	assert_int_equal(net_mac_parse("52:54:00:AB:cd:EF", a), 0);
	assert_int_equal(a[3], 0xab);
	assert_int_equal(net_mac_parse("01:00:5e:00:00:01", a), -EINVAL); /* multicast */
	assert_int_equal(net_mac_parse("00:00:00:00:00:00", a), -EINVAL);
	assert_int_equal(net_mac_parse("02:12:34:56:78", a), -EINVAL);
	assert_int_equal(net_mac_parse("02:12:34:56:78:9a:bc", a), -EINVAL);
	assert_int_equal(net_mac_parse("02-12-34-56-78-9a", a), -EINVAL);
	assert_int_equal(net_mac_parse("02:12:34:56:78:9g", a), -EINVAL);
	assert_int_equal(net_mac_parse(" 2:12:34:56:78:9a", a), -EINVAL);
	assert_int_equal(net_mac_parse("", a), -EINVAL);
	/* Generated: stable, locally administered, unicast, different per NIC and per name. */
	net_mac_generate("ci-1", 0, a);
	net_mac_generate("ci-1", 0, b);
	assert_memory_equal(a, b, 6);
	assert_int_equal(a[0] & 3, 2);
	net_mac_generate("ci-1", 1, b);
	assert_memory_not_equal(a, b, 6);
	assert_int_equal(b[0] & 3, 2);
	net_mac_generate("ci-2", 0, b);
	assert_memory_not_equal(a, b, 6);
}

#define PARSE(cfg, err, ...)                                                              \
	({                                                                                \
		char *argv_[] = { "run", __VA_ARGS__, NULL };                             \
		cli_parse_run(sizeof(argv_) / sizeof(argv_[0]) - 1, argv_, (cfg), (err), 256); \
	})

static void test_cli_network(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "Image"), 0);
	assert_int_equal(c.nr_nics, 0);
	assert_int_equal(PARSE(&c, err, "-n", "mode=tap,tapif=tap0,guest_mac=02:aa:bb:cc:dd:ee,vhost=0,mq=1",
			       "--network=mode=none", "--network", "trans=mmio,script=none", "-nfd=5", "Image"), 0);
	assert_int_equal(c.nr_nics, 3);
	assert_string_equal(c.nics[0].tapif, "tap0");
	assert_int_equal(c.nics[0].fd, -1);
	assert_true(c.nics[0].mac_given);
	assert_int_equal(c.nics[0].mac[1], 0xaa);
	assert_false(c.nics[0].mmio);
	assert_string_equal(c.nics[1].tapif, "");
	assert_true(c.nics[1].mmio);
	assert_false(c.nics[1].mac_given);
	assert_int_equal(c.nics[2].fd, 5);

	assert_int_equal(PARSE(&c, err, "-n", "mode=bridge", "Image"), -EINVAL);
	assert_string_equal(err, "-n mode=bridge: unknown mode bridge; use mode=tap or mode=none");
	assert_int_equal(PARSE(&c, err, "-n", "mode=user", "Image"), -EINVAL);
	assert_string_equal(err, "-n mode=user: user-mode networking is not implemented yet; use mode=tap");
	assert_int_equal(PARSE(&c, err, "-n", "vhost=1", "Image"), 0);
	assert_int_equal(c.nics[0].vhost, 1);
	assert_int_equal(PARSE(&c, err, "-n", "tapif=tap0", "Image"), 0);
	assert_int_equal(c.nics[0].vhost, -1); /* default: vhost-net when it opens */
	assert_int_equal(PARSE(&c, err, "-n", "vhost=2", "Image"), -EINVAL);
	assert_string_equal(err, "-n vhost=2: vhost takes 0 or 1");
	assert_int_equal(PARSE(&c, err, "-n", "tapif=tap0,mq=2", "Image"), 0);
	assert_int_equal(c.nics[0].pairs, 2);
	assert_int_equal(PARSE(&c, err, "-n", "fd=3,mq=2", "Image"), -EINVAL);
	assert_string_equal(err, "-n fd=3,mq=2: fd= is one tap queue; mq=N needs tapif= (a multi_queue tap) or none");
	assert_int_equal(PARSE(&c, err, "-n", "mq=0", "Image"), -EINVAL);
	assert_string_equal(err, "-n mq=0: mq is the number of queue pairs, 1 or more");
	assert_int_equal(PARSE(&c, err, "-n", "guest_mac=01:02:03:04:05:06", "Image"), -EINVAL);
	assert_string_equal(err, "-n guest_mac=01:02:03:04:05:06: 01:02:03:04:05:06 is not a unicast MAC (use e.g. 02:12:34:56:78:9a)");
	assert_int_equal(PARSE(&c, err, "-n", "tapif=tap0,fd=3", "Image"), -EINVAL);
	assert_string_equal(err, "-n tapif=tap0,fd=3: give tapif= or fd=, not both");
	assert_int_equal(PARSE(&c, err, "-n", "tapif=a/b", "Image"), -EINVAL);
	assert_int_equal(PARSE(&c, err, "-n", "tapif=0123456789abcdef", "Image"), -EINVAL);
	assert_int_equal(PARSE(&c, err, "-n", "colour=blue", "Image"), -EINVAL);
	assert_string_equal(err, "-n colour=blue: unknown network option colour; use mode, tapif, fd, guest_mac, trans, vhost or mq");
	assert_int_equal(PARSE(&c, err, "-n", "tap", "Image"), -EINVAL);
	assert_string_equal(err, "-n tap: tap is not key=value");
	assert_int_equal(PARSE(&c, err, "-n", "script=/etc/kvm-ifup", "Image"), -EINVAL);
	assert_int_equal(PARSE(&c, err, "-n", "host_ip=10.0.2.1", "Image"), -EINVAL);
	assert_string_equal(err, "-n host_ip=10.0.2.1: host_ip= is not implemented yet");
	assert_int_equal(PARSE(&c, err, "-n", "trans=pci", "--transport=mmio", "Image"), -EINVAL);
	assert_string_equal(err, "-n trans=pci: --transport=mmio gives the VM no PCI bus; use trans=mmio");
	assert_int_equal(PARSE(&c, err, "-n", "mode=tap", "-n", "mode=tap", "-n", "mode=tap", "-n", "mode=tap", "-n",
			       "mode=tap", "Image"), -EINVAL);
	assert_string_equal(err, "-n mode=tap: at most 4 network devices");
	assert_int_equal(PARSE(&c, err, "Image", "-n"), -EINVAL);
	assert_string_equal(err, "option -n needs a value (see vmm run --help)");
	assert_true(cli_run_takes_value("-n"));
	assert_true(cli_run_takes_value("--network"));
}

#define NET_TEST(fn) cmocka_unit_test_setup_teardown(fn, net_setup, net_teardown)

/* ---- multiqueue: two pairs on two fake tap queues that record attach and detach ---- */

static struct fake_tap tap1;
static int tap1_enabled = -1; /* the last queue_enable of the second queue */
static unsigned tap0_enables;

static int fake_queue_enable(struct net_backend *be, bool on)
{
	if (be == &tap1.be)
		tap1_enabled = on;
	else
		tap0_enables += on;
	return 0;
}

static const struct net_backend_ops fake_mq_ops = { "fake", fake_recv, fake_send, fake_close, fake_queue_enable };

#define F_CTRL_VQ (1u << 17)
#define F_MQ      (1u << 22)
#define CTLQ_DESC  (RAM_GPA + 0x7000)
#define CTLQ_AVAIL (RAM_GPA + 0x8000)
#define CTLQ_USED  (RAM_GPA + 0x9000)
#define CTLBUF     (RAM_GPA + 0x30000)

static int net_mq_setup(void **state)
{
	struct virtio_net_params p = { .mac = { 0x02, 1, 2, 3, 4, 5 }, .pairs = 2 };
	struct net_backend *be[2] = { &tap.be, &tap1.be };

	(void)state;
	memset(&tap, 0, sizeof(tap));
	memset(&tap1, 0, sizeof(tap1));
	tap.be = (struct net_backend){ .ops = &fake_mq_ops, .fd = -1, .desc = "tap fake0" };
	tap1.be = (struct net_backend){ .ops = &fake_mq_ops, .fd = -1, .desc = "tap fake0" };
	tap1_enabled = -1;
	tap0_enables = 0;
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	assert_int_equal(virtio_net_create_mq(&vm.vhost, &p, be, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static int net_mq_teardown(void **state)
{
	virtio_teardown(state);
	assert_int_equal(tap.closed, 1);
	assert_int_equal(tap1.closed, 1);
	return 0;
}

/* One control command: readable cmd[len], then a 1-byte writable ack; the ack, or -1 if
 * the device did not answer. */
static unsigned ctrl_q = 4;

static int ctrl_cmd(const uint8_t *cmd, uint32_t len)
{
	uint16_t used = rd16(CTLQ_USED + 2);
	uint8_t *ack = ram + (CTLBUF + 64 - RAM_GPA);

	memcpy(ram + (CTLBUF - RAM_GPA), cmd, len);
	*ack = 0xee;
	put_desc(CTLQ_DESC, 0, CTLBUF, len, VIRTQ_DESC_F_NEXT, 1);
	put_desc(CTLQ_DESC, 1, CTLBUF + 64, 1, VIRTQ_DESC_F_WRITE, 0);
	avail_add(CTLQ_AVAIL, 0);
	notify(ctrl_q);
	if (rd16(CTLQ_USED + 2) != (uint16_t)(used + 1))
		return -1;
	return *ack;
}

static void test_mq_config_and_ctrl(void **state)
{
	const uint8_t set2[4] = { 4, 0, 2, 0 }, set1[4] = { 4, 0, 1, 0 }, set3[4] = { 4, 0, 3, 0 },
		      set0[4] = { 4, 0, 0, 0 }, rx_promisc[3] = { 0, 0, 1 }, mq_rss[4] = { 4, 1, 2, 0 };
	struct strbuf out = { 0 };

	(void)state;
	assert_int_equal(bar_rd(CC_NUM_QUEUES, 2), 5); /* 2 pairs and the control queue */
	bar_wr(CC_DFSELECT, 4, 0);
	assert_int_equal(bar_rd(CC_DF, 4) & (F_CTRL_VQ | F_MQ), F_CTRL_VQ | F_MQ);
	assert_int_equal(bar_rd(BAR_DEVICE + 8, 2), 2); /* max_virtqueue_pairs */
	/* After the reset at creation only pair 0 is in use: the second tap queue detached. */
	assert_int_equal(tap1_enabled, 0);

	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, F_MAC | F_CTRL_VQ | F_MQ);
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	queue_program(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	queue_program(4, QSIZE, CTLQ_DESC, CTLQ_AVAIL, CTLQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK);

	assert_int_equal(ctrl_cmd(set2, 4), VIRTIO_NET_OK);
	assert_int_equal(rd32(CTLQ_USED + 8), 1); /* the ack byte written */
	assert_int_equal(tap1_enabled, 1);
	assert_int_equal(ctrl_cmd(set3, 4), VIRTIO_NET_ERR); /* more than max_virtqueue_pairs */
	assert_int_equal(ctrl_cmd(set0, 4), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(rx_promisc, 3), VIRTIO_NET_ERR); /* CTRL_RX is not offered */
	assert_int_equal(ctrl_cmd(mq_rss, 4), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_cmd(set2, 3), VIRTIO_NET_ERR);  /* short data */
	assert_int_equal(tap1_enabled, 1);                    /* the refused ones changed nothing */
	assert_int_equal(ctrl_cmd(set1, 4), VIRTIO_NET_OK);
	assert_int_equal(tap1_enabled, 0);

	/* A command without room for the ack: returned unused, nothing changes. */
	memcpy(ram + (CTLBUF - RAM_GPA), set2, 4);
	put_desc(CTLQ_DESC, 0, CTLBUF, 4, 0, 0);
	avail_add(CTLQ_AVAIL, 0);
	notify(4);
	assert_int_equal(rd32(CTLQ_USED + 4 + 8 * 7 + 4), 0);
	assert_int_equal(tap1_enabled, 0);

	vm.virtio[0] = vd;
	vm.nr_virtio = 1;
	command_run(&vm, "info net", &out);
	assert_non_null(strstr(out.buf, "multiqueue: 1 of 2 pairs in use, control commands 2 ok 6 refused\n"));
	assert_non_null(strstr(out.buf, "  pair 1: rx 0 packets"));
	sb_free(&out);
	vm.nr_virtio = 0;

	assert_int_equal(ctrl_cmd(set2, 4), VIRTIO_NET_OK);
	assert_int_equal(tap1_enabled, 1);
	bar_wr(CC_STATUS, 1, 0); /* reset: back to pair 0 alone */
	assert_int_equal(tap1_enabled, 0);
}

/* Receive on a pair past the ones in use takes no buffer (5.1.6.5.5). */
static void test_mq_rx_inactive_pair(void **state)
{
	(void)state;
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, F_MAC | F_CTRL_VQ | F_MQ);
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	queue_program(2, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	queue_program(4, QSIZE, CTLQ_DESC, CTLQ_AVAIL, CTLQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
	put_desc(RXQ_DESC, 0, RXBUF, 2048, VIRTQ_DESC_F_WRITE, 0);
	avail_add(RXQ_AVAIL, 0);
	tap1.be.ops = &fake_mq_ops;
	memset(tap1.in[0], 0, NET_HDR_LEN + 60);
	tap1.in_len[0] = NET_HDR_LEN + 60;
	tap1.nr_in = 1;
	notify(2);
	assert_int_equal(rd16(RXQ_USED + 2), 0);
	assert_int_equal(tap1.nr_in, 1);
	assert_int_equal(ctrl_cmd((const uint8_t[]){ 4, 0, 2, 0 }, 4), VIRTIO_NET_OK);
	notify(2);
	assert_int_equal(rd16(RXQ_USED + 2), 1);
	assert_int_equal(tap1.nr_in, 0);
}

/* CTRL_VQ without MQ: the control queue is queue 2 (5.1.2), and no MQ command is valid. */
static void test_ctrl_without_mq(void **state)
{
	(void)state;
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(0, F_MAC | F_CTRL_VQ);
	set_features(1, 1);
	bar_wr(CC_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	queue_program(2, QSIZE, CTLQ_DESC, CTLQ_AVAIL, CTLQ_USED);
	bar_wr(CC_Q_ENABLE, 2, 1);
	bar_wr(CC_STATUS, 1, bar_rd(CC_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
	ctrl_q = 2;
	assert_int_equal(ctrl_cmd((const uint8_t[]){ 4, 0, 1, 0 }, 4), VIRTIO_NET_ERR);
	ctrl_q = 4;
	assert_int_equal(tap1_enabled, 0);
}

/* The parser alone, as the fuzzer drives it. */
static void test_ctrl_parse(void **state)
{
	unsigned pairs = 0;

	(void)state;
	assert_int_equal(net_ctrl_parse((const uint8_t[]){ 4, 0, 8, 0 }, 4, 8, &pairs), VIRTIO_NET_OK);
	assert_int_equal(pairs, 8);
	assert_int_equal(net_ctrl_parse((const uint8_t[]){ 4, 0, 9, 0 }, 4, 8, &pairs), VIRTIO_NET_ERR);
	assert_int_equal(net_ctrl_parse((const uint8_t[]){ 4, 0, 1, 1 }, 4, 8, &pairs), VIRTIO_NET_ERR);
	assert_int_equal(net_ctrl_parse((const uint8_t[]){ 4, 0 }, 2, 8, &pairs), VIRTIO_NET_ERR);
	assert_int_equal(net_ctrl_parse((const uint8_t[]){ 4, 0, 1, 0, 0 }, 5, 8, &pairs), VIRTIO_NET_ERR);
	assert_int_equal(pairs, 8);
}

/* ---- vhost-net against the fake (tests/fake/kvm_ioctl.c records VHOST_* ioctls) ---- */

#include <linux/vhost.h>
#include "../../virtio/transport.h"

/* The n-th recorded vhost ioctl is req (on ring index, with fd or val where given). */
static const struct fake_vhost_rec *vrec(unsigned n, unsigned long req)
{
	assert_true(n < fake_vhost.nr);
	assert_int_equal(fake_vhost.rec[n].req, req);
	return &fake_vhost.rec[n];
}

static unsigned vcount(unsigned long req)
{
	unsigned c = 0;

	for (unsigned i = 0; i < fake_vhost.nr && i < 128; i++)
		c += fake_vhost.rec[i].req == req;
	return c;
}

static int vhost_net_setup(void **state)
{
	struct virtio_net_params p = { .mac = { 0x02, 1, 2, 3, 4, 5 }, .pairs = 1, .vhost = NET_VHOST_ON };
	struct net_backend *be = &tap.be;

	(void)state;
	memset(&tap, 0, sizeof(tap));
	tap.be = (struct net_backend){ .ops = &fake_ops, .fd = 42, .desc = "tap fake0" };
	memset(&fake_vhost, 0, sizeof(fake_vhost));
	fake_vhost.features = 1ULL << 32 | 1ULL << 29 | 1ULL << 28 | 1ULL << 15;
	net_vhost_path = "/dev/null";
	vm_init(&gicv3_ops, true);
	plain_add(&plain);
	assert_int_equal(virtio_net_create_mq(&vm.vhost, &p, &be, &vd), 0);
	virtio_enable_bar();
	return 0;
}

static void test_vhost_sequence(void **state)
{
	unsigned n;
	struct strbuf out = { 0 };

	(void)state;
	/* Creation: owner, features, the memory table (one region: guest RAM). */
	vrec(0, VHOST_SET_OWNER);
	vrec(1, VHOST_GET_FEATURES);
	assert_int_equal(vrec(2, VHOST_SET_MEM_TABLE)->val, RAM_GPA);
	assert_int_equal(vd->kernel_queues, 3); /* the kernel polls both kick eventfds */
	n = fake_vhost.nr;
	net_driver_up(F_MAC);
	/* DRIVER_OK: only the ring features the driver took (VERSION_1), per ring num, base,
	 * addr, kick, call, then the tap for both. */
	assert_int_equal(vrec(n, VHOST_SET_FEATURES)->val, 1ULL << 32);
	n++;
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(vrec(n, VHOST_SET_VRING_NUM)->val, QSIZE);
		assert_int_equal(vrec(n + 1, VHOST_SET_VRING_BASE)->val, 0);
		assert_ptr_equal((void *)(uintptr_t)vrec(n + 2, VHOST_SET_VRING_ADDR)->val,
				 ram + ((i ? TXQ_DESC : RXQ_DESC) - RAM_GPA));
		assert_int_equal(vrec(n + 3, VHOST_SET_VRING_KICK)->fd, vd->queues[i].kick_fd);
		assert_int_equal(vrec(n + 4, VHOST_SET_VRING_CALL)->index, i);
		n += 5;
	}
	assert_int_equal(vrec(n, VHOST_NET_SET_BACKEND)->fd, 42);
	assert_int_equal(vrec(n + 1, VHOST_NET_SET_BACKEND)->index, 1);
	n += 2;
	assert_int_equal(fake_vhost.nr, n);
	/* MSI-X off: the calls go to our relays (the I/O thread raises INTx), not an irqfd. */
	assert_int_equal(virtio_queue_irqfd(vd, 0), -1);
	assert_true(fake_vhost.rec[n - 3].fd >= 0);

	/* MSI-X on with vector 0 masked for receiveq: still the relay (a pending bit). */
	msix_control(MSIX_ENABLE);
	msix_entry(0, its_doorbell(), 33, true);
	bar_wr(CC_Q_SELECT, 2, 0);
	bar_wr(CC_Q_MSIX, 2, 0);
	assert_int_equal(vcount(VHOST_SET_VRING_CALL), 2); /* nothing changed for the kernel */
	/* Unmasked: the vector's irqfd, straight from the kernel to KVM. */
	msix_mask(0, false);
	assert_int_equal(vcount(VHOST_SET_VRING_CALL), 3);
	assert_int_equal(fake_vhost.rec[fake_vhost.nr - 1].index, 0);
	assert_int_equal(fake_vhost.rec[fake_vhost.nr - 1].fd, virtio_pci_msix(vd)->vectors[0].irq_fd);
	assert_int_equal(virtio_queue_irqfd(vd, 0), virtio_pci_msix(vd)->vectors[0].irq_fd);
	assert_int_equal(virtio_queue_irqfd(vd, 1), -1); /* transmitq has no vector */
	/* Masked again, then MSI-X off: back to the relay, once. */
	msix_mask(0, true);
	assert_int_equal(vcount(VHOST_SET_VRING_CALL), 4);
	assert_int_not_equal(fake_vhost.rec[fake_vhost.nr - 1].fd, virtio_pci_msix(vd)->vectors[0].irq_fd);
	msix_control(0);
	assert_int_equal(vcount(VHOST_SET_VRING_CALL), 4);

	/* stat and info say vhost-net; no userspace packet counts move. */
	vm.virtio[0] = vd;
	vm.nr_virtio = 1;
	command_run(&vm, "info net", &out);
	assert_non_null(strstr(out.buf, "vhost-net tap fake0 MAC"));
	assert_non_null(strstr(out.buf, "  pair 0: vhost-net running (packet counts are the kernel's)\n"));
	sb_free(&out);
	vm.nr_virtio = 0;

	/* Device reset: the backend is taken away and the rings stopped. */
	n = fake_vhost.nr;
	bar_wr(CC_STATUS, 1, 0);
	assert_int_equal(vrec(n, VHOST_NET_SET_BACKEND)->fd, -1);
	vrec(n + 1, VHOST_GET_VRING_BASE);
	assert_int_equal(vrec(n + 2, VHOST_NET_SET_BACKEND)->index, 1);
	vrec(n + 3, VHOST_GET_VRING_BASE);
	assert_int_equal(fake_vhost.nr, n + 4);
	/* A failed ioctl at DRIVER_OK: DEVICE_NEEDS_RESET, not a crash. */
	fake_vhost.fail_req = VHOST_SET_VRING_ADDR;
	fake_vhost.fail_errno = EFAULT;
	net_driver_up(F_MAC);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The kernel works guest memory for us: Bus Master cleared under running rings stops them
 * (DEVICE_NEEDS_RESET); DRIVER_OK with Bus Master clear starts them once it is set. */
static void test_vhost_bus_master(void **state)
{
	unsigned n;

	(void)state;
	net_driver_up(F_MAC);
	assert_int_equal(vcount(VHOST_NET_SET_BACKEND), 2);
	n = fake_vhost.nr;
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(bar_rd(CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vrec(n, VHOST_NET_SET_BACKEND)->fd, -1); /* stopped */
	bar_wr(CC_STATUS, 1, 0);
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	n = vcount(VHOST_NET_SET_BACKEND);
	net_driver_up(F_MAC);
	assert_int_equal(vcount(VHOST_NET_SET_BACKEND), n); /* waits for Bus Master */
	cfg_write(VSLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(vcount(VHOST_NET_SET_BACKEND), n + 2);
	assert_int_equal(fake_vhost.rec[fake_vhost.nr - 1].fd, 42);
}

/* Without /dev/vhost-net: vhost=1 fails, the default goes on without it. */
static void test_vhost_missing(void **state)
{
	struct virtio_net_params p = { .mac = { 0x02, 1, 2, 3, 4, 5 }, .pairs = 1, .vhost = NET_VHOST_ON };
	struct fake_tap t2 = { .be = { .ops = &fake_ops, .fd = -1, .desc = "tap fake1" } };
	struct net_backend *be = &t2.be;
	struct virtio_dev *v2;

	(void)state;
	net_vhost_path = "/nonexistent/vhost-net";
	assert_int_equal(virtio_net_create_mq(&vm.vhost, &p, &be, &v2), -ENOENT);
	assert_int_equal(t2.closed, 1);
	p.vhost = NET_VHOST_AUTO;
	assert_int_equal(virtio_net_create_mq(&vm.vhost, &p, &be, &v2), 0);
	assert_int_equal(v2->kernel_queues, 0);
	virtio_destroy(v2);
	assert_int_equal(t2.closed, 2);
	net_vhost_path = "/dev/vhost-net";
}

/* Two pairs on vhost-net: one vhost fd each, the kernel polls the four ring kicks, the
 * control queue's kick stays the I/O thread's. */
static void test_vhost_mq(void **state)
{
	struct virtio_net_params p = { .mac = { 0x02, 1, 2, 3, 4, 5 }, .pairs = 2, .vhost = NET_VHOST_ON };
	struct fake_tap t2 = { .be = { .ops = &fake_mq_ops, .fd = 43, .desc = "tap fake1" } };
	struct fake_tap t3 = { .be = { .ops = &fake_mq_ops, .fd = 44, .desc = "tap fake1" } };
	struct net_backend *be[2] = { &t2.be, &t3.be };
	struct virtio_dev *v2;
	unsigned owners = vcount(VHOST_SET_OWNER);

	(void)state;
	net_vhost_path = "/dev/null";
	assert_int_equal(virtio_net_create_mq(&vm.vhost, &p, be, &v2), 0);
	assert_int_equal(vcount(VHOST_SET_OWNER), owners + 2);
	assert_int_equal(v2->kernel_queues, 0xf);
	assert_int_equal(v2->ops->nr_queues, 5);
	virtio_destroy(v2);
	assert_int_equal(t2.closed + t3.closed, 2);
	net_vhost_path = "/dev/vhost-net";
}

#define VHOST_TEST(fn) cmocka_unit_test_setup_teardown(fn, vhost_net_setup, net_teardown)
#define NET_MQ_TEST(fn) cmocka_unit_test_setup_teardown(fn, net_mq_setup, net_mq_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		NET_TEST(test_config_and_features),
		NET_TEST(test_rx_good),
		NET_TEST(test_rx_short_and_readonly),
		NET_TEST(test_rx_refused_budget),
		NET_TEST(test_rx_truncated),
		NET_TEST(test_rx_not_live),
		NET_TEST(test_tx_good),
		NET_TEST(test_tx_bad_sizes),
		NET_TEST(test_tx_budget_rekick),
		NET_TEST(test_info_and_report),
		NET_TEST(test_mmio_on_pci_vm),
		cmocka_unit_test(test_fd_backend),
		cmocka_unit_test(test_mac_addresses),
		cmocka_unit_test(test_cli_network),
		NET_MQ_TEST(test_mq_config_and_ctrl),
		NET_MQ_TEST(test_mq_rx_inactive_pair),
		NET_MQ_TEST(test_ctrl_without_mq),
		cmocka_unit_test(test_ctrl_parse),
		VHOST_TEST(test_vhost_sequence),
		VHOST_TEST(test_vhost_bus_master),
		VHOST_TEST(test_vhost_missing),
		VHOST_TEST(test_vhost_mq),
	};
	return cmocka_run_group_tests_name("virtio_net", tests, NULL, NULL);
}
