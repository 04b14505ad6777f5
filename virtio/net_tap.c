/* net_tap.c - the tap backend of virtio-net: /dev/net/tun (Documentation/networking/tuntap.rst).
 *
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR: each read and write is one Ethernet frame after a
 * virtio_net_hdr, made 12 bytes (virtio_net_hdr_v1, VERSION_1's) with TUNSETVNETHDRSZ.
 * TUNSETOFFLOAD 0: the kernel hands us only complete, checksummed frames, as virtio-net
 * offers no offload yet. The fd is non-blocking: the I/O thread polls it and reads until
 * EAGAIN. A multi-queue tap (IFF_MULTI_QUEUE, mq=N) is N such fds on one interface, each
 * attached or detached with TUNSETQUEUE as the driver changes the pairs in use. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "../util.h"

static ssize_t fd_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	ssize_t r = readv(be->fd, iov, n);

	return r < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : r;
}

static ssize_t fd_send(struct net_backend *be, const struct iovec *iov, int n)
{
	ssize_t r = writev(be->fd, iov, n);

	return r < 0 ? -errno : r;
}

static void fd_close(struct net_backend *be)
{
	if (be->fd >= 0)
		close(be->fd);
	free(be);
}

static const struct net_backend_ops tap_ops = {
	.kind = "tap",
	.recv = fd_recv,
	.send = fd_send,
	.close = fd_close,
};

/* tuntap.rst "Multiqueue tuntap interface": IFF_DETACH_QUEUE stops the kernel steering
 * frames to this queue, IFF_ATTACH_QUEUE takes it back. */
static int tap_queue_enable(struct net_backend *be, bool on)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	return ioctl(be->fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

static const struct net_backend_ops tap_mq_ops = {
	.kind = "tap",
	.recv = fd_recv,
	.send = fd_send,
	.close = fd_close,
	.queue_enable = tap_queue_enable,
};

int net_backend_from_fd(int fd, const char *desc, struct net_backend **out)
{
	struct net_backend *be = calloc(1, sizeof(*be));

	if (!be)
		return -ENOMEM;
	be->ops = &tap_ops;
	be->fd = fd;
	snprintf(be->desc, sizeof(be->desc), "%s", desc);
	*out = be;
	return 0;
}

/* Header size and offloads on a tap fd (ours or passed in); 0 or -errno (logged). *mq:
 * the tap is multi-queue. */
static int tap_configure(int fd, const char *what, bool *mq)
{
	int hdr = NET_HDR_LEN, fl;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		log_err("net: %s is not a tap (TUNGETIFF: %s)", what, strerror(errno));
		return -EINVAL;
	}
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP || !(ifr.ifr_flags & IFF_NO_PI) ||
	    !(ifr.ifr_flags & IFF_VNET_HDR)) {
		log_err("net: %s: the tap must be opened with IFF_TAP, IFF_NO_PI and IFF_VNET_HDR", what);
		return -EINVAL;
	}
	*mq = ifr.ifr_flags & IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		int err = errno; /* before the log line, which may change it */

		log_err("net: %s: TUNSETVNETHDRSZ/TUNSETOFFLOAD: %s", what, strerror(err));
		return -err;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = errno;

		log_err("net: %s: O_NONBLOCK: %s", what, strerror(err));
		return -err;
	}
	return 0;
}

/* Open /dev/net/tun and attach to ifname, or create vmm%d; the fd or -errno (logged). */
static int tap_attach(const char *ifname, bool multi_queue, char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd, err;

	if (ifname && *ifname && !if_nametoindex(ifname)) {
		log_err("net: tap %s does not exist (create it: ip tuntap add %s mode tap user $USER)", ifname,
			ifname);
		return -ENODEV;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_err("net: cannot open /dev/net/tun: %s%s", strerror(err),
			err == ENOENT ? " (load the tun module: modprobe tun)" : "");
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname && *ifname ? ifname : "vmm%d");
	/* EBUSY: the tap's one queue is still attached, to our own previous file after a
	 * --reboot=restart (the I/O thread's ring lets its registered files go a moment after
	 * their close, from a worker): wait for it, up to a second. */
	for (int tries = 0; ioctl(fd, TUNSETIFF, &ifr) < 0; tries++) {
		err = errno;
		if (err == EBUSY && tries < 40) {
			nanosleep(&(struct timespec){ .tv_nsec = 25 * 1000 * 1000 }, NULL);
			continue;
		}
		if (err == EINVAL && ifname && *ifname && !(ifr.ifr_flags & IFF_MULTI_QUEUE)) {
			/* A named tap created multi-queue: one of its queues serves mq=1. */
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
			continue;
		}
		if (err == EPERM)
			log_err("net: tap %s: TUNSETIFF: %s (the tap must belong to this user, or vmm needs CAP_NET_ADMIN)",
				ifr.ifr_name, strerror(err));
		else if (err == EBUSY)
			log_err("net: tap %s: TUNSETIFF: %s (another process has it open)", ifr.ifr_name, strerror(err));
		else if (err == EINVAL && ifname && *ifname)
			log_err("net: tap %s: TUNSETIFF: %s (not a tap%s)", ifr.ifr_name, strerror(err),
				multi_queue ? ", or a single-queue tap: mq=N needs one made with ip tuntap add ... multi_queue" : "");
		else
			log_err("net: tap %s: TUNSETIFF: %s", ifr.ifr_name, strerror(err));
		close(fd);
		return -err;
	}
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

int net_tap_open(const struct net_tap_params *p, struct net_backend **out)
{
	char name[IFNAMSIZ] = "", what[48];
	bool mq = false;
	int fd, ret;

	if (p->fd >= 0) {
		/* Our own copy: the VM closes it at its end, a restart opens the next. */
		fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			log_err("net: fd=%d: %s", p->fd, strerror(errno));
			return -EBADF;
		}
		snprintf(what, sizeof(what), "tap fd %d", p->fd);
	} else {
		fd = tap_attach(p->ifname, p->multi_queue, name);
		if (fd < 0)
			return fd;
		snprintf(what, sizeof(what), "tap %s", name);
		if ((!p->ifname || !*p->ifname) && !p->quiet)
			log_info("net: created tap %s for the guest (set it up on the host: ip link set %s up)", name,
				 name);
	}
	ret = tap_configure(fd, what, &mq);
	if (!ret && p->multi_queue && !mq) {
		log_err("net: %s is a single-queue tap: mq=N needs a multi-queue one", what);
		ret = -EINVAL;
	}
	if (!ret)
		ret = net_backend_from_fd(fd, what, out);
	if (!ret) {
		snprintf((*out)->ifname, sizeof((*out)->ifname), "%s", name);
		if (mq)
			(*out)->ops = &tap_mq_ops;
	}
	if (ret)
		close(fd);
	return ret;
}
