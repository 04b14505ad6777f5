/* blk.c - virtio-blk (virtio 1.2, section 5.2): requests become io_uring reads, writes
 * and fdatasyncs; a flush is acknowledged only once the data is on disk. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../mem.h"
#include "../util.h"
#include "devices.h"
#include "iothread.h"
#include "virtio.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR_SIZE  512
#define BLK_ID_BYTES 20
#define BLK_QUEUE_SIZE 256
/* Requests in flight; twice the queue so requests orphaned by a reset never block new ones. */
#define BLK_MAX_REQS (2 * BLK_QUEUE_SIZE)

struct blk_req {
	struct io_op op;
	struct virtio_blk *blk;
	bool in_use;
	bool flush;             /* a FLUSH: its failure, once returned, is the driver's news */
	unsigned generation;    /* device resets since creation, when submitted */
	struct blk_req *next_flush; /* FLUSHes covered by, or waiting for, one fdatasync */
	struct blk_req *next_held;  /* completions held while Bus Master Enable is clear */
	uint8_t status;         /* a held completion's status byte */
	uint16_t head;
	uint64_t status_gpa;    /* the last device-writable byte of the chain */
	uint64_t expect;        /* bytes the host I/O must transfer */
	uint32_t used_len;      /* bytes written into the chain, status included */
	struct iovec iov[VIRTQ_MAX_CHAIN];
	unsigned niov;
};

struct virtio_blk {
	struct virtio_dev *vd;
	struct iothread *io;
	int fd;
	int file;               /* fd's fixed-file index in the I/O thread's ring */
	bool read_only;
	uint64_t sectors;
	char id[BLK_ID_BYTES];
	uint8_t config[24];
	unsigned generation;
	unsigned stale;         /* requests from before the last reset still in flight */
	/* FLUSH (5.2.6.1): one fdatasync in flight per disk. The kernel reports a writeback
	 * error to one fdatasync of a file description only (errseq, vfs.rst "Handling
	 * errors during writeback"): two at once could let a FLUSH succeed past a lost write.
	 * FLUSHes arriving meanwhile wait; they need an fdatasync started after them. */
	struct io_op fsync_op;
	bool fsync_inflight;
	struct blk_req *fsync_batch;   /* the FLUSHes the fdatasync in flight answers */
	struct blk_req *fsync_waiting; /* FLUSHes for the next one */
	/* An fdatasync failed, whichever generation asked for it: the kernel may have dropped
	 * the dirty pages, and a later fdatasync would succeed without them. Every FLUSH fails
	 * until the driver was told (flush_failed_told: a FLUSH failed for it) and reset the
	 * device; a failure no FLUSH reported (its FLUSH was dropped by a reset) outlives the
	 * reset, so the error reaches the next FLUSH, which covers the lost write. */
	bool flush_failed;
	bool flush_failed_told;
	bool head_busy[BLK_QUEUE_SIZE];
	/* Requests done while the device may not write guest memory (PCI: Bus Master Enable
	 * clear), oldest first: their status byte and used entry wait (blk_complete). */
	struct blk_req *held, **held_tail;
	struct virtq_chain chain;
	struct blk_req reqs[BLK_MAX_REQS];
	/* This disk's budgets for guest-triggered lines, one per kind so that failing
	 * reads cannot hide a failed flush (or another disk's lines). */
	struct ratelimit io_rl, fsync_rl, flush_rl;
	/* What `stat` and the report show of this disk (vd->lock; read without it). */
	struct virtio_io_stats stats;
};

static void blk_process(struct virtio_blk *blk);

/* Write the status byte and return the chain to the driver. */
static void blk_return(struct virtio_blk *blk, struct blk_req *r, uint8_t status)
{
	struct virtq *q = virtio_queue(blk->vd, 0);
	uint8_t *s;

	blk->head_busy[r->head] = false;
	if (q->broken)
		return; /* the queue stopped (DEVICE_NEEDS_RESET): guest memory is left alone */
	if (r->flush && status != VIRTIO_BLK_S_OK)
		blk->flush_failed_told = true;
	s = guest_mem_ptr(blk->vd->mem, r->status_gpa, 1);
	if (s)
		*s = status;
	virtq_push(q, r->head, r->used_len);
}

/* A request is done (r->in_use already clear). The status byte and the used ring are
 * memory writes, which a PCI function must not issue with Bus Master Enable clear (PCI 3.0,
 * 6.2.2): such a completion is held, its slot and head kept, and returned in order once
 * bus mastering is back (blk_release_held, from the kick the transport sends then). Held,
 * not dropped: a driver that sets Bus Master Enable again without a reset still gets every
 * request back; one that resets drops them (blk_reset), as it forgot them. */
static void blk_complete(struct virtio_blk *blk, struct blk_req *r, uint8_t status)
{
	if (status != VIRTIO_BLK_S_OK)
		blk->stats.errors++;
	if (!virtio_queue(blk->vd, 0)->broken && !virtio_dma_allowed(blk->vd)) {
		r->in_use = true;
		r->status = status;
		r->next_held = NULL;
		*blk->held_tail = r;
		blk->held_tail = &r->next_held;
		return;
	}
	blk_return(blk, r, status);
}

/* Return the held completions once guest memory may be written again. */
static void blk_release_held(struct virtio_blk *blk)
{
	struct blk_req *r;

	if (!blk->held || !virtio_dma_allowed(blk->vd))
		return;
	while ((r = blk->held)) {
		blk->held = r->next_held;
		r->in_use = false;
		blk_return(blk, r, r->status);
	}
	blk->held_tail = &blk->held;
}

/* CQE for a request (I/O thread). */
static void blk_io_done(void *arg, int res)
{
	struct blk_req *r = arg;
	struct virtio_blk *blk = r->blk;
	struct virtio_dev *vd = blk->vd;

	pthread_mutex_lock(&vd->lock);
	r->in_use = false;
	/* A reset since submission: the driver forgot this request; only free the slot.
	 * The reset itself completes (device_status reads 0) once no such request is left. */
	if (r->generation != blk->generation) {
		blk->stale--;
	} else {
		if (res < 0 || (uint64_t)res != r->expect)
			log_ratelimited_obj(&blk->io_rl, "virtio-blk: host I/O failed (%s): IOERR to the guest",
					    res < 0 ? strerror(-res) : "short transfer");
		blk_complete(blk, r, (res >= 0 && (uint64_t)res == r->expect) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR);
	}
	blk_process(blk); /* requests may have waited for a free slot */
	pthread_mutex_unlock(&vd->lock);
}

static struct blk_req *blk_req_alloc(struct virtio_blk *blk)
{
	for (unsigned i = 0; i < BLK_MAX_REQS; i++) {
		if (!blk->reqs[i].in_use) {
			struct blk_req *r = &blk->reqs[i];

			r->in_use = true;
			r->blk = blk;
			r->generation = blk->generation;
			r->op = (struct io_op){ blk_io_done, r };
			r->flush = false;
			r->next_flush = NULL;
			r->niov = 0;
			return r;
		}
	}
	return NULL;
}

/* The address of the chain's last writable byte: where the status goes (5.2.6). */
static bool blk_status_gpa(const struct virtq_chain *c, uint64_t *gpa)
{
	for (unsigned i = c->nr; i > c->nr_out; i--) {
		if (c->bufs[i - 1].len) {
			*gpa = c->bufs[i - 1].gpa + c->bufs[i - 1].len - 1;
			return true;
		}
	}
	return false;
}

/* Check a read/write against the disk; 0 or the status to fail it with. */
static uint8_t blk_check_rw(struct virtio_blk *blk, uint32_t type, uint64_t sector, uint64_t len)
{
	if (type == VIRTIO_BLK_T_OUT && blk->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR_SIZE || sector > blk->sectors || len / SECTOR_SIZE > blk->sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_submit_rw(struct virtio_blk *blk, struct blk_req *r, const struct virtq_chain *c,
			     uint32_t type, uint64_t sector)
{
	bool in = type == VIRTIO_BLK_T_IN;
	uint64_t len = in ? c->in_len - 1 : c->out_len - 16;
	struct io_uring_sqe *sqe;
	uint8_t st = blk_check_rw(blk, type, sector, len);
	int ret;

	if (st)
		return st;
	ret = virtq_chain_iov(virtio_queue(blk->vd, 0), c, in, in ? 0 : 16, len, r->iov, VIRTQ_MAX_CHAIN);
	if (ret < 0)
		return VIRTIO_BLK_S_IOERR;
	r->niov = ret;
	r->expect = len;
	r->used_len = in ? len + 1 : 1;
	sqe = iothread_sqe(blk->io, &r->op);
	if (!sqe)
		return VIRTIO_BLK_S_IOERR;
	if (in) {
		io_uring_prep_readv(sqe, blk->file, r->iov, r->niov, sector * SECTOR_SIZE);
		blk->stats.reads++;
		blk->stats.bytes_read += len;
	} else {
		/* Without VIRTIO_BLK_F_FLUSH the device must be write-through (5.2.6.2). */
		io_uring_prep_writev2(sqe, blk->file, r->iov, r->niov, sector * SECTOR_SIZE,
				      virtio_has_feature(blk->vd, VIRTIO_BLK_F_FLUSH) ? 0 : RWF_DSYNC);
		blk->stats.writes++;
		blk->stats.bytes_written += len;
	}
	iothread_sqe_fixed(sqe);
	return VIRTIO_BLK_S_OK;
}

/* Start the fdatasync that answers every FLUSH in batch (none in flight); 0 or -EBUSY. */
static int blk_fsync_start(struct virtio_blk *blk, struct blk_req *batch)
{
	struct io_uring_sqe *sqe = iothread_sqe(blk->io, &blk->fsync_op);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, blk->file, IORING_FSYNC_DATASYNC);
	iothread_sqe_fixed(sqe);
	blk->fsync_inflight = true;
	blk->fsync_batch = batch;
	return 0;
}

/* Complete every FLUSH of a list with status. */
static void blk_flushes_complete(struct virtio_blk *blk, struct blk_req *list, uint8_t status)
{
	while (list) {
		struct blk_req *r = list;

		list = r->next_flush;
		r->in_use = false;
		blk_complete(blk, r, status); /* the driver is told when it is returned */
	}
}

/* The fdatasync's CQE (I/O thread). Its FLUSHes get its result; those that waited need one
 * of their own, unless this one failed: then the lost write is theirs too. */
static void blk_fsync_done(void *arg, int res)
{
	struct virtio_blk *blk = arg;
	struct blk_req *waiting;

	pthread_mutex_lock(&blk->vd->lock);
	blk->fsync_inflight = false;
	if (res < 0) {
		log_ratelimited_obj(&blk->fsync_rl, "virtio-blk: host flush failed (%s): IOERR to the guest",
				    strerror(-res));
		blk->flush_failed = true; /* latched even if a reset dropped its FLUSHes */
	}
	blk_flushes_complete(blk, blk->fsync_batch, res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
	blk->fsync_batch = NULL;
	waiting = blk->fsync_waiting;
	blk->fsync_waiting = NULL;
	if (waiting && (blk->flush_failed || blk_fsync_start(blk, waiting)))
		blk_flushes_complete(blk, waiting, VIRTIO_BLK_S_IOERR);
	blk_process(blk); /* requests may have waited for a free slot */
	pthread_mutex_unlock(&blk->vd->lock);
}

/* A FLUSH: answered by the next fdatasync to start, which covers every write completed
 * before it (5.2.6.1); OK when it is on its way (blk_fsync_done completes it). */
static uint8_t blk_submit_flush(struct virtio_blk *blk, struct blk_req *r)
{
	/* A failed FLUSH tells the driver when blk_return gives it back (not if the queue
	 * stopped, or a reset dropped it held): then the latched failure may end. */
	r->flush = true;
	if (blk->flush_failed) {
		log_ratelimited_obj(&blk->flush_rl,
				    "virtio-blk: FLUSH refused: an earlier flush failed (reset the device)");
		return VIRTIO_BLK_S_IOERR;
	}
	r->expect = 0;
	r->used_len = 1;
	blk->stats.flushes++;
	if (blk->fsync_inflight) {
		r->next_flush = blk->fsync_waiting;
		blk->fsync_waiting = r;
		return VIRTIO_BLK_S_OK;
	}
	return blk_fsync_start(blk, r) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct virtio_blk *blk, struct blk_req *r, const struct virtq_chain *c)
{
	uint64_t n = c->in_len - 1 < BLK_ID_BYTES ? c->in_len - 1 : BLK_ID_BYTES;

	if (virtq_chain_write(virtio_queue(blk->vd, 0), c, 0, blk->id, n))
		return VIRTIO_BLK_S_IOERR;
	r->used_len = n + 1;
	return VIRTIO_BLK_S_OK;
}

/* One request: copy the header out, check it, then submit, or complete it at once. */
static void blk_request(struct virtio_blk *blk, struct blk_req *r, const struct virtq_chain *c)
{
	uint8_t hdr[16], st;
	bool in_flight = false;

	r->head = c->head;
	r->used_len = 1;
	blk->head_busy[c->head] = true;
	if (virtq_chain_read(virtio_queue(blk->vd, 0), c, 0, hdr, sizeof(hdr))) {
		st = VIRTIO_BLK_S_IOERR; /* shorter than its header */
	} else {
		switch (le_load(hdr, 4)) {
		case VIRTIO_BLK_T_IN:
		case VIRTIO_BLK_T_OUT:
			st = blk_submit_rw(blk, r, c, le_load(hdr, 4), le_load(hdr + 8, 8));
			in_flight = st == VIRTIO_BLK_S_OK;
			break;
		case VIRTIO_BLK_T_FLUSH:
			st = blk_submit_flush(blk, r);
			in_flight = st == VIRTIO_BLK_S_OK;
			break;
		case VIRTIO_BLK_T_GET_ID:
			st = blk_get_id(blk, r, c);
			break;
		default:
			st = VIRTIO_BLK_S_UNSUPP;
		}
	}
	if (in_flight)
		return; /* blk_io_done completes it */
	r->in_use = false;
	blk_complete(blk, r, st);
}

/* Take every available request (several in flight); lock held. */
static void blk_process(struct virtio_blk *blk)
{
	blk_release_held(blk);
	for (;;) {
		struct blk_req *r;
		int ret;

		r = blk_req_alloc(blk);
		if (!r)
			break; /* all slots busy: a completion calls us again */
		/* 0 too when the queue is no longer live: called from completions, it may have
		 * stopped (DEVICE_NEEDS_RESET, Bus Master Enable cleared) since the kick. */
		ret = virtio_queue_pop(blk->vd, 0, &blk->chain);
		if (ret <= 0 || blk->head_busy[blk->chain.head] ||
		    !blk_status_gpa(&blk->chain, &r->status_gpa)) {
			r->in_use = false;
			/* Broken ring, a head already in flight, or no byte for the status. */
			if (ret != 0)
				virtio_needs_reset(blk->vd, "bad request chain");
			break;
		}
		blk_request(blk, r, &blk->chain);
	}
	virtio_queue_interrupt(blk->vd, 0);
}

static void blk_queue_notify(void *dev, unsigned q)
{
	(void)q;
	blk_process(dev);
}

static void blk_reset(void *dev)
{
	struct virtio_blk *blk = dev;
	struct blk_req *lists[] = { blk->fsync_batch, blk->fsync_waiting, blk->held };

	/* FLUSHes are no host I/O of their own: the driver forgot them, free them now. The
	 * fdatasync in flight goes on; a FLUSH after the reset waits for it (and fails if it
	 * did: it may have lost writes the new FLUSH covers). */
	for (unsigned i = 0; i < ARRAY_SIZE(lists); i++)
		for (struct blk_req *r = lists[i]; r; r = i < 2 ? r->next_flush : r->next_held)
			r->in_use = false;
	blk->fsync_batch = blk->fsync_waiting = NULL;
	/* Held completions (Bus Master Enable clear) have no host I/O left: the driver forgot
	 * them, so they are neither returned nor stale. */
	blk->held = NULL;
	blk->held_tail = &blk->held;
	/* Requests in flight become stale: they are not returned to the driver (generation),
	 * and until they finish the reset is not complete (blk_busy). */
	for (unsigned i = 0; i < BLK_MAX_REQS; i++)
		if (blk->reqs[i].in_use && blk->reqs[i].generation == blk->generation)
			blk->stale++;
	blk->generation++;
	/* A failed flush the driver heard of ends with the reset; one it never heard of not. */
	if (blk->flush_failed_told)
		blk->flush_failed = false;
	blk->flush_failed_told = false;
	memset(blk->head_busy, 0, sizeof(blk->head_busy));
}

/* Host I/O from before a reset still writes guest memory: the reset is not over. */
static bool blk_busy(void *dev)
{
	return ((struct virtio_blk *)dev)->stale != 0;
}

static void blk_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_blk *blk = dev;

	memcpy(buf, blk->config + off, len);
}

static void blk_destroy(void *dev)
{
	struct virtio_blk *blk = dev;
	struct flock unlock = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	/* The I/O thread has drained: make every write the guest made durable before exit,
	 * flushed by the guest or not (a stop by signal included). */
	if (blk->fd >= 0) {
		if (!blk->read_only && blk->vd && fdatasync(blk->fd) < 0)
			log_err("virtio-blk: fdatasync at exit: %s", strerror(errno));
		/* The I/O thread's ring still holds the file for a moment after its close (the
		 * kernel lets registered files go from a worker), and with it the OFD lock:
		 * unlock now, or a --reboot=restart finds its own image locked. */
		fcntl(blk->fd, F_OFD_SETLK, &unlock);
		close(blk->fd);
	}
	free(blk);
}

static void blk_io_stats(void *dev, struct virtio_io_stats *out)
{
	*out = ((struct virtio_blk *)dev)->stats;
}

static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.class_code = 0x018000, /* mass storage, other */
	.nr_queues = 1,
	.queue_size = BLK_QUEUE_SIZE,
	.config_size = 24,      /* capacity, size_max, seg_max, geometry, blk_size */
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.busy = blk_busy,
	.destroy = blk_destroy,
	.io_stats = blk_io_stats,
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH,
};

static int blk_open(struct virtio_blk *blk, const char *path)
{
	uint64_t bytes;
	struct stat st;
	struct flock lock = { .l_type = blk->read_only ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
	int err;

	blk->fd = open(path, (blk->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0) {
		err = errno;
		if (!blk->read_only && (err == EROFS || err == EACCES || err == EPERM))
			log_err("virtio-blk: disk %s cannot be opened for writing (%s); give it as -d %s,ro",
				path, strerror(err), path);
		else
			log_err("virtio-blk: cannot open disk %s: %s", path, strerror(err));
		return -err;
	}
	/* Two writers on one image corrupt it. An open file description lock on the whole file
	 * (fcntl(2), F_OFD_SETLK) is held until exit and conflicts with QEMU's image locks. */
	if (fcntl(blk->fd, F_OFD_SETLK, &lock) < 0) {
		err = errno;
		if (err == EAGAIN || err == EACCES)
			log_err("virtio-blk: disk %s is in use by another process (it holds a lock on it)", path);
		else
			log_err("virtio-blk: disk %s: F_OFD_SETLK: %s", path, strerror(err));
		return err == EAGAIN || err == EACCES ? -EBUSY : -err;
	}
	if (fstat(blk->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		log_err("virtio-blk: disk %s is not a regular file or block device", path);
		return -EINVAL;
	}
	bytes = st.st_size;
	/* A block device's st_size is 0: ask it. */
	if (S_ISBLK(st.st_mode) && ioctl(blk->fd, BLKGETSIZE64, &bytes) < 0) {
		log_err("virtio-blk: disk %s: BLKGETSIZE64: %s", path, strerror(errno));
		return -errno;
	}
	blk->sectors = bytes / SECTOR_SIZE;
	return 0;
}

int virtio_blk_create(struct virtio_host *h, const char *path, bool read_only, unsigned index,
		      struct virtio_dev **out)
{
	struct iothread *io = h->io;
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	char tmp[512];
	int ret;

	if (!blk)
		return -ENOMEM;
	blk->io = io;
	blk->fd = -1;
	blk->fsync_op = (struct io_op){ blk_fsync_done, blk };
	blk->held_tail = &blk->held;
	blk->read_only = read_only;
	ret = blk_open(blk, path);
	if (!ret) {
		blk->file = iothread_register_file(io, blk->fd);
		ret = blk->file < 0 ? blk->file : 0;
	}
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(blk->id, sizeof(blk->id), "vmm%u-%s", index, basename(tmp));
	le_store(blk->config, 8, blk->sectors);
	/* seg_max: a request (header + segments + status) fits in half a queue, indirect or not. */
	le_store(blk->config + 12, 4, BLK_QUEUE_SIZE / 2 - 2);
	le_store(blk->config + 20, 4, SECTOR_SIZE);
	if (!ret)
		ret = virtio_create(h, &blk_ops, blk, read_only ? 1ULL << VIRTIO_BLK_F_RO : 0, &blk->vd);
	if (ret) {
		blk_destroy(blk);
		return ret;
	}
	*out = blk->vd;
	return 0;
}
