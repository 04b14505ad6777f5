/* console.c - virtio-console (virtio 1.2, section 5.3), one port: hvc0 on stdin/stdout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/env.h"
#include "../mem.h"
#include "../util.h"
#include "devices.h"
#include "virtio.h"

#define VIRTIO_ID_CONSOLE 3
#define CONSOLE_RX 0  /* receiveq: host to guest */
#define CONSOLE_TX 1  /* transmitq: guest to host */

struct virtio_console {
	struct virtio_dev *vd;
	const struct console_sink *out;
	struct virtq_chain chain;
	struct ratelimit tx_rl; /* "transmit buffer" lines of this device */
};

/* A driver chooses how much a transmit chain says: 128 chains of 128 descriptors each
 * covering all of RAM would hold the one I/O thread (and every disk) for hours and fill the
 * log's disk. One chain gives the console at most CONSOLE_TX_MAX_CHAIN bytes (hvc sends at
 * most a page per buffer; the rest is dropped, said rate-limited), and one notification at
 * most CONSOLE_TX_BUDGET, after which the queue is kicked again so other work goes first. */
#define CONSOLE_TX_MAX_CHAIN (64 * 1024)
#define CONSOLE_TX_BUDGET    (256 * 1024)
#define CONSOLE_TX_CHAIN_COST 256

/* Write a readable chain to the output, segment by segment, up to the chain bound; the
 * bytes written. */
static uint64_t console_transmit(struct virtio_console *con, const struct virtq_chain *c)
{
	uint64_t left = CONSOLE_TX_MAX_CHAIN;

	for (unsigned i = 0; i < c->nr_out && left; i++) {
		uint64_t n = c->bufs[i].len < left ? c->bufs[i].len : left;
		void *p = guest_mem_ptr(con->vd->mem, c->bufs[i].gpa, n);

		if (p && con->out)
			console_sink_write(con->out, p, n);
		left -= n;
	}
	if (c->out_len > CONSOLE_TX_MAX_CHAIN)
		log_ratelimited_obj(&con->tx_rl,
				    "virtio-console: a transmit buffer of %llu bytes; only the first %u written",
				    (unsigned long long)c->out_len, CONSOLE_TX_MAX_CHAIN);
	return CONSOLE_TX_MAX_CHAIN - left;
}

static void console_queue_notify(void *dev, unsigned q)
{
	struct virtio_console *con = dev;
	struct virtq *vq = virtio_queue(con->vd, q);
	uint64_t budget = CONSOLE_TX_BUDGET;
	int ret = 0;

	if (q != CONSOLE_TX)
		return; /* new receive buffers: used when input arrives */
	while (budget && (ret = virtio_queue_pop(con->vd, q, &con->chain)) == 1) {
		/* Each chain costs something, empty ones too: a driver refilling the ring from
		 * another vCPU cannot keep this loop going. */
		uint64_t n = console_transmit(con, &con->chain) + CONSOLE_TX_CHAIN_COST;

		budget -= n < budget ? n : budget;
		virtq_push(vq, con->chain.head, 0);
	}
	if (ret < 0)
		virtio_needs_reset(con->vd, "bad transmit chain");
	else if (!budget)
		virtio_queue_yield(con->vd, q); /* maybe more: after the others */
	virtio_queue_interrupt(con->vd, q);
}

size_t virtio_console_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_dev *vd = opaque;
	struct virtio_console *con = vd->dev;
	struct virtq *vq;
	size_t n = 0;
	int ret;

	pthread_mutex_lock(&vd->lock);
	vq = virtio_queue(vd, CONSOLE_RX);
	/* Without Bus Master Enable the input waits (PCI 3.0, 6.2.2): the guest may have
	 * handed the receive buffers' memory to something else (kexec, shutdown). */
	if (virtio_queue_live(vd, CONSOLE_RX)) {
		ret = virtio_queue_pop(vd, CONSOLE_RX, &con->chain);
		if (ret == 1) {
			n = len < con->chain.in_len ? len : con->chain.in_len;
			if (virtq_chain_write(vq, &con->chain, 0, buf, n))
				n = 0;
			virtq_push(vq, con->chain.head, n);
			virtio_queue_interrupt(vd, CONSOLE_RX);
		} else if (ret < 0) {
			virtio_needs_reset(vd, "bad receive chain");
		}
	}
	pthread_mutex_unlock(&vd->lock);
	return n;
}

static void console_reset(void *dev)
{
	(void)dev;
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000, /* communication controller, other */
	.nr_queues = 2,
	.queue_size = 128,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.destroy = free,
};

int virtio_console_create(struct virtio_host *h, const struct console_sink *out, struct virtio_dev **vdp)
{
	struct virtio_console *con = calloc(1, sizeof(*con));
	int ret;

	if (!con)
		return -ENOMEM;
	con->out = out;
	ret = virtio_create(h, &console_ops, con, 0, &con->vd);
	if (ret) {
		free(con);
		return ret;
	}
	*vdp = con->vd;
	return 0;
}
