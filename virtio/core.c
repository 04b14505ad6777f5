/* core.c - what every virtio transport shares: device status and reset, feature
 * negotiation, queue kicks from KVM_IOEVENTFD, and the level interrupt line with its
 * resampling irqfd (virtio 1.2, chapters 2-3). pci.c and mmio.c supply the registers. */
#include "virtio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../irqchip/irq.h"
#include "../util.h"
#include "../devices/device.h"
#include "../devices/env.h"
#include "../emit.h"
#include "iothread.h"
#include "transport.h"

/* ---- interrupts ---- */

void virtio_line_raise(struct virtio_dev *vd, uint8_t isr_bits)
{
	vd->isr |= isr_bits;
	if (vd->transport->line_enabled && !vd->transport->line_enabled(vd))
		return;
	vd->interrupts++;
	irq_gsi_signal(vd->irq, vd->line.gsi, vd->line.fd);
}

void virtio_queue_interrupt(struct virtio_dev *vd, unsigned q)
{
	if (q >= vd->ops->nr_queues || !virtq_should_notify(&vd->queues[q].vq))
		return;
	vd->transport->interrupt(vd, q);
}

int virtio_queue_irqfd(struct virtio_dev *vd, unsigned q)
{
	if (q >= vd->ops->nr_queues || !vd->transport->queue_irqfd)
		return -1;
	return vd->transport->queue_irqfd(vd, q);
}

void virtio_queue_signal(struct virtio_dev *vd, unsigned q)
{
	if (q < vd->ops->nr_queues)
		vd->transport->interrupt(vd, q);
}

void virtio_irqs_changed(struct virtio_dev *vd)
{
	if (vd->ops->irqs_changed)
		vd->ops->irqs_changed(vd->dev);
}

void virtio_needs_reset(struct virtio_dev *vd, const char *why)
{
	unsigned i;

	if (vd->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	for (i = 0; i < ARRAY_SIZE(vd->reset_reports) - 1; i++)
		if (!vd->reset_reports[i].why || vd->reset_reports[i].why == why)
			break; /* the last slot is shared by any reasons past the table */
	vd->reset_reports[i].why = why;
	if (ratelimit_ok(&vd->reset_reports[i].rl))
		log_warn("%s: %s: DEVICE_NEEDS_RESET until the driver resets the device", vd->ops->name, why);
	vd->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* Every queue stops until the reset: no more chains are taken, and requests in flight
	 * complete without touching guest memory (virtq_pop and virtq_push refuse a broken
	 * queue). Without it a model that rejected a chain itself (blk: a head still in flight)
	 * went on pushing completions and, from its completion path, taking new chains. */
	for (unsigned q = 0; q < vd->ops->nr_queues; q++)
		vd->queues[q].vq.broken = true;
	vd->config_generation++;
	vd->transport->interrupt(vd, VIRTIO_CONFIG_IRQ);
	/* A kernel backend (vhost) works the rings without us: it must stop too. */
	if (vd->ops->status_changed)
		vd->ops->status_changed(vd->dev);
}

/* The guest EOId the level line: raise it again while the ISR still has work (I/O thread). */
static void line_resample(void *arg)
{
	struct virtio_dev *vd = arg;

	pthread_mutex_lock(&vd->lock);
	if (vd->isr && vd->transport->line_in_use(vd) &&
	    (!vd->transport->line_enabled || vd->transport->line_enabled(vd)))
		irq_gsi_signal(vd->irq, vd->line.gsi, vd->line.fd);
	pthread_mutex_unlock(&vd->lock);
}

/* ---- queue kicks ---- */

int virtio_ioeventfd(struct virtio_dev *vd, int fd, uint64_t addr, unsigned len, int64_t datamatch,
		     bool assign)
{
	struct kvm_ioeventfd ev = { .addr = addr, .len = len, .fd = fd,
				    .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN };

	if (datamatch >= 0) {
		ev.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		ev.datamatch = datamatch;
	}
	if (ioctl(vd->env->vm_fd, KVM_IOEVENTFD, &ev) < 0) {
		int err = errno;

		/* The guest picks the addresses (BARs, queue enables): rate-limited. */
		log_ratelimited("%s: KVM_IOEVENTFD(0x%" PRIx64 "%s): %s", vd->ops->name, addr,
				assign ? "" : ", deassign", strerror(err));
		return -err;
	}
	return 0;
}

struct kick_watch {
	struct virtio_dev *vd;
	unsigned q;
};

bool virtio_dma_allowed(struct virtio_dev *vd)
{
	return !vd->transport->dma_allowed || vd->transport->dma_allowed(vd);
}

bool virtio_queue_live(struct virtio_dev *vd, unsigned q)
{
	return (vd->status & VIRTIO_STATUS_DRIVER_OK) && !(vd->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       q < vd->ops->nr_queues && vd->queues[q].enabled && virtio_dma_allowed(vd);
}

int virtio_queue_pop(struct virtio_dev *vd, unsigned q, struct virtq_chain *c)
{
	/* Every path that takes a chain asks first: kicks, a model's own completion path
	 * (blk takes waiting requests when a slot frees), host input. Without Bus Master
	 * Enable a chain's buffers may no longer be the device's (PCI 3.0, 6.2.2). */
	if (!virtio_queue_live(vd, q))
		return 0;
	return virtq_pop(&vd->queues[q].vq, c);
}

/* A queue kick, from KVM_IOEVENTFD or a notify write KVM did not catch (I/O thread). */
static void queue_kicked(void *arg)
{
	struct kick_watch *k = arg;
	struct virtio_dev *vd = k->vd;

	pthread_mutex_lock(&vd->lock);
	vd->kicks++;
	if (virtio_queue_live(vd, k->q))
		vd->ops->queue_notify(vd->dev, k->q);
	pthread_mutex_unlock(&vd->lock);
}

void virtio_kick(struct virtio_dev *vd, unsigned q)
{
	uint64_t one = 1;

	if (q < vd->ops->nr_queues)
		(void)!write(vd->queues[q].kick_fd, &one, sizeof(one));
}

void virtio_queue_yield(struct virtio_dev *vd, unsigned q)
{
	virtio_kick(vd, q);
}

/* ---- status, features, queues ---- */

void virtio_reset(struct virtio_dev *vd)
{
	vd->status = 0;
	vd->driver_features = 0;
	vd->device_feature_select = vd->driver_feature_select = 0;
	vd->queue_select = 0;
	vd->isr = 0;
	for (unsigned q = 0; q < vd->ops->nr_queues; q++) {
		struct virtio_queue_state *qs = &vd->queues[q];

		virtq_reset(&qs->vq);
		qs->vq.size = vd->ops->queue_size;
		qs->enabled = false;
	}
	if (vd->transport->reset)
		vd->transport->reset(vd);
	vd->transport->kicks_update(vd);
	vd->ops->reset(vd->dev);
}

bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return bit < 64 && (vd->driver_features & (1ULL << bit));
}

struct virtq *virtio_queue(struct virtio_dev *vd, unsigned q)
{
	return q < vd->ops->nr_queues ? &vd->queues[q].vq : NULL;
}

uint8_t virtio_status_read(struct virtio_dev *vd)
{
	/* 4.1.4.3.2, 4.2.2.1: the driver waits for 0 after a reset; not before our I/O stopped. */
	if (!vd->status && vd->ops->busy && vd->ops->busy(vd->dev))
		return VIRTIO_STATUS_ACKNOWLEDGE;
	return vd->status;
}

/* The status bits a driver may set (2.1): DEVICE_NEEDS_RESET is the device's alone. */
#define VIRTIO_STATUS_DRIVER_BITS (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | \
				   VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

void virtio_status_write(struct virtio_dev *vd, uint8_t val)
{
	if (val == 0) {
		virtio_reset(vd);
		return;
	}
	/* 2.1.2: "The driver MUST NOT set DEVICE_NEEDS_RESET" (nor a reserved bit). Kept, a
	 * driver-set NEEDS_RESET made virtio_needs_reset a no-op, so a chain the device
	 * refused no longer stopped the queue. */
	val &= VIRTIO_STATUS_DRIVER_BITS;
	/* 2.1.2: the driver never clears a status bit; only a reset does. Clearing DRIVER_OK or
	 * FEATURES_OK would thaw the frozen queue registers and features without the reset that
	 * drops requests in flight: refused, and the device needs that reset. */
	if (vd->status & ~val & ~VIRTIO_STATUS_NEEDS_RESET) {
		virtio_needs_reset(vd, "device status bit cleared without a reset");
		return;
	}
	/* FEATURES_OK only for a subset of what we offer that includes VERSION_1 (2.2, 6.1). */
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
		if ((vd->driver_features & ~vd->device_features) ||
		    !virtio_has_feature(vd, VIRTIO_F_VERSION_1))
			val &= ~VIRTIO_STATUS_FEATURES_OK;
		else
			for (unsigned q = 0; q < vd->ops->nr_queues; q++)
				vd->queues[q].vq.event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX);
	}
	/* 3.1.1: DRIVER_OK only after the features were accepted. */
	if (!(val & VIRTIO_STATUS_FEATURES_OK))
		val &= ~VIRTIO_STATUS_DRIVER_OK;
	val |= vd->status & VIRTIO_STATUS_NEEDS_RESET;
	if (val != vd->status) {
		vd->status = val;
		if (vd->ops->status_changed)
			vd->ops->status_changed(vd->dev);
	}
}

uint32_t virtio_features_read(const struct virtio_dev *vd, bool driver)
{
	uint32_t sel = driver ? vd->driver_feature_select : vd->device_feature_select;
	uint64_t f = driver ? vd->driver_features : vd->device_features;

	return sel < 2 ? (uint32_t)(f >> (32 * sel)) : 0;
}

void virtio_features_write(struct virtio_dev *vd, uint32_t val)
{
	/* Frozen once FEATURES_OK was accepted (3.1.1). */
	if (vd->driver_feature_select < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK))
		virtio_set_half(&vd->driver_features, vd->driver_feature_select == 1, val);
}

void virtio_set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffULL) | (uint64_t)val << 32 : (*v & ~0xffffffffULL) | val;
}

bool virtio_queue_config_frozen(struct virtio_dev *vd)
{
	/* 3.1.1: queues are set up before DRIVER_OK. Rewriting a live ring's addresses would let
	 * the device chase memory the driver no longer owns (cf. CVE-2026-5747): refuse. */
	if (!(vd->status & VIRTIO_STATUS_DRIVER_OK))
		return false;
	virtio_needs_reset(vd, "queue register written after DRIVER_OK");
	return true;
}

struct virtio_queue_state *virtio_selected_queue(struct virtio_dev *vd)
{
	return vd->queue_select < vd->ops->nr_queues ? &vd->queues[vd->queue_select] : NULL;
}

void virtio_queue_enable(struct virtio_dev *vd, struct virtio_queue_state *qs)
{
	/* virtq_enable checks size and ring placement; a bad queue stays disabled. */
	if (!qs->enabled && virtq_enable(&qs->vq) == 0) {
		qs->enabled = true;
		vd->transport->kicks_update(vd);
	}
}

/* ---- creation ---- */

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

struct virtio_dev *virtio_dev_alloc(const struct dev_env *env, const struct virtio_dev_ops *ops, void *dev,
				    uint64_t features, const struct virtio_transport *transport)
{
	struct virtio_dev *vd;

	if (ops->nr_queues > VIRTIO_MAX_QUEUES || !(vd = calloc(1, sizeof(*vd))))
		return NULL;
	vd->env = env;
	vd->mem = env->mem;
	vd->irq = env->irq;
	vd->ops = ops;
	vd->dev = dev;
	vd->transport = transport;
	vd->device_features = ops->features | features | 1ULL << VIRTIO_F_VERSION_1 |
			      1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;
	vd->line.fd = vd->line.resample_fd = -1;
	pthread_mutex_init(&vd->lock, NULL);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vd->queues[q].kick_fd = -1;
		vd->queues[q].vq.mem = env->mem;
	}
	return vd;
}

int virtio_line_setup(struct virtio_dev *vd, uint32_t intid)
{
	struct irq_route line = { .type = ROUTE_SPI, .intid = intid };
	int ret;

	for (unsigned q = 0; q < vd->ops->nr_queues; q++)
		if ((vd->queues[q].kick_fd = new_eventfd()) < 0)
			return vd->queues[q].kick_fd;
	if ((vd->line.fd = new_eventfd()) < 0 || (vd->line.resample_fd = new_eventfd()) < 0)
		return -errno;
	ret = irq_gsi_alloc(vd->irq, &vd->line.gsi);
	if (!ret)
		ret = irq_route_set(vd->irq, vd->line.gsi, &line);
	if (!ret)
		ret = irq_routing_commit(vd->irq);
	if (!ret)
		ret = irqfd_attach(vd->irq, vd->line.fd, vd->line.gsi, vd->line.resample_fd);
	return ret;
}

int virtio_new_eventfd(void)
{
	return new_eventfd();
}

int virtio_watch(struct virtio_dev *vd, struct iothread *io)
{
	struct kick_watch *k = calloc(vd->ops->nr_queues, sizeof(*k));
	int ret = k ? 0 : -ENOMEM;

	vd->kick_watches = k;
	for (unsigned q = 0; !ret && q < vd->ops->nr_queues; q++) {
		k[q] = (struct kick_watch){ vd, q };
		if (!(vd->kernel_queues & (1u << q)))
			ret = iothread_watch(io, vd->queues[q].kick_fd, queue_kicked, &k[q]);
	}
	if (!ret)
		ret = iothread_watch(io, vd->line.resample_fd, line_resample, vd);
	if (!ret && vd->ops->watch)
		ret = vd->ops->watch(vd->dev, io);
	return ret;
}

void virtio_io_stats(const struct virtio_dev *vd, struct virtio_io_stats *out)
{
	*out = (struct virtio_io_stats){ 0 };
	if (vd->ops->io_stats)
		vd->ops->io_stats(vd->dev, out);
}

void virtio_destroy(struct virtio_dev *vd)
{
	if (!vd)
		return;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (vd->queues[q].kick_fd >= 0)
			close(vd->queues[q].kick_fd);
	if (vd->line.fd >= 0)
		close(vd->line.fd);
	if (vd->line.resample_fd >= 0)
		close(vd->line.resample_fd);
	vd->transport->destroy(vd);
	free(vd->kick_watches);
	if (vd->dev)
		vd->ops->destroy(vd->dev);
	free(vd);
}

static void virtio_class_destroy(void *dev)
{
	virtio_destroy(dev);
}

/* The model's name and counters (the driver's kicks, our interrupts, the model's I/O), then
 * where the transport put it. Counters are read without the lock: a report is a snapshot. */
static void virtio_report(void *dev, struct emit *e)
{
	const struct virtio_dev *vd = dev;
	struct virtio_io_stats io;

	virtio_io_stats(vd, &io);
	emit_str(e, "name", vd->ops->name);
	emit_u64(e, "kicks", vd->kicks);
	emit_u64(e, "interrupts", vd->interrupts);
	emit_u64(e, "reads", io.reads);
	emit_u64(e, "writes", io.writes);
	emit_u64(e, "flushes", io.flushes);
	emit_u64(e, "errors", io.errors);
	emit_u64(e, "bytes_read", io.bytes_read);
	emit_u64(e, "bytes_written", io.bytes_written);
	if (vd->ops->report)
		vd->ops->report(vd->dev, e);
	if (vd->transport && vd->transport->report)
		vd->transport->report(vd, e);
}

const struct device_class virtio_device_class = {
	.name = "virtio",
	.destroy = virtio_class_destroy,
	.report = virtio_report,
};
