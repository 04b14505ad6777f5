/* console.c - virtio-console (virtio 1.2, section 5.3), one port: hvc0 on stdin/stdout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../console.h"
#include "../util.h"
#include "../vm.h"
#include "devices.h"
#include "virtio.h"

#define VIRTIO_ID_CONSOLE 3
#define CONSOLE_RX 0  /* receiveq: host to guest */
#define CONSOLE_TX 1  /* transmitq: guest to host */

struct virtio_console {
	struct virtio_dev *vd;
	struct console *out;
	struct virtq_chain chain;
};

/* Write a readable chain to the output, segment by segment. */
static void console_transmit(struct virtio_console *con, const struct virtq_chain *c)
{
	for (unsigned i = 0; i < c->nr_out; i++) {
		void *p = gpa_to_hva(con->vd->vm, c->bufs[i].gpa, c->bufs[i].len);

		if (p && con->out)
			console_output(con->out, p, c->bufs[i].len);
	}
}

static void console_queue_notify(void *dev, unsigned q)
{
	struct virtio_console *con = dev;
	struct virtq *vq = virtio_queue(con->vd, q);
	int ret;

	if (q != CONSOLE_TX)
		return; /* new receive buffers: used when input arrives */
	while ((ret = virtio_queue_pop(con->vd, q, &con->chain)) == 1) {
		console_transmit(con, &con->chain);
		virtq_push(vq, con->chain.head, 0);
	}
	if (ret < 0)
		virtio_needs_reset(con->vd, "bad transmit chain");
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

int virtio_console_create(struct vm *vm, struct console *out, struct virtio_dev **vdp)
{
	struct virtio_console *con = calloc(1, sizeof(*con));
	int ret;

	if (!con)
		return -ENOMEM;
	con->out = out;
	ret = virtio_create(vm, &console_ops, con, 0, &con->vd);
	if (ret) {
		free(con);
		return ret;
	}
	*vdp = con->vd;
	return 0;
}
