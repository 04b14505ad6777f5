/* fuzz_net.c - virtio-net (virtio/net.c) driven from the input through the real path: the
 * queue kicks into the core, the backend's input poll, frames through the fd backend on a
 * SOCK_SEQPACKET socketpair standing in for the tap, resets in between.
 *
 * Input: a header (features, queue sizes, PCI command), then a program: receive chains
 * (writable segments, sometimes read-only ones), transmit chains (a header segment and
 * frame segments of any length, sometimes writable ones), host frames of any length,
 * kicks of either queue, input polls, raw guest writes, resets, and control commands of any
 * bytes through the control queue's parser (net_ctrl_parse).
 *
 * Invariants: only heads the driver made available come back, each once; a receive
 * chain's used length fits its writable bytes, a transmit chain's is 0; every frame the
 * host sees is the host's zero header and 14..65550 bytes; a control command is acked OK
 * only as VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET with 1..max pairs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../devices/pci.h"
#include "../../util.h"
#include "../../virtio/net.h"
#include "../../virtio/transport.h"
#include "../../virtio/virtio.h"
#include "fuzz.h"

#define RAM_SIZE  0x40000u
#define DATA_OFF  0x8000u
#define MAX_OPS   128
#define MAX_SEGS  6

static const uint32_t ring_off[2][3] = { { 0x0000, 0x1000, 0x2000 }, { 0x3000, 0x4000, 0x5000 } };

struct net_fuzz {
	struct vm *vm;
	struct virtio_dev *vd;
	int dev_fd, peer_fd;
	/* The driver's view per queue while it keeps the rules: heads outstanding, the
	 * writable bytes each was given with (receive), how far it read the used ring. */
	unsigned outstanding[2][256], nr_outstanding[2];
	uint64_t in_len[256];
	uint16_t owner[2][256];         /* descriptor -> outstanding chain's head + 1 (0: free) */
	uint8_t nseg[2][256];
	uint16_t used_seen[2];
	bool misbehaved;
};

static struct net_fuzz F;

static void setup_once(void)
{
	struct net_backend *be;
	struct virtio_net_params p = { .mac = { 0x02, 1, 2, 3, 4, 5 } };
	int sv[2];

	F.vm = fake_vm_create(RAM_SIZE, FAKE_GICV3_ITS, 1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) || net_backend_from_fd(sv[0], "tap fuzz", &be) ||
	    virtio_net_create(&F.vm->vhost, &p, be, &F.vd) || virtio_watch(F.vd, fake_io()))
		abort();
	F.dev_fd = sv[0];
	F.peer_fd = sv[1];
	F.vm->virtio[F.vm->nr_virtio++] = F.vd;
}

static void driver_forget(void)
{
	memset(F.outstanding, 0, sizeof(F.outstanding));
	memset(F.nr_outstanding, 0, sizeof(F.nr_outstanding));
	memset(F.used_seen, 0, sizeof(F.used_seen));
	memset(F.owner, 0, sizeof(F.owner));
}

/* What the host got: each frame the host's zero header and a frame of legal size. */
static void peer_drain(void)
{
	static uint8_t buf[NET_HDR_LEN + NET_MAX_FRAME + 1];
	static const uint8_t zero[NET_HDR_LEN];
	ssize_t n;

	while ((n = read(F.peer_fd, buf, sizeof(buf))) > 0) {
		FUZZ_CHECK(n >= NET_HDR_LEN + 14 && n <= NET_HDR_LEN + NET_MAX_FRAME);
		FUZZ_CHECK(!memcmp(buf, zero, NET_HDR_LEN));
	}
}

static void check_used(unsigned q)
{
	struct virtio_queue_state *qs = &F.vd->queues[q];
	const uint8_t *used = F.vm->mem.hva + ring_off[q][2];
	uint16_t idx = (uint16_t)le_load(used + 2, 2), qsize = qs->vq.size;

	if (F.misbehaved || !qs->vq.ready)
		return;
	for (; F.used_seen[q] != idx; F.used_seen[q]++) {
		const uint8_t *e = used + 4 + 8 * (F.used_seen[q] % qsize);
		uint32_t id = (uint32_t)le_load(e, 4), len = (uint32_t)le_load(e + 4, 4);

		FUZZ_CHECK(id < qsize && F.outstanding[q][id] > 0);
		/* Receive: no more than the chain's writable bytes (its header's content is
		 * the unit tests': chains here share buffers); transmit: nothing written. */
		FUZZ_CHECK(q == 0 ? len <= F.in_len[id] : len == 0);
		F.outstanding[q][id]--;
		F.nr_outstanding[q]--;
		for (unsigned n = 0; n < F.nseg[q][id]; n++)
			F.owner[q][(id + n) % qsize] = 0;
	}
}

static void driver_init(struct fuzz_in *in)
{
	struct virtio_dev *vd = F.vd;
	uint64_t features = fin_u64(in);

	pci_cfg_write(virtio_pci_function(vd), PCI_COMMAND, 2, fin_u8(in) & 0x80 ? fin_u16(in) : PCI_COMMAND_MASTER);
	virtio_status_write(vd, 0);
	driver_forget();
	memset(F.vm->mem.hva, 0, DATA_OFF);
	virtio_status_write(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	if (!(features & 1))
		features = (features & vd->device_features) | 1ULL << VIRTIO_F_VERSION_1;
	for (uint32_t sel = 0; sel < 2; sel++) {
		vd->driver_feature_select = sel;
		virtio_features_write(vd, (uint32_t)(features >> (32 * sel)));
	}
	virtio_status_write(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		struct virtio_queue_state *qs = &vd->queues[q];

		qs->vq.size = 1u << (fin_u8(in) % 9);
		qs->vq.desc_gpa = FAKE_RAM_GPA + ring_off[q][0];
		qs->vq.avail_gpa = FAKE_RAM_GPA + ring_off[q][1];
		qs->vq.used_gpa = FAKE_RAM_GPA + ring_off[q][2];
		virtio_queue_enable(vd, qs);
	}
	virtio_status_write(vd, virtio_status_read(vd) | VIRTIO_STATUS_DRIVER_OK);
}

static void put_desc(unsigned q, unsigned idx, uint64_t gpa, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = F.vm->mem.hva + ring_off[q][0] + 16 * idx;

	le_store(d, 8, gpa);
	le_store(d + 8, 4, len);
	le_store(d + 12, 2, flags);
	le_store(d + 14, 2, next);
}

/* A chain on queue q: receive chains writable (sometimes not), transmit chains readable
 * (sometimes with writable segments after). Segment lengths from tiny to over 64 KiB. */
static void guest_chain(unsigned q, struct fuzz_in *in)
{
	uint16_t qsize = F.vd->queues[q].vq.size, head = fin_u8(in) % qsize;
	uint8_t nseg = 1 + fin_u8(in) % MAX_SEGS, flags = fin_u8(in);
	uint64_t data = DATA_OFF + (fin_u16(in) % 0x1000), in_len = 0;
	uint8_t *avail = F.vm->mem.hva + ring_off[q][1];
	uint16_t ai = (uint16_t)le_load(avail + 2, 2);

	/* Rewriting a descriptor of a chain the device has not returned changes that chain
	 * under the driver's record of it: allowed, but no longer checked. */
	for (unsigned n = 0; n < nseg; n++)
		if (F.owner[q][(head + n) % qsize])
			F.misbehaved = true;
	if (nseg > qsize)
		F.misbehaved = true;
	F.nseg[q][head] = nseg;
	for (unsigned n = 0; n < nseg; n++) {
		uint16_t l = fin_u16(in);
		uint32_t len = (l & 0x8000) ? (l & 0x7fff) * 3u : l % 2048;
		bool write = q == 0 ? !(flags & (1u << n)) || !(flags & 0x80) : (flags & 0x80) && n == nseg - 1;

		if (data + len > RAM_SIZE)
			len = 0;
		put_desc(q, (head + n) % qsize, FAKE_RAM_GPA + data, len, (n + 1 < nseg ? 1 : 0) | (write ? 2 : 0),
			 (head + n + 1) % qsize);
		if (write)
			in_len += len;
		F.owner[q][(head + n) % qsize] = (uint16_t)(head + 1);
		data += len;
	}
	le_store(avail + 4 + 2 * (ai % qsize), 2, head);
	le_store(avail + 2, 2, (uint16_t)(ai + 1));
	if (q == 0)
		F.in_len[head] = in_len;
	F.outstanding[q][head]++;
	if (++F.nr_outstanding[q] > qsize)
		F.misbehaved = true; /* the device may lap the used ring */
}

/* A frame from the host's side: header bytes of any value, any length. */
static void host_frame(struct fuzz_in *in)
{
	static uint8_t buf[4096 + NET_HDR_LEN];
	uint16_t len = fin_u16(in) % sizeof(buf);

	memset(buf, fin_u8(in), len);
	(void)!write(F.peer_fd, buf, len);
}

/* A control command's readable bytes, of any length, against a max of 1..8 pairs. */
static void ctrl_command(struct fuzz_in *in)
{
	uint8_t cmd[8];
	size_t len = fin_u8(in) % (sizeof(cmd) + 1);
	unsigned max = 1 + fin_u8(in) % NET_MAX_PAIRS, pairs = 0;

	len = fin_bytes(in, cmd, len);
	if (net_ctrl_parse(cmd, len, max, &pairs) == VIRTIO_NET_OK &&
	    (len != 4 || cmd[0] != 4 || cmd[1] != 0 || pairs < 1 || pairs > max || pairs != le_load(cmd + 2, 2)))
		abort();
}

static void step(struct fuzz_in *in)
{
	switch (fin_u8(in) % 11) {
	case 0:
	case 1: guest_chain(0, in); break;
	case 2:
	case 3: guest_chain(1, in); break;
	case 4: host_frame(in); break;
	case 5: fake_io_fire(fake_io(), F.vd->queues[0].kick_fd); break;
	case 6: fake_io_fire(fake_io(), F.vd->queues[1].kick_fd); break;
	case 7: fake_io_fire(fake_io(), F.dev_fd); break;
	case 8: /* anything else a guest can write: rings, descriptors */
		le_store(F.vm->mem.hva + fin_u16(in) % (DATA_OFF - 8), 8, fin_u64(in));
		F.misbehaved = true;
		break;
	case 9:
		if (fin_u8(in) & 1) {
			virtio_status_write(F.vd, 0);
			driver_forget();
		} else {
			driver_init(in);
		}
		break;
	case 10: ctrl_command(in); break;
	}
	check_used(0);
	check_used(1);
	peer_drain();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t buf[2048];

	if (!F.vm)
		setup_once();
	memset(F.vm->mem.hva, 0, RAM_SIZE);
	F.misbehaved = false;
	while (read(F.dev_fd, buf, sizeof(buf)) > 0)
		; /* frames a previous input left for the guest */
	driver_init(&in);
	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(&in);
	virtio_status_write(F.vd, 0);
	peer_drain();
	return 0;
}
