/* devices.h - the virtio device models (block, entropy, console) on the virtio-pci transport. */
#ifndef VMM_VIRTIO_DEVICES_H
#define VMM_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_host;
struct virtio_dev;
struct console_sink;

/* virtio-blk backed by a file, I/O through the host's I/O thread (io_uring). 0 or -errno (logged). */
int virtio_blk_create(struct virtio_host *h, const char *path, bool read_only, unsigned index,
		      struct virtio_dev **out);
/* virtio-rng fed from getrandom(). 0 or -errno. */
int virtio_rng_create(struct virtio_host *h, struct virtio_dev **out);
/* virtio-console (hvc0): transmitq to out (NULL: dropped; kept, it must outlive the device).
 * 0 or -errno. */
int virtio_console_create(struct virtio_host *h, const struct console_sink *out, struct virtio_dev **vd);
/* Host input for virtio-console's receiveq; returns bytes taken (0: no guest buffer yet). */
size_t virtio_console_receive(void *vd, const uint8_t *buf, size_t len);

#endif
