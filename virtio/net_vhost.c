/* net_vhost.c - vhost-net for one virtio-net queue pair (linux/vhost.h, drivers/vhost/net.c):
 * the kernel moves the frames between the tap and the guest's rings.
 *
 * At creation (setup thread): open /dev/vhost-net, VHOST_SET_OWNER, VHOST_GET_FEATURES and
 * VHOST_SET_MEM_TABLE with guest RAM (one region: gpa, size, hva). At DRIVER_OK (a vCPU
 * thread): VHOST_SET_FEATURES (what the driver negotiated that vhost knows: the ring
 * features and VERSION_1), and per ring (vhost index 0 receive, 1 transmit)
 * VHOST_SET_VRING_NUM, _BASE (0: a fresh ring), _ADDR (host addresses of desc, avail and
 * used through guest_mem_ptr, the one checked accessor), _KICK (the queue's kick eventfd,
 * the one KVM_IOEVENTFD signals: the guest's kick goes straight to the kernel), _CALL,
 * then VHOST_NET_SET_BACKEND with the tap fd. The call fd is the queue's MSI-X vector
 * irqfd while a message on it reaches the guest now (virtio_queue_irqfd); otherwise
 * (INTx, no vector, masked, Bus Master off) a relay eventfd of ours that the I/O thread
 * turns into the transport's interrupt (the level line with its ISR bit, or a pending
 * MSI-X bit): only interrupts ever pass through a vmm thread, never frames. Re-wired on
 * every MSI-X change (virtio_dev_ops.irqs_changed). Device reset: VHOST_NET_SET_BACKEND
 * -1 and VHOST_GET_VRING_BASE on both rings; destroy closes the fd (the kernel stops). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "../mem.h"
#include "../util.h"
#include "transport.h"
#include "virtio.h"

/* The features vhost-net may be told: the ring's and VERSION_1 (the device's own bits
 * are ours: MAC, STATUS, MTU, MQ, CTRL_VQ are served by vmm, not the kernel). */
#define VHOST_FEATURE_MASK (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_EVENT_IDX | 1ULL << VIRTIO_F_INDIRECT_DESC)

const char *net_vhost_path = "/dev/vhost-net";

static int vhost_ioctl(struct net_vhost *v, unsigned long req, void *arg, const char *name)
{
	if (ioctl(v->fd, req, arg) < 0) {
		int err = errno;

		log_ratelimited("net: vhost-net: %s: %s", name, strerror(err));
		return -err;
	}
	return 0;
}
#define VHOST(v, req, arg) vhost_ioctl((v), (req), (arg), #req)

int net_vhost_open(const struct guest_mem *mem, bool quiet, struct net_vhost **out)
{
	struct net_vhost *v = calloc(1, sizeof(*v));
	/* struct vhost_memory ends in a flexible array: room for its one region after it. */
	union {
		struct vhost_memory m;
		uint8_t bytes[sizeof(struct vhost_memory) + sizeof(struct vhost_memory_region)];
	} table;
	int err;

	if (!v)
		return -ENOMEM;
	v->call_fd[0] = v->call_fd[1] = -1;
	v->fd = open(net_vhost_path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		err = errno;
		if (!quiet)
			log_err("net: cannot open %s: %s%s", net_vhost_path, strerror(err),
				err == ENOENT ? " (load the module: modprobe vhost_net)" : "");
		free(v);
		return -err;
	}
	memset(&table, 0, sizeof(table));
	table.m.nregions = 1;
	table.m.regions[0] = (struct vhost_memory_region){ .guest_phys_addr = mem->gpa, .memory_size = mem->size,
							   .userspace_addr = (uintptr_t)mem->hva };
	err = VHOST(v, VHOST_SET_OWNER, NULL);
	if (!err)
		err = VHOST(v, VHOST_GET_FEATURES, &v->features);
	if (!err)
		err = VHOST(v, VHOST_SET_MEM_TABLE, &table);
	for (unsigned i = 0; !err && i < 2; i++)
		if ((v->call_fd[i] = virtio_new_eventfd()) < 0)
			err = v->call_fd[i];
	if (err) {
		net_vhost_close(v);
		return err;
	}
	v->call_cur[0] = v->call_cur[1] = -2; /* nothing given to the kernel yet */
	*out = v;
	return 0;
}

/* The fd the kernel should signal for ring i (queue q): the vector's irqfd, or our relay. */
static int call_fd_for(struct net_vhost *v, struct virtio_dev *vd, unsigned i, unsigned q)
{
	int fd = virtio_queue_irqfd(vd, q);

	return fd >= 0 ? fd : v->call_fd[i];
}

static int set_call(struct net_vhost *v, unsigned i, int fd)
{
	struct vhost_vring_file f = { .index = i, .fd = fd };
	int ret;

	if (v->call_cur[i] == fd)
		return 0;
	ret = VHOST(v, VHOST_SET_VRING_CALL, &f);
	if (!ret)
		v->call_cur[i] = fd;
	return ret;
}

int net_vhost_start(struct net_vhost *v, struct virtio_dev *vd, const unsigned q[2], int tap_fd)
{
	uint64_t features = vd->driver_features & v->features & VHOST_FEATURE_MASK;
	int ret;

	if (v->running)
		return 0;
	ret = VHOST(v, VHOST_SET_FEATURES, &features);
	for (unsigned i = 0; !ret && i < 2; i++) {
		struct virtq *vq = virtio_queue(vd, q[i]);
		struct vhost_vring_state num = { .index = i, .num = vq->size }, base = { .index = i, .num = 0 };
		struct vhost_vring_file kick = { .index = i, .fd = vd->queues[q[i]].kick_fd };
		void *desc = guest_mem_ptr(vd->mem, vq->desc_gpa, 16ULL * vq->size);
		void *avail = guest_mem_ptr(vd->mem, vq->avail_gpa, 6 + 2ULL * vq->size);
		void *used = guest_mem_ptr(vd->mem, vq->used_gpa, 6 + 8ULL * vq->size);
		struct vhost_vring_addr addr = { .index = i, .desc_user_addr = (uintptr_t)desc,
						 .avail_user_addr = (uintptr_t)avail, .used_user_addr = (uintptr_t)used };

		if (!desc || !avail || !used)
			return -EFAULT; /* virtq_enable checked them: cannot happen */
		ret = VHOST(v, VHOST_SET_VRING_NUM, &num);
		if (!ret)
			ret = VHOST(v, VHOST_SET_VRING_BASE, &base);
		if (!ret)
			ret = VHOST(v, VHOST_SET_VRING_ADDR, &addr);
		if (!ret)
			ret = VHOST(v, VHOST_SET_VRING_KICK, &kick);
		v->call_cur[i] = -2;
		if (!ret)
			ret = set_call(v, i, call_fd_for(v, vd, i, q[i]));
	}
	for (unsigned i = 0; !ret && i < 2; i++) {
		struct vhost_vring_file be = { .index = i, .fd = tap_fd };

		ret = VHOST(v, VHOST_NET_SET_BACKEND, &be);
	}
	if (ret) {
		net_vhost_stop(v);
		return ret;
	}
	v->running = true;
	return 0;
}

void net_vhost_rewire(struct net_vhost *v, struct virtio_dev *vd, const unsigned q[2])
{
	if (!v->running)
		return;
	for (unsigned i = 0; i < 2; i++)
		set_call(v, i, call_fd_for(v, vd, i, q[i]));
}

void net_vhost_stop(struct net_vhost *v)
{
	for (unsigned i = 0; i < 2; i++) {
		struct vhost_vring_file be = { .index = i, .fd = -1 };
		struct vhost_vring_state base = { .index = i };

		VHOST(v, VHOST_NET_SET_BACKEND, &be);
		VHOST(v, VHOST_GET_VRING_BASE, &base); /* stops the ring; a reset forgets its index */
	}
	v->running = false;
}

void net_vhost_close(struct net_vhost *v)
{
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	for (unsigned i = 0; i < 2; i++)
		if (v->call_fd[i] >= 0)
			close(v->call_fd[i]);
	free(v);
}
