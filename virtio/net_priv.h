/* net_priv.h - virtio-net's state, shared by its data path (net.c) and its reports
 * (net_report.c); nothing outside virtio/net*.c includes it. */
#ifndef VMM_VIRTIO_NET_PRIV_H
#define VMM_VIRTIO_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../util.h"
#include "net.h"
#include "virtio.h"

struct emit;
struct virtio_io_stats;

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_F_MTU    3
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ     22
#define VIRTIO_NET_S_LINK_UP 1

/* Device configuration (5.1.4): mac[6], le16 status, le16 max_virtqueue_pairs, le16 mtu. */
#define NET_CFG_SIZE   12
#define NET_CFG_STATUS 6
#define NET_CFG_PAIRS  8
#define NET_CFG_MTU    10

#define NET_QUEUE_SIZE 256
_Static_assert(2 * NET_MAX_PAIRS + 1 <= VIRTIO_MAX_QUEUES, "the control queue after the pairs");
/* Per notification: at most this many frames each way, then the queue is kicked again so
 * the I/O thread serves the other devices first (console.c does the same). */
#define NET_BUDGET 64

struct net_counts {
	uint64_t packets, bytes, drops;
};

/* One receiveq/transmitq pair and what it moves (vd->lock). */
struct net_qpair {
	struct virtio_net *net;
	unsigned rx_q, tx_q;            /* virtqueue indices: 2n and 2n + 1 (5.1.2) */
	struct net_backend *be;
	struct virtq_chain rx_chain;    /* a receive chain taken with no frame to put in it */
	bool rx_held;
	struct virtq_chain tx_chain;
	struct iovec iov[VIRTQ_MAX_CHAIN + 1];
	uint8_t rx_spill;               /* where a frame larger than its receive chain ends */
	struct net_counts rx, tx;
	struct ratelimit rx_rl, tx_rl;  /* "dropped" lines of this pair, one budget each way */
	struct net_vhost *vhost;        /* NULL: the userspace data path */
	struct net_relay {
		struct net_qpair *qp;
		unsigned q;
	} relay[2];                     /* vhost's call relays: receive, transmit */
};

struct virtio_net {
	struct virtio_dev *vd;
	struct virtio_dev_ops ops;      /* net_ops with this NIC's queue count and features */
	uint8_t config[NET_CFG_SIZE];
	unsigned nr_pairs;              /* max_virtqueue_pairs */
	unsigned active_pairs;          /* what the driver set (1 after a reset) */
	unsigned ctrl_q;                /* the control queue's index (2 * nr_pairs), if nr_pairs > 1 */
	struct virtq_chain ctrl_chain;
	uint64_t ctrl_ok, ctrl_err;     /* control commands acked OK / ERR */
	struct ratelimit ctrl_rl;
	bool started;                   /* DRIVER_OK seen since the last reset (vhost started) */
	struct net_qpair qp[NET_MAX_PAIRS];
};

/* ops->io_stats: every pair's packets (reads: received, writes: sent), bytes and drops. */
void net_io_stats(void *dev, struct virtio_io_stats *out);
/* ops->report: the backend, the MAC and each queue's counters, as flat members. */
void net_report(void *dev, struct emit *e);

#endif
