/* net.c - virtio-net (virtio 1.2, section 5.1): queue pairs on packet backends (one per
 * pair), the data path on the I/O thread.
 *
 * Offered: VIRTIO_NET_F_MAC, _STATUS (link always up), _MTU (1500), VERSION_1 (so the
 * header is the 12-byte virtio_net_hdr_v1 with num_buffers). No checksum or segmentation
 * offload, no MRG_RXBUF, no control queue: every frame is complete and checksummed, and it
 * fits one receive chain. The backend's header is kept out of the guest's hands both ways:
 * on receive it is overwritten with zeros and num_buffers 1 (5.1.6.4: flags 0 without
 * GUEST_CSUM), on transmit a zero header of the host's replaces the driver's (5.1.6.2: with
 * no offload negotiated only its size means something).
 *
 * Frames move between the backend and guest buffers with readv/writev straight on the
 * buffers' iovecs (no copy). Receive: the I/O thread polls the backend's fd
 * (iothread_watch_input) and reads while there are receive buffers; a chain taken with no
 * frame waiting is kept for the next frame. Transmit: each kick of transmitq1 sends what is
 * available. Both stop after a budget and come back through virtio_queue_yield.
 *
 * Multiqueue (5.1.6.5.5): with more than one pair the device offers VIRTIO_NET_F_MQ (config
 * max_virtqueue_pairs) and VIRTIO_NET_F_CTRL_VQ, the control queue after the last pair
 * (virtqueue 2N). Only pair 0 is used after a reset; VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET picks
 * 1..N. Receive stops on the pairs past that, and their backend queues are detached so the
 * host steers every frame to a pair in use. One pair: no control queue, as before.
 *
 * vhost-net (net_vhost.c): each pair's rings and tap fd go to the kernel at DRIVER_OK; the
 * I/O thread then watches neither the pair's kicks (vd->kernel_queues) nor its tap, only
 * the relay call fds used while no live MSI-X vector can take vhost's interrupt. The
 * per-pair packet counters stay 0 (the kernel's are not ours); the control queue stays
 * ours. */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/env.h"
#include "../util.h"
#include "iothread.h"
#include "net_priv.h"
#include "virtio.h"

static const uint8_t zero_hdr[NET_HDR_LEN];

/* A receive chain the device may fill: device-writable only, a whole frame's room. */
static bool net_rx_chain_ok(const struct virtq_chain *c)
{
	return c->nr_out == 0 && c->in_len >= NET_MIN_RX_BUF;
}

/* Frames from the backend into receive chains, up to the budget (lock held). */
static void net_rx(struct net_qpair *qp)
{
	struct virtio_dev *vd = qp->net->vd;
	struct virtq *vq = virtio_queue(vd, qp->rx_q);
	/* num_buffers (le16) is 1: without MRG_RXBUF each frame is one chain (5.1.6.4). */
	static const uint8_t rx_hdr[NET_HDR_LEN] = { [10] = 1 };
	unsigned budget = NET_BUDGET;
	bool pushed = false;

	/* 5.1.6.5.5: no frames on receive queues past the pairs the driver set. */
	while (budget && qp - qp->net->qp < qp->net->active_pairs && virtio_queue_live(vd, qp->rx_q)) {
		struct virtq_chain *c = &qp->rx_chain;
		uint64_t room;
		ssize_t n;
		int ret, niov;

		if (!qp->rx_held) {
			ret = virtio_queue_pop(vd, qp->rx_q, c);
			if (ret < 0)
				virtio_needs_reset(vd, "bad receive chain");
			if (ret <= 0)
				break; /* no buffer: the driver's next kick of receiveq brings us back */
			if (!net_rx_chain_ok(c)) {
				/* Read-only or too short for a frame: returned empty, counted. */
				qp->rx.drops++;
				log_ratelimited_obj(&qp->rx_rl, "virtio-net: receive buffer of %llu bytes%s refused (need %u)",
						    (unsigned long long)c->in_len, c->nr_out ? " with read-only parts" : "",
						    NET_MIN_RX_BUF);
				virtq_push(vq, c->head, 0);
				pushed = true;
				budget--; /* a driver re-offering bad chains must not hold the I/O thread */
				continue;
			}
			qp->rx_held = true;
		}
		room = c->in_len < NET_HDR_LEN + NET_MAX_FRAME ? c->in_len : NET_HDR_LEN + NET_MAX_FRAME;
		niov = virtq_chain_iov(vq, c, true, 0, room, qp->iov, VIRTQ_MAX_CHAIN);
		if (niov < 0) {
			qp->rx_held = false;
			virtio_needs_reset(vd, "receive chain outside guest memory");
			break;
		}
		/* One byte of the host's after the chain: a frame larger than the chain spills
		 * into it, so a truncated frame is told from one that fits exactly (tun returns
		 * the bytes it copied, not the frame's length). */
		qp->iov[niov++] = (struct iovec){ &qp->rx_spill, 1 };
		n = qp->be->ops->recv(qp->be, qp->iov, niov);
		if (n == -EAGAIN)
			break; /* the chain waits for the next frame (the backend's poll) */
		budget--;
		if (n < 0 || (uint64_t)n > room || n < NET_HDR_LEN + 14) {
			/* Larger than the chain (it reached the spill byte), a runt, or a backend
			 * error: the frame is gone, the chain kept for the next. */
			qp->rx.drops++;
			if (n < 0)
				log_ratelimited_obj(&qp->rx_rl, "virtio-net: %s: receive: %s", qp->be->desc, strerror((int)-n));
			else
				log_ratelimited_obj(&qp->rx_rl, "virtio-net: %s: a frame of %lld bytes dropped (receive buffer %llu)",
						    qp->be->desc, (long long)n - NET_HDR_LEN, (unsigned long long)room);
			if (n < 0 && n != -EINTR)
				break;
			continue;
		}
		virtq_chain_write(vq, c, 0, rx_hdr, sizeof(rx_hdr));
		qp->rx_held = false;
		virtq_push(vq, c->head, (uint32_t)n);
		pushed = true;
		qp->rx.packets++;
		qp->rx.bytes += n - NET_HDR_LEN;
	}
	if (pushed)
		virtio_queue_interrupt(vd, qp->rx_q);
	if (!budget)
		virtio_queue_yield(vd, qp->rx_q); /* maybe more frames: after the others */
}

/* One transmit chain to the backend: the host's zero header, then the frame as the driver
 * built it (readable segments from byte 12), never more. */
static void net_tx_one(struct net_qpair *qp, const struct virtq_chain *c)
{
	struct virtq *vq = virtio_queue(qp->net->vd, qp->tx_q);
	uint64_t frame = c->out_len >= NET_HDR_LEN ? c->out_len - NET_HDR_LEN : 0;
	ssize_t n;
	int niov;

	if (c->out_len < NET_HDR_LEN + 14 || frame > NET_MAX_FRAME) {
		qp->tx.drops++;
		log_ratelimited_obj(&qp->tx_rl, "virtio-net: transmit chain of %llu bytes dropped (a frame is %u to %u bytes after the %u-byte header)",
				    (unsigned long long)c->out_len, 14, NET_MAX_FRAME, NET_HDR_LEN);
		return;
	}
	qp->iov[0] = (struct iovec){ (void *)zero_hdr, NET_HDR_LEN };
	niov = virtq_chain_iov(vq, c, false, NET_HDR_LEN, frame, qp->iov + 1, VIRTQ_MAX_CHAIN);
	if (niov < 0) {
		qp->tx.drops++;
		return;
	}
	n = qp->be->ops->send(qp->be, qp->iov, niov + 1);
	if (n != (ssize_t)(NET_HDR_LEN + frame)) {
		qp->tx.drops++;
		log_ratelimited_obj(&qp->tx_rl, "virtio-net: %s: send: %s", qp->be->desc,
				    n < 0 ? strerror((int)-n) : "short write");
		return;
	}
	qp->tx.packets++;
	qp->tx.bytes += frame;
}

/* Every available transmit chain, up to the budget (lock held). */
static void net_tx(struct net_qpair *qp)
{
	struct virtio_dev *vd = qp->net->vd;
	struct virtq *vq = virtio_queue(vd, qp->tx_q);
	unsigned budget = NET_BUDGET;
	int ret = 0;

	while (budget && (ret = virtio_queue_pop(vd, qp->tx_q, &qp->tx_chain)) == 1) {
		net_tx_one(qp, &qp->tx_chain);
		virtq_push(vq, qp->tx_chain.head, 0); /* the device writes nothing into it */
		budget--;
	}
	if (ret < 0)
		virtio_needs_reset(vd, "bad transmit chain");
	else if (!budget)
		virtio_queue_yield(vd, qp->tx_q);
	virtio_queue_interrupt(vd, qp->tx_q);
}

/* Attach the backend queues of pairs [0, n) and detach the rest; n becomes active. */
static void net_set_active(struct virtio_net *net, unsigned n)
{
	for (unsigned i = 0; i < net->nr_pairs; i++) {
		struct net_backend *be = net->qp[i].be;
		int ret;

		if (!be->ops->queue_enable)
			continue;
		ret = be->ops->queue_enable(be, i < n);
		if (ret)
			log_ratelimited_obj(&net->ctrl_rl, "virtio-net: %s: %s queue %u: %s", be->desc,
					    i < n ? "attach" : "detach", i, strerror(-ret));
	}
	net->active_pairs = n;
}

/* Control commands: the readable part is class, command, data; the ack goes in the first
 * writable byte (5.1.6.5). A chain without a writable byte cannot be answered: returned
 * unused, logged. (lock held) */
/* The control queue's index (5.1.2): 2N with VIRTIO_NET_F_MQ negotiated, else 2. */
static unsigned net_ctrl_index(const struct virtio_net *net)
{
	return virtio_has_feature(net->vd, VIRTIO_NET_F_MQ) ? net->ctrl_q : 2;
}

static void net_ctrl(struct virtio_net *net, unsigned q)
{
	struct virtio_dev *vd = net->vd;
	struct virtq *vq = virtio_queue(vd, q);
	/* Without MQ negotiated no MQ command is valid (5.1.6.5.5). */
	unsigned max = virtio_has_feature(vd, VIRTIO_NET_F_MQ) ? net->nr_pairs : 0;
	struct virtq_chain *c = &net->ctrl_chain;
	unsigned budget = NET_BUDGET;
	int ret = 0;

	while (budget && (ret = virtio_queue_pop(vd, q, c)) == 1) {
		uint8_t cmd[8] = { 0 }, ack = VIRTIO_NET_ERR;
		size_t len = c->out_len < sizeof(cmd) ? (size_t)c->out_len : sizeof(cmd);
		unsigned pairs = 0;
		uint32_t written = 0;

		budget--;
		if (c->out_len <= sizeof(cmd) && virtq_chain_read(vq, c, 0, cmd, len) == 0)
			ack = net_ctrl_parse(cmd, len, max, &pairs);
		if (c->in_len < 1) {
			log_ratelimited_obj(&net->ctrl_rl, "virtio-net: control command with no room for its ack ignored");
		} else if (virtq_chain_write(vq, c, 0, &ack, 1) == 0) {
			written = 1;
			if (ack == VIRTIO_NET_OK)
				net_set_active(net, pairs);
		}
		if (ack == VIRTIO_NET_OK && written)
			net->ctrl_ok++;
		else
			net->ctrl_err++;
		virtq_push(vq, c->head, written);
	}
	if (ret < 0)
		virtio_needs_reset(vd, "bad control chain");
	else if (!budget)
		virtio_queue_yield(vd, q);
	virtio_queue_interrupt(vd, q);
}

static void net_queue_notify(void *dev, unsigned q)
{
	struct virtio_net *net = dev;
	struct net_qpair *qp = &net->qp[q / 2];

	if (net->nr_pairs > 1 && virtio_has_feature(net->vd, VIRTIO_NET_F_CTRL_VQ) && q == net_ctrl_index(net)) {
		net_ctrl(net, q);
		return;
	}
	if (q / 2 >= net->nr_pairs)
		return;
	if (q % 2 == 0)
		net_rx(qp); /* new receive buffers: frames may be waiting */
	else
		net_tx(qp);
}

/* The backend has input (I/O thread, lock not held). */
static void net_input(void *arg)
{
	struct net_qpair *qp = arg;
	struct virtio_dev *vd = qp->net->vd;

	pthread_mutex_lock(&vd->lock);
	if (virtio_queue_live(vd, qp->rx_q))
		net_rx(qp);
	pthread_mutex_unlock(&vd->lock);
}

/* Each pair's backend input, polled by the I/O thread (virtio_watch). */
/* vhost signalled a relay call fd: the interrupt the vector could not take (I/O thread). */
static void net_vhost_call(void *arg)
{
	struct net_relay *r = arg;
	struct virtio_dev *vd = r->qp->net->vd;

	pthread_mutex_lock(&vd->lock);
	virtio_queue_signal(vd, r->q);
	pthread_mutex_unlock(&vd->lock);
}

static int net_watch(void *dev, struct iothread *io)
{
	struct virtio_net *net = dev;
	int ret = 0;

	for (unsigned i = 0; !ret && i < net->nr_pairs; i++) {
		struct net_qpair *qp = &net->qp[i];

		if (!qp->vhost) {
			ret = iothread_watch_input(io, qp->be->fd, net_input, qp);
			continue;
		}
		for (unsigned r = 0; !ret && r < 2; r++) {
			qp->relay[r] = (struct net_relay){ qp, r ? qp->tx_q : qp->rx_q };
			ret = iothread_watch(io, qp->vhost->call_fd[r], net_vhost_call, &qp->relay[r]);
		}
	}
	return ret;
}

/* DRIVER_OK, the first status change with it since the reset: each pair whose rings the
 * driver enabled goes to vhost (a vCPU thread). Later changes (DEVICE_NEEDS_RESET) leave
 * the pairs as they are. */
static bool net_vhost_any_running(const struct virtio_net *net)
{
	for (unsigned i = 0; i < net->nr_pairs; i++)
		if (net->qp[i].vhost && net->qp[i].vhost->running)
			return true;
	return false;
}

static void net_vhost_stop_all(struct virtio_net *net)
{
	for (unsigned i = 0; i < net->nr_pairs; i++)
		if (net->qp[i].vhost && net->qp[i].vhost->running)
			net_vhost_stop(net->qp[i].vhost);
}

static void net_status_changed(void *dev)
{
	struct virtio_net *net = dev;
	struct virtio_dev *vd = net->vd;

	/* DEVICE_NEEDS_RESET: the kernel must stop working the driver's rings too. */
	if (vd->status & VIRTIO_STATUS_NEEDS_RESET) {
		net_vhost_stop_all(net);
		return;
	}
	/* The kernel writes guest memory for us: not without Bus Master Enable (PCI 3.0, 6.2.2). */
	if (net->started || !(vd->status & VIRTIO_STATUS_DRIVER_OK) || !virtio_dma_allowed(vd))
		return;
	net->started = true;
	for (unsigned i = 0; i < net->nr_pairs; i++) {
		struct net_qpair *qp = &net->qp[i];
		const unsigned q[2] = { qp->rx_q, qp->tx_q };

		if (!qp->vhost || !vd->queues[qp->rx_q].enabled || !vd->queues[qp->tx_q].enabled)
			continue;
		if (i > 0 && !virtio_has_feature(vd, VIRTIO_NET_F_MQ))
			break; /* one pair: queue 2 may be the control queue (5.1.2) */
		if (net_vhost_start(qp->vhost, vd, q, qp->be->fd)) {
			virtio_needs_reset(vd, "vhost-net could not start the rings");
			return;
		}
	}
}

static void net_irqs_changed(void *dev)
{
	struct virtio_net *net = dev;

	/* Bus Master cleared under running rings (this config write calls us): they stop. */
	if (net->started && !virtio_dma_allowed(net->vd) && net_vhost_any_running(net)) {
		virtio_needs_reset(net->vd, "bus mastering cleared while vhost-net runs");
		return;
	}
	if (!net->started)
		net_status_changed(net); /* DRIVER_OK came before Bus Master Enable */
	for (unsigned i = 0; i < net->nr_pairs; i++) {
		const unsigned q[2] = { net->qp[i].rx_q, net->qp[i].tx_q };

		if (net->qp[i].vhost)
			net_vhost_rewire(net->qp[i].vhost, net->vd, q);
	}
}

static void net_reset(void *dev)
{
	struct virtio_net *net = dev;

	net->started = false;
	net_vhost_stop_all(net);
	for (unsigned i = 0; i < net->nr_pairs; i++)
		net->qp[i].rx_held = false; /* the driver forgot its buffers */
	if (net->active_pairs != 1)
		net_set_active(net, 1); /* 5.1.6.5.5: receiveq1 only, until the driver sets more */
}

static void net_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, ((struct virtio_net *)dev)->config + off, len);
}

static void net_destroy(void *dev)
{
	struct virtio_net *net = dev;

	for (unsigned i = 0; i < net->nr_pairs; i++) {
		net_vhost_close(net->qp[i].vhost); /* first: the kernel lets go of the tap */
		if (net->qp[i].be)
			net->qp[i].be->ops->close(net->qp[i].be);
	}
	free(net);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.class_code = 0x020000, /* network controller, Ethernet */
	.nr_queues = 2,          /* per NIC: 2 * pairs, and the control queue with more than one */
	.queue_size = NET_QUEUE_SIZE,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MTU,
	.config_size = NET_CFG_SIZE,
	.config_read = net_config_read,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
	.destroy = net_destroy,
	.io_stats = net_io_stats,
	.report = net_report,
	.watch = net_watch,
	.status_changed = net_status_changed,
	.irqs_changed = net_irqs_changed,
};

bool virtio_net_is(const struct virtio_dev *vd)
{
	return vd->ops->queue_notify == net_queue_notify; /* each NIC has its own copy of net_ops */
}

/* vhost-net for every pair, as mode asks: NET_VHOST_ON fails without it, NET_VHOST_AUTO
 * says once why it goes without. 0 or -errno. */
static int net_vhost_setup(struct virtio_net *net, struct virtio_host *h, int mode)
{
	int ret = 0;

	if (mode == NET_VHOST_OFF)
		return 0;
	for (unsigned i = 0; !ret && i < net->nr_pairs; i++)
		ret = net_vhost_open(h->env->mem, mode == NET_VHOST_AUTO, &net->qp[i].vhost);
	if (!ret) {
		log_info("net: vhost-net moves the frames of %s (%u queue pair%s)", net->qp[0].be->desc, net->nr_pairs,
			 net->nr_pairs > 1 ? "s" : "");
		return 0;
	}
	for (unsigned i = 0; i < net->nr_pairs; i++) {
		net_vhost_close(net->qp[i].vhost);
		net->qp[i].vhost = NULL;
	}
	if (mode == NET_VHOST_ON)
		return ret;
	log_info("net: vhost-net unavailable (%s: %s): the frames go through vmm's I/O thread", net_vhost_path,
		 strerror(-ret));
	return 0;
}

int virtio_net_create(struct virtio_host *h, const struct virtio_net_params *p, struct net_backend *be,
		      struct virtio_dev **out)
{
	struct virtio_net_params one = *p;

	one.pairs = 1;
	return virtio_net_create_mq(h, &one, &be, out);
}

int virtio_net_create_mq(struct virtio_host *h, const struct virtio_net_params *p, struct net_backend **be,
			 struct virtio_dev **out)
{
	unsigned pairs = p->pairs ? p->pairs : 1;
	struct virtio_net *net = pairs <= NET_MAX_PAIRS ? calloc(1, sizeof(*net)) : NULL;
	int ret;

	if (!net) {
		for (unsigned i = 0; i < pairs; i++)
			be[i]->ops->close(be[i]);
		return pairs <= NET_MAX_PAIRS ? -ENOMEM : -EINVAL;
	}
	net->nr_pairs = pairs;
	net->active_pairs = pairs; /* net_reset (virtio_reset at creation) makes it 1 */
	for (unsigned i = 0; i < pairs; i++)
		net->qp[i] = (struct net_qpair){ .net = net, .rx_q = 2 * i, .tx_q = 2 * i + 1, .be = be[i] };
	net->ops = net_ops;
	net->ops.nr_queues = 2 * pairs;
	if (pairs > 1) {
		net->ctrl_q = 2 * pairs;
		net->ops.nr_queues = 2 * pairs + 1;
		net->ops.features |= 1ULL << VIRTIO_NET_F_CTRL_VQ | 1ULL << VIRTIO_NET_F_MQ;
	}
	memcpy(net->config, p->mac, 6);
	le_store(net->config + NET_CFG_STATUS, 2, VIRTIO_NET_S_LINK_UP);
	le_store(net->config + NET_CFG_PAIRS, 2, net->nr_pairs);
	le_store(net->config + NET_CFG_MTU, 2, NET_MTU);
	ret = net_vhost_setup(net, h, p->vhost);
	if (!ret)
		ret = virtio_create_as(h, p->mmio, &net->ops, net, 0, &net->vd);
	if (ret) {
		net_destroy(net);
		return ret;
	}
	if (net->qp[0].vhost)
		net->vd->kernel_queues = (1u << (2 * pairs)) - 1; /* the kernel polls them */
	*out = net->vd;
	return 0;
}
