/* vsock.h - virtio-vsock (virtio 1.2, section 5.10) with the kernel's vhost-vsock moving
 * the rx and tx queues; the event queue stays in vmm. */
#ifndef VMM_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

struct virtio_host;
struct virtio_dev;

/* Guest CIDs a VM may have: 0 (hypervisor), 1 (local), 2 (host) are reserved and
 * 0xffffffff is VMADDR_CID_ANY (linux/vm_sockets.h). */
#define VSOCK_CID_MIN 3ULL
#define VSOCK_CID_MAX 0xfffffffeULL
#define VSOCK_VHOST_DEV "/dev/vhost-vsock"

/* Is cid one a guest may be given (VSOCK_CID_MIN..VSOCK_CID_MAX)? */
bool vsock_cid_valid(uint64_t cid);

struct virtio_vsock_params {
	uint64_t cid;                /* checked with vsock_cid_valid by the caller */
	const char *vhost_path;      /* NULL: VSOCK_VHOST_DEV (tests pass another file) */
};

/* virtio-vsock on vhost-vsock: opens the vhost device, hands it the owner, guest RAM and
 * the CID. 0 or -errno with one line logged (the device missing or not permitted: names
 * the vhost_vsock module; the CID in use by another VM: EADDRINUSE). */
int virtio_vsock_create(struct virtio_host *h, const struct virtio_vsock_params *p, struct virtio_dev **out);
/* Is vd a virtio-vsock device? */
bool virtio_vsock_is(const struct virtio_dev *vd);
/* Send VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (5.10.6.7) in one of the driver's event buffers:
 * 1 sent, 0 no buffer posted (or the device not live), -errno (lock taken). */
int virtio_vsock_transport_reset(struct virtio_dev *vd);

#endif
