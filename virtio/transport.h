/* transport.h - between the shared virtio core (core.c) and a transport (pci.c, mmio.c). */
#ifndef VMM_VIRTIO_TRANSPORT_H
#define VMM_VIRTIO_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

struct emit;

#define VIRTIO_CONFIG_IRQ -1

/* What a transport does its own way; called with vd->lock held. */
struct virtio_transport {
	const char *name;
	/* Interrupt the driver for queue q, or for a config change (VIRTIO_CONFIG_IRQ). */
	void (*interrupt)(struct virtio_dev *vd, int q);
	/* Register the enabled queues' kick addresses with KVM_IOEVENTFD, where they now are. */
	void (*kicks_update)(struct virtio_dev *vd);
	/* Is the level line in use (PCI: MSI-X off)? The resampler only re-raises then. */
	bool (*line_in_use)(struct virtio_dev *vd);
	/* May the line be raised now (PCI: INTx not disabled)? NULL: always. */
	bool (*line_enabled)(struct virtio_dev *vd);
	/* May the device touch guest memory (PCI: Bus Master Enable)? NULL: always. */
	bool (*dma_allowed)(struct virtio_dev *vd);
	/* Device reset: the transport's own registers (PCI: the MSI-X vector of each source).
	 * NULL: none. */
	void (*reset)(struct virtio_dev *vd);
	/* Free vd->transport_state and what it holds (PCI: the MSI-X vectors' eventfds); called
	 * by virtio_destroy, also on a half-created device. */
	void (*destroy)(struct virtio_dev *vd);
	/* The eventfd that interrupts for queue q without vmm, or -1 (virtio_queue_irqfd).
	 * NULL: none ever (virtio-mmio's level line needs its ISR bit set). */
	int (*queue_irqfd)(struct virtio_dev *vd, unsigned q);
	/* Where the device sits (for `stat` and the report): members of the open object. */
	void (*report)(const struct virtio_dev *vd, struct emit *e);
};

/* A device with the shared state set up, no fds yet; NULL if out of memory or too many queues. */
struct virtio_dev *virtio_dev_alloc(const struct dev_env *env, const struct virtio_dev_ops *ops, void *dev,
				    uint64_t features, const struct virtio_transport *transport);
/* Kick eventfds for every queue and the level line on SPI intid (resampling irqfd). 0 or -errno. */
int virtio_line_setup(struct virtio_dev *vd, uint32_t intid);
/* A non-blocking eventfd, or -errno. */
int virtio_new_eventfd(void);
/* Raise the level line with ISR bits (1 queue, 2 config change). */
void virtio_line_raise(struct virtio_dev *vd, uint8_t isr_bits);
/* KVM_IOEVENTFD for addr/len, matching datamatch if >= 0; 0 or -errno (logged). */
int virtio_ioeventfd(struct virtio_dev *vd, int fd, uint64_t addr, unsigned len, int64_t datamatch,
		     bool assign);
/* A kick KVM_IOEVENTFD did not catch: hand it to the I/O thread the same way. */
void virtio_kick(struct virtio_dev *vd, unsigned q);
/* The transport's interrupt path may have changed (MSI-X state, a vector's mask, route or
 * message, a queue's vector, Bus Master Enable): tell the model (ops->irqs_changed). Lock
 * held. */
void virtio_irqs_changed(struct virtio_dev *vd);
/* Device reset (status 0): queues, features, the model's state. */
void virtio_reset(struct virtio_dev *vd);
/* device_status as the driver reads it (non-zero while a reset is still draining I/O). */
uint8_t virtio_status_read(struct virtio_dev *vd);
/* A driver write of device_status: reset, feature check, DRIVER_OK rules. */
void virtio_status_write(struct virtio_dev *vd, uint8_t val);
/* The selected 32 bits of the device's (driver = false) or the driver's features. */
uint32_t virtio_features_read(const struct virtio_dev *vd, bool driver);
/* The driver writes the selected 32 bits of its features. */
void virtio_features_write(struct virtio_dev *vd, uint32_t val);
/* Set the low or high 32 bits of a 64-bit register. */
void virtio_set_half(uint64_t *v, bool high, uint32_t val);
/* Before a queue register write: true (and DEVICE_NEEDS_RESET) once DRIVER_OK is set. */
bool virtio_queue_config_frozen(struct virtio_dev *vd);
/* The queue queue_select names, or NULL past the last one. */
struct virtio_queue_state *virtio_selected_queue(struct virtio_dev *vd);
/* Enable a queue once its rings check out, and register its kick. */
void virtio_queue_enable(struct virtio_dev *vd, struct virtio_queue_state *qs);

#endif
