/* net.h - virtio-net (virtio 1.2, section 5.1) and the packet backends it sits on.
 *
 * A backend moves whole Ethernet frames, each with the 12-byte virtio_net_hdr_v1 in front
 * (the tap's IFF_VNET_HDR with TUNSETVNETHDRSZ 12). One struct net_qpair per queue pair
 * (receiveqN, transmitqN); this step has one pair, the tap backend and the data path on
 * the I/O thread. vhost-net, multiqueue and passt plug in here later. */
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
};

struct net_backend {
	const struct net_backend_ops *ops;
	int fd;                          /* polled by the I/O thread for input (POLLIN) */
	char desc[48];                   /* for logs and reports: "tap tap0", "tap fd 5" */
};

struct net_tap_params {
	const char *ifname;              /* an existing tap; NULL or "": create vmm%d */
	int fd;                          /* >= 0: a tap fd passed in (dup'ed; ifname ignored) */
};

/* Open the tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, header size 12, offloads off); 0 or
 * -errno with one line logged (missing tap, /dev/net/tun permission, not a tap). */
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
};

/* virtio-net on backend be (taken: closed on failure too); virtio_watch adds the backend's
 * fd to the I/O thread's polls. 0 or -errno. */
int virtio_net_create(struct virtio_host *h, const struct virtio_net_params *p, struct net_backend *be,
		      struct virtio_dev **out);

struct emit;
/* Is vd a virtio-net device? */
bool virtio_net_is(const struct virtio_dev *vd);
/* info net: vd's backend, MAC, link, MTU, negotiated features, and each queue pair's
 * counters, as one object (lock taken). */
void virtio_net_describe(struct virtio_dev *vd, struct emit *e);

#endif
