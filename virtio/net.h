/* net.h - virtio-net (virtio 1.2, section 5.1) and the packet backends it sits on.
 *
 * A backend moves whole Ethernet frames, each with the 12-byte virtio_net_hdr_v1 in front
 * (the tap's IFF_VNET_HDR with TUNSETVNETHDRSZ 12). One struct net_qpair per queue pair
 * (receiveqN, transmitqN), up to NET_MAX_PAIRS with VIRTIO_NET_F_MQ and the control queue
 * (5.1.6.5) when there are more than one; the tap backend (a multi-queue tap: one fd per
 * pair) and the data path on the I/O thread. vhost-net and passt plug in here later. */
#ifndef VMM_VIRTIO_NET_H
#define VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct virtio_host;
struct virtio_dev;

#define NET_HDR_LEN    12      /* struct virtio_net_hdr_v1 (5.1.6): VERSION_1's header */
#define NET_MTU        1500    /* offered with VIRTIO_NET_F_MTU */
#define NET_MIN_RX_BUF (NET_HDR_LEN + 1514) /* a receive chain must hold a full frame */
#define NET_MAX_FRAME  65550   /* the largest frame a transmit chain may carry */
#define NET_MAX_NICS   4
#define NET_MAX_PAIRS  8       /* queue pairs of one NIC (multiqueue): 2 * 8 + 1 virtqueues */

struct net_backend;

/* One kind of backend. Calls come from the I/O thread, never blocking (the fd is
 * O_NONBLOCK). */
struct net_backend_ops {
	const char *kind;                /* "tap" */
	/* One frame with its header into iov: bytes received (a frame longer than iov is cut
	 * to it), -EAGAIN for none, or -errno. */
	ssize_t (*recv)(struct net_backend *be, const struct iovec *iov, int n);
	/* One frame with its header from iov: bytes sent, or -errno. */
	ssize_t (*send)(struct net_backend *be, const struct iovec *iov, int n);
	/* Release the backend (close its fd, free it). */
	void (*close)(struct net_backend *be);
	/* Attach (on) or detach this queue of a multi-queue backend, so the host steers frames
	 * only to the pairs the driver uses (TUNSETQUEUE). NULL: always attached. 0 or -errno. */
	int (*queue_enable)(struct net_backend *be, bool on);
};

struct net_backend {
	const struct net_backend_ops *ops;
	int fd;                          /* polled by the I/O thread for input (POLLIN) */
	char desc[48];                   /* for logs and reports: "tap tap0", "tap fd 5" */
	char ifname[16];                 /* the tap's name ("" for an fd passed in) */
};

/* vhost-net on one queue pair (net_vhost.c). */
struct guest_mem;
struct net_vhost {
	int fd;                          /* /dev/vhost-net */
	uint64_t features;               /* VHOST_GET_FEATURES */
	int call_fd[2];                  /* relay eventfds (receive, transmit), the I/O thread's */
	int call_cur[2];                 /* the fd each ring's VHOST_SET_VRING_CALL gave */
	bool running;                    /* the backend is set */
};
extern const char *net_vhost_path;   /* "/dev/vhost-net" (tests point it elsewhere) */
/* Open vhost-net: VHOST_SET_OWNER, VHOST_GET_FEATURES, VHOST_SET_MEM_TABLE with mem, and
 * the relay eventfds. 0 or -errno (an open failure logged unless quiet; a failed ioctl
 * logged by name with strerror). */
int net_vhost_open(const struct guest_mem *mem, bool quiet, struct net_vhost **out);
/* Hand rings q[0] (receive) and q[1] (transmit) of vd and the tap fd to the kernel: 0 or
 * -errno (the ioctl that failed is logged). vd->lock held. */
int net_vhost_start(struct net_vhost *v, struct virtio_dev *vd, const unsigned q[2], int tap_fd);
/* After an MSI-X change: give each ring the call fd it should signal now (lock held). */
void net_vhost_rewire(struct net_vhost *v, struct virtio_dev *vd, const unsigned q[2]);
/* VHOST_NET_SET_BACKEND -1 and VHOST_GET_VRING_BASE on both rings (device reset). */
void net_vhost_stop(struct net_vhost *v);
/* Close it (the kernel stops the rings). Safe on NULL. */
void net_vhost_close(struct net_vhost *v);

struct net_tap_params {
	const char *ifname;              /* an existing tap; NULL or "": create vmm%d */
	int fd;                          /* >= 0: a tap fd passed in (dup'ed; ifname ignored) */
	bool multi_queue;                /* IFF_MULTI_QUEUE: one queue of several (mq=N > 1) */
	bool quiet;                      /* no "created tap" line (the second queue onwards) */
};

/* Open the tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, header size 12, offloads off, and
 * IFF_MULTI_QUEUE when asked or when a named tap was created so); 0 or -errno with one line
 * logged (missing tap, /dev/net/tun permission, not a tap). */
int net_tap_open(const struct net_tap_params *p, struct net_backend **out);
/* A backend on an fd that already speaks header + frame per read and write (a
 * SOCK_SEQPACKET socketpair in the tests); takes the fd. 0 or -errno. */
int net_backend_from_fd(int fd, const char *desc, struct net_backend **out);

/* A stable locally administered unicast MAC for NIC index of VM name (FNV-1a of both). */
void net_mac_generate(const char *name, unsigned index, uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff" into mac: 0, or -EINVAL (malformed, multicast or all zeros). */
int net_mac_parse(const char *s, uint8_t mac[6]);

struct virtio_net_params {
	uint8_t mac[6];
	bool mmio;                       /* virtio-mmio even when the host has a PCI bus */
	unsigned pairs;                  /* queue pairs, 1..NET_MAX_PAIRS (0: 1) */
	int vhost;                       /* NET_VHOST_*: vhost-net off, on (required), or if it opens */
};
#define NET_VHOST_OFF  0
#define NET_VHOST_ON   1
#define NET_VHOST_AUTO 2

/* virtio-net on backend be (taken: closed on failure too); virtio_watch adds the backend's
 * fd to the I/O thread's polls. 0 or -errno. */
int virtio_net_create(struct virtio_host *h, const struct virtio_net_params *p, struct net_backend *be,
		      struct virtio_dev **out);
/* The same with p->pairs queue pairs, pair i on be[i] (all taken: closed on failure too);
 * more than one pair offers VIRTIO_NET_F_MQ and VIRTIO_NET_F_CTRL_VQ. 0 or -errno. */
int virtio_net_create_mq(struct virtio_host *h, const struct virtio_net_params *p, struct net_backend **be,
			 struct virtio_dev **out);

/* Control queue acks (5.1.6.5). */
#define VIRTIO_NET_OK  0
#define VIRTIO_NET_ERR 1
/* One control command's readable bytes (class, command, data; 5.1.6.5): VIRTIO_NET_OK with
 * *pairs set for VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET of 1..max_pairs, else VIRTIO_NET_ERR
 * (*pairs untouched). Pure: the fuzzer drives it too. */
uint8_t net_ctrl_parse(const uint8_t *cmd, size_t len, unsigned max_pairs, unsigned *pairs);

struct emit;
/* Is vd a virtio-net device? */
bool virtio_net_is(const struct virtio_dev *vd);
/* info net: vd's backend, MAC, link, MTU, negotiated features, and each queue pair's
 * counters, as one object (lock taken). */
void virtio_net_describe(struct virtio_dev *vd, struct emit *e);

#endif
