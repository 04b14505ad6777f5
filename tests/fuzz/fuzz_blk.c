/* fuzz_blk.c - virtio-blk requests (virtio/blk.c) built from the input, through the real
 * path: a queue kick into the core, blk's parser, io_uring SQEs taken by the fake I/O
 * thread, host I/O on a memfd disk, completions in any order, device resets in between.
 *
 * Input: a header (device, features, queue size, PCI command), then a program: requests
 * (header type/sector, data segments, direct or indirect), raw guest writes, kicks,
 * completions (successful or failed), resets.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../devices/pci.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/transport.h"
#include "../../virtio/virtio.h"
#include "fuzz.h"

#define RAM_SIZE   0x40000u
#define DESC_OFF   0x0000u
#define AVAIL_OFF  0x1000u
#define USED_OFF   0x2000u
#define INDIR_OFF  0x4000u  /* one indirect table slot of 256 descriptors per request */
#define HDR_OFF    0x8000u  /* request headers, 16 bytes each */
#define DATA_OFF   0x10000u
#define DISK_SIZE  0x10000u
#define MAX_OPS    128
#define MAX_SEGS   8

struct blk_fuzz {
	struct vm *vm;
	struct virtio_dev *dev[2]; /* read-write and read-only */
	int disk_fd[2];
	/* The driver's view, while it keeps the rules (well-formed requests, never more in
	 * flight than the queue holds): heads it made available and not yet got back, and how
	 * far it has read the used ring. */
	unsigned outstanding[256], nr_outstanding;
	uint16_t used_seen;
	bool misbehaved;
};

static struct blk_fuzz F;

static void setup_once(void)
{
	static uint8_t disk[DISK_SIZE];

	F.vm = fake_vm_create(RAM_SIZE, FAKE_GICV3_ITS, 1);
	for (unsigned i = 0; i < 2; i++) {
		const char *path = fake_file(disk, sizeof(disk), &F.disk_fd[i]);

		if (!path || virtio_blk_create(&F.vm->vhost, path, i == 1, i, &F.dev[i]) ||
		    virtio_watch(F.dev[i], fake_io()))
			abort();
		F.vm->virtio[F.vm->nr_virtio++] = F.dev[i];
	}
}

/* Let every submission finish, including those completions queue again. */
static void drain(bool fail)
{
	for (unsigned i = 0; i < 64 && fake_io_pending(fake_io()); i++)
		fake_io_complete(fake_io(), ~0u, fail);
	FUZZ_CHECK(fake_io_pending(fake_io()) == 0);
}

/* A driver that starts over forgets its requests. */
static void driver_forget(void)
{
	memset(F.outstanding, 0, sizeof(F.outstanding));
	F.nr_outstanding = 0;
	F.used_seen = 0;
}

/* virtio 1.2, 2.7.8: the device returns only heads the driver made available, each once,
 * with a length no larger than the request's writable bytes. */
static void check_used(struct virtio_dev *vd)
{
	const uint8_t *used = F.vm->mem.hva + USED_OFF;
	uint16_t idx = (uint16_t)le_load(used + 2, 2), qsize = vd->queues[0].vq.size;

	if (F.misbehaved || !vd->queues[0].vq.ready)
		return;
	for (; F.used_seen != idx; F.used_seen++) {
		const uint8_t *e = used + 4 + 8 * (F.used_seen % qsize);
		uint32_t id = (uint32_t)le_load(e, 4);

		FUZZ_CHECK(id < qsize && F.outstanding[id] > 0);
		F.outstanding[id]--;
		F.nr_outstanding--;
	}
}

/* The driver's start-up (virtio 1.2, 3.1.1): features, queue 0, DRIVER_OK. */
static void driver_init(struct virtio_dev *vd, struct fuzz_in *in)
{
	struct virtio_queue_state *qs = &vd->queues[0];
	uint64_t features = fin_u64(in);

	pci_cfg_write(virtio_pci_function(vd), PCI_COMMAND, 2, fin_u8(in) & 0x80 ? fin_u16(in) : PCI_COMMAND_MASTER);
	virtio_status_write(vd, 0);
	driver_forget();
	memset(F.vm->mem.hva, 0, INDIR_OFF); /* fresh rings, as a driver allocates them */
	virtio_status_write(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Mostly what the device offers plus VERSION_1; sometimes anything. */
	if (!(features & 1))
		features = (features & vd->device_features) | 1ULL << VIRTIO_F_VERSION_1;
	for (uint32_t sel = 0; sel < 2; sel++) {
		vd->driver_feature_select = sel;
		virtio_features_write(vd, (uint32_t)(features >> (32 * sel)));
	}
	virtio_status_write(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	qs->vq.size = 1u << (fin_u8(in) % 9);
	qs->vq.desc_gpa = FAKE_RAM_GPA + DESC_OFF;
	qs->vq.avail_gpa = FAKE_RAM_GPA + AVAIL_OFF;
	qs->vq.used_gpa = FAKE_RAM_GPA + USED_OFF;
	virtio_queue_enable(vd, qs);
	virtio_status_write(vd, virtio_status_read(vd) | VIRTIO_STATUS_DRIVER_OK);
}

static void put_desc(struct vm *vm, uint64_t table_off, unsigned idx, uint64_t gpa, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = vm->mem.hva + table_off + 16 * idx;

	le_store(d, 8, gpa);
	le_store(d + 8, 4, len);
	le_store(d + 12, 2, flags);
	le_store(d + 14, 2, next);
}

static void avail_add(struct vm *vm, uint16_t qsize, uint16_t head)
{
	uint8_t *idx = vm->mem.hva + AVAIL_OFF + 2;
	uint16_t i = (uint16_t)le_load(idx, 2);

	le_store(vm->mem.hva + AVAIL_OFF + 4 + 2 * (i % qsize), 2, head);
	le_store(idx, 2, (uint16_t)(i + 1));
}

/* Segment lengths: mostly whole sectors, sometimes anything (and zero). */
static uint32_t seg_len(struct fuzz_in *in)
{
	uint8_t l = fin_u8(in);

	return (l & 0x80) ? fin_u16(in) % 0x4000 : 512u * (l % 9);
}

/* A request as a driver lays it out: header (readable), data segments, status byte (writable). */
static void guest_request(struct virtio_dev *vd, struct fuzz_in *in)
{
	struct vm *vm = F.vm;
	uint16_t qsize = vd->queues[0].vq.size, head = fin_u8(in) % qsize;
	uint8_t type = fin_u8(in), nseg = fin_u8(in) % MAX_SEGS, flags = fin_u8(in);
	bool indirect = flags & 1, data_write = type % 9 == 0 || type % 9 == 8; /* IN, GET_ID */
	uint64_t table = indirect ? INDIR_OFF : DESC_OFF, hdr = HDR_OFF + 16 * head, data = DATA_OFF;
	unsigned n = 0, first = indirect ? 0 : head, size = indirect ? 256 : qsize;

	le_store(vm->mem.hva + hdr, 4, (flags & 2) ? fin_u32(in) : type % 9);
	le_store(vm->mem.hva + hdr + 8, 8, (flags & 4) ? fin_u64(in) : fin_u8(in));
	put_desc(vm, table, first, FAKE_RAM_GPA + hdr, (flags & 8) ? fin_u8(in) : 16, 1, (first + 1) % size);
	for (n = 1; n <= nseg; n++) {
		uint32_t len = seg_len(in);

		if (data + len > RAM_SIZE)
			len = 0;
		put_desc(vm, table, (first + n) % size, FAKE_RAM_GPA + data, len, 1 | (data_write ? 2 : 0),
			 (first + n + 1) % size);
		data += len;
	}
	put_desc(vm, table, (first + n) % size, FAKE_RAM_GPA + data, (flags & 16) ? 0 : 1, 2, 0);
	if (indirect)
		put_desc(vm, DESC_OFF, head, FAKE_RAM_GPA + INDIR_OFF, 16 * (n + 1), 4, 0);
	avail_add(vm, qsize, head);
	F.outstanding[head]++;
	/* More than the ring holds: the device may lap the used ring before we read it. */
	if (++F.nr_outstanding > qsize)
		F.misbehaved = true;
}

/* Anything else a guest can do to its RAM: headers, descriptors, rings. */
static void guest_write(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off = fin_u16(in) % (DATA_OFF - 8);

	le_store(vm->mem.hva + off, 8, fin_u64(in));
	F.misbehaved = true;
}

static void step(struct virtio_dev *vd, struct fuzz_in *in)
{
	switch (fin_u8(in) % 8) {
	case 0:
	case 1: guest_request(vd, in); break;
	case 2: guest_write(F.vm, in); break;
	case 3: fake_io_fire(fake_io(), vd->queues[0].kick_fd); break;
	case 4: fake_io_complete(fake_io(), fin_u8(in) % 4, false); break;
	case 5: fake_io_complete(fake_io(), 1, true); break;
	case 6: /* reset with I/O in flight */
		virtio_status_write(vd, 0);
		driver_forget();
		break;
	case 7: driver_init(vd, in); break;
	}
	check_used(vd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct virtio_dev *vd;

	if (!F.vm)
		setup_once();
	vd = F.dev[fin_u8(&in) & 1];
	memset(F.vm->mem.hva, 0, RAM_SIZE);
	F.misbehaved = false;
	driver_init(vd, &in);
	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(vd, &in);
	/* Nothing may be left behind for the next input: finish the I/O, reset the device. */
	drain(false);
	FUZZ_CHECK(!vd->ops->busy(vd->dev));
	virtio_status_write(vd, 0);
	return 0;
}
