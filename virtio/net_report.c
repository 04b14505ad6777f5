/* net_report.c - what virtio-net says of itself: stat and --report members, `info net`. */
#include "net_priv.h"

#include <pthread.h>
#include <stdio.h>

#include "../emit.h"

/* "tap vmm0", or "vhost-net tap vmm0" when the kernel moves the frames. */
static const char *net_backend_name(const struct virtio_net *net, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", net->qp[0].vhost ? "vhost-net " : "", net->qp[0].be->desc);
	return buf;
}

void net_io_stats(void *dev, struct virtio_io_stats *out)
{
	const struct virtio_net *net = dev;

	for (unsigned i = 0; i < net->nr_pairs; i++) {
		out->reads += net->qp[i].rx.packets;
		out->writes += net->qp[i].tx.packets;
		out->errors += net->qp[i].rx.drops + net->qp[i].tx.drops;
		out->bytes_read += net->qp[i].rx.bytes;
		out->bytes_written += net->qp[i].tx.bytes;
	}
}

/* Flat members (a stat line takes no containers): the backend, the MAC, each queue's
 * packets, bytes and drops. */
void net_report(void *dev, struct emit *e)
{
	const struct virtio_net *net = dev;
	char mac[18], key[32], be[64];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", net->config[0], net->config[1],
		 net->config[2], net->config[3], net->config[4], net->config[5]);
	emit_str(e, "backend", net_backend_name(net, be, sizeof(be)));
	emit_str(e, "mac", mac);
	if (net->nr_pairs > 1) {
		emit_u64(e, "queue_pairs", net->nr_pairs);
		emit_u64(e, "active_pairs", net->active_pairs);
		emit_u64(e, "ctrl_ok", net->ctrl_ok);
		emit_u64(e, "ctrl_err", net->ctrl_err);
	}
	for (unsigned i = 0; i < net->nr_pairs; i++) {
		const struct net_counts *c[2] = { &net->qp[i].rx, &net->qp[i].tx };

		for (unsigned d = 0; d < 2; d++) {
			snprintf(key, sizeof(key), "%s%u_packets", d ? "tx" : "rx", i);
			emit_u64(e, key, c[d]->packets);
			snprintf(key, sizeof(key), "%s%u_bytes", d ? "tx" : "rx", i);
			emit_u64(e, key, c[d]->bytes);
			snprintf(key, sizeof(key), "%s%u_drops", d ? "tx" : "rx", i);
			emit_u64(e, key, c[d]->drops);
		}
	}
}

void virtio_net_describe(struct virtio_dev *vd, struct emit *e)
{
	const struct virtio_net *net = vd->dev;
	char mac[18], be[64];

	pthread_mutex_lock(&vd->lock);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", net->config[0], net->config[1],
		 net->config[2], net->config[3], net->config[4], net->config[5]);
	emit_obj_line(e, "nic", "%s MAC %s link up MTU %s, driver %{ready|not ready}, features 0x%s");
	emit_str(e, "backend", net_backend_name(net, be, sizeof(be)));
	emit_str(e, "mac", mac);
	emit_u64(e, "mtu", NET_MTU);
	emit_bool(e, "driver_ok", vd->status & VIRTIO_STATUS_DRIVER_OK);
	{
		char f[20];

		snprintf(f, sizeof(f), "%llx", (unsigned long long)vd->driver_features);
		emit_str(e, "features", f);
	}
	emit_obj_end(e);
	if (net->nr_pairs > 1) {
		emit_obj_line(e, "multiqueue", "multiqueue: %s of %s pairs in use, control commands %s ok %s refused");
		emit_u64(e, "active_pairs", net->active_pairs);
		emit_u64(e, "queue_pairs", net->nr_pairs);
		emit_u64(e, "ctrl_ok", net->ctrl_ok);
		emit_u64(e, "ctrl_err", net->ctrl_err);
		emit_obj_end(e);
	}
	emit_arr_begin(e, "queue_pairs");
	for (unsigned i = 0; i < net->nr_pairs; i++) {
		const struct net_qpair *qp = &net->qp[i];

		if (qp->vhost) {
			/* The kernel moves and counts this pair's frames: none of ours to show. */
			emit_obj_line(e, NULL, "  pair %s: vhost-net %{running|stopped} (packet counts are the kernel's)");
			emit_u64(e, "pair", i);
			emit_bool(e, "vhost_running", qp->vhost->running);
			emit_obj_end(e);
			continue;
		}
		emit_obj_line(e, NULL, "  pair %s: rx %s packets %s bytes %s drops, tx %s packets %s bytes %s drops");
		emit_u64(e, "pair", i);
		emit_u64(e, "rx_packets", qp->rx.packets);
		emit_u64(e, "rx_bytes", qp->rx.bytes);
		emit_u64(e, "rx_drops", qp->rx.drops);
		emit_u64(e, "tx_packets", qp->tx.packets);
		emit_u64(e, "tx_bytes", qp->tx.bytes);
		emit_u64(e, "tx_drops", qp->tx.drops);
		emit_obj_end(e);
	}
	emit_arr_end(e);
	pthread_mutex_unlock(&vd->lock);
}
