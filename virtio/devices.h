/* devices.h - the virtio device models (block, entropy, console) on the virtio-pci transport. */
#ifndef VMM_VIRTIO_DEVICES_H
#define VMM_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct iothread;
struct virtio_dev;
struct console;

/* virtio-blk backed by a file, I/O through the I/O thread's io_uring. 0 or -errno (logged). */
int virtio_blk_create(struct vm *vm, struct iothread *io, const char *path, bool read_only,
		      unsigned index, struct virtio_dev **out);
/* virtio-rng fed from getrandom(). 0 or -errno. */
int virtio_rng_create(struct vm *vm, struct virtio_dev **out);
/* virtio-console (hvc0): transmitq to the console stream. 0 or -errno. */
int virtio_console_create(struct vm *vm, struct console *out, struct virtio_dev **vd);
/* Host input for virtio-console's receiveq; returns bytes taken (0: no guest buffer yet). */
size_t virtio_console_receive(void *vd, const uint8_t *buf, size_t len);

#endif
