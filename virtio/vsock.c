/* vsock.c - virtio-vsock (virtio 1.2, section 5.10) whose rx and tx queues the kernel's
 * vhost-vsock serves (drivers/vhost/vsock.c, linux/vhost.h).
 *
 * vmm sets vhost up once at creation (VHOST_SET_OWNER, the features it has, the memory
 * table of guest RAM, the guest CID) and, at each DRIVER_OK, hands it the negotiated
 * features and the rx and tx rings: size, base 0, ring addresses as host pointers checked
 * with guest_mem_ptr, the queue's kick eventfd (the one KVM_IOEVENTFD signals; the I/O
 * thread does not watch it: vd->kernel_queues) and the interrupt, then starts it
 * (VHOST_VSOCK_SET_RUNNING 1). A reset or the device's end stops it (0).
 *
 * The interrupt (VHOST_SET_VRING_CALL): the queue's MSI-X vector's irqfd while a message
 * through it may go out at once (virtio_queue_irqfd), so no packet's interrupt passes
 * through vmm; else (INTx, virtio-mmio's line, a masked vector, Bus Master off) a call
 * eventfd of the model's that the I/O thread turns into the transport's interrupt (the ISR
 * bit and the line; a masked vector's pending bit). Re-wired whenever the transport says
 * the path changed (ops->irqs_changed: a vCPU thread's MSI-X table or config write).
 *
 * The event queue (5.10.6.6) stays here: the driver's buffers are held in the ring, and one
 * is used only for VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (after a restore: not yet). */
#include "vsock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "../emit.h"
#include "../devices/env.h"
#include "../mem.h"
#include "../util.h"
#include "iothread.h"
#include "transport.h"
#include "virtio.h"

#define VIRTIO_ID_VSOCK 19
#define VIRTIO_VSOCK_F_SEQPACKET 1
#define VSOCK_CFG_SIZE 8           /* struct virtio_vsock_config: le64 guest_cid (5.10.4) */
#define VSOCK_QUEUE_SIZE 128
#define VSOCK_RX 0
#define VSOCK_TX 1
#define VSOCK_EVENT 2
#define VSOCK_NR_VHOST 2           /* rx and tx go to vhost */
#define VIRTIO_VSOCK_EVENT_TRANSPORT_RESET 0

struct vsock_call {
	struct virtio_vsock *vs;
	unsigned q;
	int fd;                    /* the model's call eventfd, polled by the I/O thread */
};

struct virtio_vsock {
	struct virtio_dev *vd;
	uint64_t cid;
	int vhost_fd;
	uint64_t vhost_features;   /* VHOST_GET_FEATURES */
	bool running;              /* VHOST_VSOCK_SET_RUNNING 1 given, not yet 0 */
	struct vsock_call call[VSOCK_NR_VHOST];
	int wired_call[VSOCK_NR_VHOST]; /* the fd vhost has as each queue's call, -1 none */
	uint64_t event_kicks, events_sent, call_signals, rewires;
	struct ratelimit rl;
};

bool vsock_cid_valid(uint64_t cid)
{
	return cid >= VSOCK_CID_MIN && cid <= VSOCK_CID_MAX;
}

/* One vhost ioctl, reported with strerror on failure; 0 or -errno. */
static int vhost_call(struct virtio_vsock *vs, unsigned long req, const char *what, void *arg)
{
	if (ioctl(vs->vhost_fd, req, arg) == 0)
		return 0;
	int err = errno;

	log_ratelimited_obj(&vs->rl, "vsock: %s: %s", what, strerror(err));
	return -err;
}

/* Give queue q's interrupt to vhost: the vector's irqfd, or our call eventfd (lock held). */
static int vsock_wire_call(struct virtio_vsock *vs, unsigned q)
{
	int fd = virtio_queue_irqfd(vs->vd, q);
	struct vhost_vring_file f = { .index = q };
	int ret;

	if (fd < 0)
		fd = vs->call[q].fd;
	if (fd == vs->wired_call[q])
		return 0;
	f.fd = fd;
	ret = vhost_call(vs, VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", &f);
	if (!ret) {
		vs->wired_call[q] = fd;
		vs->rewires++;
	}
	return ret;
}

/* Queue q's ring to vhost: size, base, addresses (host pointers of the checked ring
 * placement), kick and call. 0 or -errno (logged). */
static int vsock_vring_setup(struct virtio_vsock *vs, unsigned q)
{
	struct virtio_dev *vd = vs->vd;
	struct virtq *vq = virtio_queue(vd, q);
	uint64_t n = vq->size;
	struct vhost_vring_state num = { .index = q, .num = vq->size }, base = { .index = q, .num = 0 };
	struct vhost_vring_file kick = { .index = q, .fd = vd->queues[q].kick_fd };
	void *desc = guest_mem_ptr(vd->mem, vq->desc_gpa, 16 * n);
	void *avail = guest_mem_ptr(vd->mem, vq->avail_gpa, 6 + 2 * n);
	void *used = guest_mem_ptr(vd->mem, vq->used_gpa, 6 + 8 * n);
	struct vhost_vring_addr addr = { .index = q };
	int ret;

	if (!vd->queues[q].enabled || !desc || !avail || !used)
		return -EINVAL;
	addr.desc_user_addr = (uint64_t)(uintptr_t)desc;
	addr.avail_user_addr = (uint64_t)(uintptr_t)avail;
	addr.used_user_addr = (uint64_t)(uintptr_t)used;
	vs->wired_call[q] = -1;
	ret = vhost_call(vs, VHOST_SET_VRING_NUM, "VHOST_SET_VRING_NUM", &num);
	if (!ret)
		ret = vhost_call(vs, VHOST_SET_VRING_BASE, "VHOST_SET_VRING_BASE", &base);
	if (!ret)
		ret = vhost_call(vs, VHOST_SET_VRING_ADDR, "VHOST_SET_VRING_ADDR", &addr);
	if (!ret)
		ret = vhost_call(vs, VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", &kick);
	if (!ret)
		ret = vsock_wire_call(vs, q);
	return ret;
}

/* DRIVER_OK: vhost takes the negotiated features and the rings, then runs (lock held). */
static void vsock_start(struct virtio_vsock *vs)
{
	struct virtio_dev *vd = vs->vd;
	uint64_t features = vd->driver_features & vs->vhost_features;
	int running = 1, ret;

	ret = vhost_call(vs, VHOST_SET_FEATURES, "VHOST_SET_FEATURES", &features);
	for (unsigned q = 0; !ret && q < VSOCK_NR_VHOST; q++) {
		ret = vsock_vring_setup(vs, q);
		if (ret == -EINVAL && !vd->queues[q].enabled) {
			virtio_needs_reset(vd, "rx or tx queue not enabled at DRIVER_OK");
			return;
		}
	}
	if (!ret)
		ret = vhost_call(vs, VHOST_VSOCK_SET_RUNNING, "VHOST_VSOCK_SET_RUNNING 1", &running);
	if (ret) {
		virtio_needs_reset(vd, "vhost-vsock refused the queues");
		return;
	}
	vs->running = true;
}

static void vsock_stop(struct virtio_vsock *vs)
{
	int running = 0;

	if (!vs->running)
		return;
	/* vhost flushes its workers before it returns: no ring access after this. */
	vhost_call(vs, VHOST_VSOCK_SET_RUNNING, "VHOST_VSOCK_SET_RUNNING 0", &running);
	vs->running = false;
}

static void vsock_status_changed(void *dev)
{
	struct virtio_vsock *vs = dev;
	uint8_t st = vs->vd->status;

	/* The kernel writes guest memory for us: not without Bus Master Enable (PCI 3.0, 6.2.2). */
	if (!vs->running && (st & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_NEEDS_RESET) &&
	    virtio_dma_allowed(vs->vd))
		vsock_start(vs);
	else if (vs->running && (st & VIRTIO_STATUS_NEEDS_RESET))
		vsock_stop(vs);
}

static void vsock_irqs_changed(void *dev)
{
	struct virtio_vsock *vs = dev;

	/* Bus Master cleared under a running device (the same config write calls us): the rings
	 * stop, as the core stops the queues it serves itself. */
	if (vs->running && !virtio_dma_allowed(vs->vd)) {
		virtio_needs_reset(vs->vd, "bus mastering cleared while vhost-vsock runs");
		return;
	}
	if (!vs->running)
		vsock_status_changed(vs); /* DRIVER_OK came before Bus Master Enable */
	for (unsigned q = 0; vs->running && q < VSOCK_NR_VHOST; q++)
		vsock_wire_call(vs, q);
}

static void vsock_reset(void *dev)
{
	vsock_stop(dev);
}

/* Only the event queue is ours: its buffers stay in the ring until an event needs one. */
static void vsock_queue_notify(void *dev, unsigned q)
{
	struct virtio_vsock *vs = dev;

	if (q == VSOCK_EVENT)
		vs->event_kicks++;
}

/* vhost signalled our call eventfd for queue q (I/O thread; it read the eventfd). */
static void vsock_called(void *arg)
{
	struct vsock_call *c = arg;
	struct virtio_dev *vd = c->vs->vd;

	pthread_mutex_lock(&vd->lock);
	c->vs->call_signals++;
	if (vd->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_queue_signal(vd, c->q);
	pthread_mutex_unlock(&vd->lock);
}

static int vsock_watch(void *dev, struct iothread *io)
{
	struct virtio_vsock *vs = dev;
	int ret = 0;

	for (unsigned q = 0; !ret && q < VSOCK_NR_VHOST; q++)
		ret = iothread_watch(io, vs->call[q].fd, vsock_called, &vs->call[q]);
	return ret;
}

static void vsock_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	uint8_t cfg[VSOCK_CFG_SIZE];

	le_store(cfg, 8, ((struct virtio_vsock *)dev)->cid);
	memcpy(buf, cfg + off, len);
}

static void vsock_destroy(void *dev)
{
	struct virtio_vsock *vs = dev;

	if (vs->vhost_fd >= 0) {
		vsock_stop(vs);
		close(vs->vhost_fd);
	}
	for (unsigned q = 0; q < VSOCK_NR_VHOST; q++)
		if (vs->call[q].fd >= 0)
			close(vs->call[q].fd);
	free(vs);
}

static void vsock_report(void *dev, struct emit *e)
{
	const struct virtio_vsock *vs = dev;

	emit_u64(e, "cid", vs->cid);
	emit_str(e, "backend", "vhost-vsock");
	emit_bool(e, "running", vs->running);
	emit_u64(e, "event_kicks", vs->event_kicks);
	emit_u64(e, "events_sent", vs->events_sent);
	emit_u64(e, "call_signals", vs->call_signals);
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.class_code = 0x028000, /* network controller, other */
	.nr_queues = 3,
	.queue_size = VSOCK_QUEUE_SIZE,
	.config_size = VSOCK_CFG_SIZE,
	.config_read = vsock_config_read,
	.queue_notify = vsock_queue_notify,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
	.report = vsock_report,
	.watch = vsock_watch,
	.status_changed = vsock_status_changed,
	.irqs_changed = vsock_irqs_changed,
};

bool virtio_vsock_is(const struct virtio_dev *vd)
{
	return vd->ops == &vsock_ops;
}

int virtio_vsock_transport_reset(struct virtio_dev *vd)
{
	struct virtio_vsock *vs = vd->dev;
	struct virtq_chain c;
	uint8_t ev[4];
	int ret;

	pthread_mutex_lock(&vd->lock);
	ret = virtio_queue_pop(vd, VSOCK_EVENT, &c);
	if (ret < 0) {
		virtio_needs_reset(vd, "bad event chain");
	} else if (ret == 1) {
		/* struct virtio_vsock_event: le32 id (5.10.6.6). */
		le_store(ev, 4, VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
		if (c.in_len < sizeof(ev) || virtq_chain_write(virtio_queue(vd, VSOCK_EVENT), &c, 0, ev, sizeof(ev))) {
			virtq_push(virtio_queue(vd, VSOCK_EVENT), c.head, 0);
			ret = -EINVAL;
		} else {
			virtq_push(virtio_queue(vd, VSOCK_EVENT), c.head, sizeof(ev));
			vs->events_sent++;
		}
		virtio_queue_interrupt(vd, VSOCK_EVENT);
	}
	pthread_mutex_unlock(&vd->lock);
	return ret;
}

/* Open the vhost device; the two common failures get the module's name. */
static int vsock_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), err;

	if (fd >= 0)
		return fd;
	err = errno;
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		log_err("vsock: %s: %s (load the vhost_vsock module: modprobe vhost_vsock)", path, strerror(err));
	else if (err == EACCES || err == EPERM)
		log_err("vsock: %s: %s (the vhost_vsock module's device: give this user read-write access)", path,
			strerror(err));
	else
		log_err("vsock: %s: %s", path, strerror(err));
	return -err;
}

/* Owner, features, guest RAM, CID: what vhost needs before any ring (linux/vhost.h). */
static int vsock_vhost_setup(struct virtio_vsock *vs, const struct guest_mem *mem)
{
	/* struct vhost_memory with one region: a flexible array member, so built in a buffer. */
	union {
		struct vhost_memory m;
		uint8_t bytes[sizeof(struct vhost_memory) + sizeof(struct vhost_memory_region)];
	} table = { 0 };
	void *hva = guest_mem_ptr(mem, mem->gpa, mem->size);
	uint64_t cid = vs->cid;
	int ret;

	if (!hva)
		return -EINVAL;
	table.m.nregions = 1;
	table.m.regions[0] = (struct vhost_memory_region){ .guest_phys_addr = mem->gpa, .memory_size = mem->size,
							   .userspace_addr = (uint64_t)(uintptr_t)hva };
	ret = vhost_call(vs, VHOST_SET_OWNER, "VHOST_SET_OWNER", NULL);
	if (!ret)
		ret = vhost_call(vs, VHOST_GET_FEATURES, "VHOST_GET_FEATURES", &vs->vhost_features);
	if (!ret)
		ret = vhost_call(vs, VHOST_SET_MEM_TABLE, "VHOST_SET_MEM_TABLE", &table);
	if (ret)
		return ret;
	if (ioctl(vs->vhost_fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0) {
		ret = -errno;
		if (ret == -EADDRINUSE)
			log_err("vsock: CID %" PRIu64 " is in use by another VM on this host", vs->cid);
		else
			log_err("vsock: VHOST_VSOCK_SET_GUEST_CID %" PRIu64 ": %s", vs->cid, strerror(-ret));
	}
	return ret;
}

int virtio_vsock_create(struct virtio_host *h, const struct virtio_vsock_params *p, struct virtio_dev **out)
{
	struct virtio_vsock *vs;
	uint64_t features = 0;
	int ret;

	if (!vsock_cid_valid(p->cid)) {
		log_err("vsock: CID %" PRIu64 " is reserved; use %llu to %llu", p->cid, VSOCK_CID_MIN, VSOCK_CID_MAX);
		return -EINVAL;
	}
	if (!(vs = calloc(1, sizeof(*vs))))
		return -ENOMEM;
	vs->cid = p->cid;
	vs->call[0].fd = vs->call[1].fd = -1;
	vs->vhost_fd = vsock_open(p->vhost_path ? p->vhost_path : VSOCK_VHOST_DEV);
	if (vs->vhost_fd < 0) {
		ret = vs->vhost_fd;
		goto fail;
	}
	for (unsigned q = 0; q < VSOCK_NR_VHOST; q++) {
		vs->call[q] = (struct vsock_call){ vs, q, virtio_new_eventfd() };
		vs->wired_call[q] = -1;
		if (vs->call[q].fd < 0) {
			ret = vs->call[q].fd;
			goto fail;
		}
	}
	ret = vsock_vhost_setup(vs, h->env->mem);
	if (ret)
		goto fail;
	if (vs->vhost_features & (1ULL << VIRTIO_VSOCK_F_SEQPACKET))
		features |= 1ULL << VIRTIO_VSOCK_F_SEQPACKET;
	ret = virtio_create(h, &vsock_ops, vs, features, &vs->vd);
	if (ret)
		goto fail;
	vs->vd->kernel_queues = 1u << VSOCK_RX | 1u << VSOCK_TX;
	*out = vs->vd;
	return 0;
fail:
	vsock_destroy(vs);
	return ret;
}
