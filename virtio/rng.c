/* rng.c - virtio-rng (virtio 1.2, section 5.4): each buffer filled from getrandom(). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "../util.h"
#include "devices.h"
#include "virtio.h"

#define VIRTIO_ID_ENTROPY 4
/* Bound one request so a huge guest buffer cannot stall the I/O thread. */
#define RNG_MAX_PER_REQUEST 65536

struct virtio_rng {
	struct virtio_dev *vd;
	struct virtq_chain chain;
	uint64_t bytes_read;    /* handed to the guest, for `stat` and the report */
};

/* Fill the chain's writable segments; returns bytes written. */
static uint32_t rng_fill(struct virtio_rng *rng, const struct virtq_chain *c)
{
	uint8_t buf[4096];
	uint64_t done = 0, want = c->in_len < RNG_MAX_PER_REQUEST ? c->in_len : RNG_MAX_PER_REQUEST;

	while (done < want) {
		size_t n = want - done < sizeof(buf) ? want - done : sizeof(buf);
		ssize_t got = getrandom(buf, n, GRND_NONBLOCK);

		if (got <= 0 || virtq_chain_write(virtio_queue(rng->vd, 0), c, done, buf, got))
			break;
		done += got;
	}
	rng->bytes_read += done;
	return done;
}

static void rng_queue_notify(void *dev, unsigned q)
{
	struct virtio_rng *rng = dev;
	struct virtq *vq = virtio_queue(rng->vd, q);
	int ret;

	while ((ret = virtio_queue_pop(rng->vd, q, &rng->chain)) == 1)
		virtq_push(vq, rng->chain.head, rng_fill(rng, &rng->chain));
	if (ret < 0)
		virtio_needs_reset(rng->vd, "bad buffer chain");
	virtio_queue_interrupt(rng->vd, q);
}

static void rng_reset(void *dev)
{
	(void)dev; /* no state beyond the queue */
}

static void rng_io_stats(void *dev, struct virtio_io_stats *out)
{
	out->bytes_read = ((struct virtio_rng *)dev)->bytes_read;
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.class_code = 0x00ff00,
	.nr_queues = 1,
	.queue_size = 64,
	.queue_notify = rng_queue_notify,
	.reset = rng_reset,
	.destroy = free,
	.io_stats = rng_io_stats,
};

int virtio_rng_create(struct virtio_host *h, struct virtio_dev **out)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	int ret;

	if (!rng)
		return -ENOMEM;
	ret = virtio_create(h, &rng_ops, rng, 0, &rng->vd);
	if (ret) {
		free(rng);
		return ret;
	}
	*out = rng->vd;
	return 0;
}
