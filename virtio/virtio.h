/* virtio.h - what a virtio device model sees of its transport (virtio 1.2, chapters 2-4). */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../util.h"
#include "virtq.h"

struct device_class;
struct guest_mem;
struct irqchip;
struct dev_env;
struct iothread;
struct pci_bus;
struct pci_device;
struct msix;
struct virtio_io_stats;
struct emit;

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE  1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

/* Reserved feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

#define VIRTIO_MAX_QUEUES 17 /* virtio-net: 8 queue pairs and the control queue */

/* virtio-mmio: one 512-byte register window per device (virtio 1.2, 4.2.2); the same value
 * the board's memory map sizes its virtio-mmio region with. */
#define VIRTIO_MMIO_SLOT 0x200

/* Where the board puts virtio devices: filled by the board (arch/arm64/board.c), it outlives
 * every device created through it. */
struct virtio_host {
	const struct dev_env *env; /* guest RAM, MMIO bus, IRQ context, vm_fd for KVM_IOEVENTFD */
	struct iothread *io;       /* serves kicks, resamples and disk I/O */
	struct pci_bus *pci;       /* virtio-pci on this bus; NULL: virtio-mmio */
	/* virtio-mmio: windows of VIRTIO_MMIO_SLOT bytes from mmio_base (mmio_size in all),
	 * window n interrupting on SPI mmio_spi_first + n, of mmio_spi_count. */
	uint64_t mmio_base, mmio_size;
	uint32_t mmio_spi_first;
	unsigned mmio_spi_count;
	unsigned mmio_used;        /* windows handed out */
};

struct virtio_dev;

/* One device model: the transport calls these, with the device lock held. */
struct virtio_dev_ops {
	const char *name;
	uint16_t device_id;     /* virtio device ID (5): 2 block, 3 console, 4 entropy */
	uint32_t class_code;    /* PCI class code for the function */
	unsigned nr_queues;
	uint16_t queue_size;    /* maximum size offered for each queue */
	uint64_t features;      /* device-specific feature bits always offered */
	uint32_t config_size;   /* bytes of device configuration space */
	/* Copy device config bytes [off, off + len) into buf (off + len <= config_size). */
	void (*config_read)(void *dev, uint32_t off, void *buf, uint32_t len);
	/* The driver kicked queue q (ready, device status DRIVER_OK). I/O thread. */
	void (*queue_notify)(void *dev, unsigned q);
	/* The driver reset the device: drop in-flight state. */
	void (*reset)(void *dev);
	/* Still using guest memory from before a reset? (NULL: never) */
	bool (*busy)(void *dev);
	/* Free the device model (the transport is freed after). */
	void (*destroy)(void *dev);
	/* Copy the model's I/O counters into *out (zeroed before). NULL: it counts none. */
	void (*io_stats)(void *dev, struct virtio_io_stats *out);
	/* More members of the device's `stat`/report object after the counters (scalars only:
	 * stat's line takes no containers). NULL: none. */
	void (*report)(void *dev, struct emit *e);
	/* Watch the model's own fds with the I/O thread (virtio_watch, before it starts; a
	 * network backend's input). NULL: none. 0 or -errno. */
	int (*watch)(void *dev, struct iothread *io);
	/* The device status changed: a driver write, or DEVICE_NEEDS_RESET set (a reset calls
	 * ops->reset instead; a vCPU thread, lock held). A kernel backend (vhost) starts the
	 * rings at DRIVER_OK and stops them at DEVICE_NEEDS_RESET. NULL: nobody asks. */
	void (*status_changed)(void *dev);
	/* The interrupt path of a queue may have changed: MSI-X enable or function mask, a
	 * vector's mask, route or message, a queue's vector, Bus Master Enable (lock held):
	 * virtio_queue_irqfd may answer otherwise now (vhost re-wires its call fds). NULL:
	 * nobody asks. */
	void (*irqs_changed)(void *dev);
};

struct virtio_queue_state {
	struct virtq vq;
	bool enabled;
	int kick_fd;            /* eventfd: KVM_IOEVENTFD on the queue's notify address */
	uint64_t ioeventfd_addr; /* where kick_fd is registered, 0 if not */
};

/* What a device model counts of its I/O, for `stat` and the report (ops->io_stats). */
struct virtio_io_stats {
	uint64_t reads, writes, flushes, errors, bytes_read, bytes_written;
};

struct virtio_transport;

/* One virtio device: the state the virtio spec gives every transport (core.c), a pointer to
 * the transport's own (pci.c, mmio.c: vd->transport_state), and the device model's. */
struct virtio_dev {
	const struct dev_env *env; /* what it was created with (virtio_host.env) */
	struct irqchip *irq;    /* lines, routes, irqfds (irqchip/irq.h) */
	const struct guest_mem *mem; /* guest RAM for the model's own accesses; each queue keeps it too */
	const struct virtio_dev_ops *ops;
	const struct virtio_transport *transport;
	void *transport_state;  /* the transport's own: virtio-pci's function and MSI-X, virtio-mmio's window */
	void *dev;              /* the device model's state */
	pthread_mutex_t lock;   /* everything below, the transport's state, and the model's queues */
	uint64_t device_features; /* offered: the model's, the instance's, the transport's */
	uint64_t driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	uint32_t queue_select;  /* 32 bits: virtio-mmio's QueueSel is */
	struct virtio_queue_state queues[VIRTIO_MAX_QUEUES];
	/* The level line both transports have (PCI INTx, the virtio-mmio SPI): an irqfd on gsi
	 * with a resample eventfd (core.c). */
	struct {
		int fd, resample_fd;
		uint32_t gsi;
	} line;
	struct kick_watch *kick_watches;
	/* Queues the kernel serves (vhost), bit q for queue q, set by the model before
	 * virtio_watch: the I/O thread does not watch their kick eventfds, which the model
	 * hands to the kernel. */
	uint32_t kernel_queues;
	/* DEVICE_NEEDS_RESET reports: a rate-limit budget per reason, so a flood of one
	 * fault cannot hide another (reasons are string literals, compared by address). */
	struct {
		const char *why;
		struct ratelimit rl;
	} reset_reports[8];
	uint64_t kicks, interrupts;    /* counters */
};

/* Create a virtio-pci function for a device model (offering ops->features | features)
 * and put it on the PCI bus; 0 or -errno. */
int virtio_pci_create(struct virtio_host *h, const struct virtio_dev_ops *ops, void *dev, uint64_t features,
		      struct virtio_dev **out);
/* Create a virtio-mmio device (virtio 1.2, 4.2) at the host's next free window, with its
 * SPI. 0 or -errno. */
int virtio_mmio_create(struct virtio_host *h, const struct virtio_dev_ops *ops, void *dev, uint64_t features,
		       struct virtio_dev **out);
/* Create the device on the host's transport: PCI when h->pci is set, else MMIO. 0 or -errno. */
int virtio_create(struct virtio_host *h, const struct virtio_dev_ops *ops, void *dev, uint64_t features,
		  struct virtio_dev **out);
/* The same, on virtio-mmio when mmio is set (a device the command line put there on a PCI
 * VM: -n trans=mmio). 0 or -errno. */
int virtio_create_as(struct virtio_host *h, bool mmio, const struct virtio_dev_ops *ops, void *dev,
		     uint64_t features, struct virtio_dev **out);
/* Register the device's kick and resample eventfds, and the model's own (ops->watch), with
 * the I/O thread. 0 or -errno. */
int virtio_watch(struct virtio_dev *vd, struct iothread *io);
/* The device model's I/O counters (all 0 for a model that keeps none). */
void virtio_io_stats(const struct virtio_dev *vd, struct virtio_io_stats *out);
/* The device's PCI function, or NULL if it is not on PCI (virtio-mmio). */
struct pci_device *virtio_pci_function(const struct virtio_dev *vd);
/* The PCI function's MSI-X (devices/msix.h), or NULL if it is not on PCI. */
struct msix *virtio_pci_msix(const struct virtio_dev *vd);
/* Release the device's fds and memory, and the device model (ops->destroy). Safe on NULL. */
void virtio_destroy(struct virtio_dev *vd);
/* A virtio device in the VM's device list: destroy, and report (name, counters, place). */
extern const struct device_class virtio_device_class;
/* Was feature bit negotiated? (lock held) */
bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit);
/* The ring of queue q (lock held). */
struct virtq *virtio_queue(struct virtio_dev *vd, unsigned q);
/* After pushing used buffers on queue q: interrupt the driver if it wants one (lock held). */
void virtio_queue_interrupt(struct virtio_dev *vd, unsigned q);
/* May the device write guest memory now (PCI: Bus Master Enable)? A completion that comes
 * when it may not is held until it may (blk), and so is an MSI-X message (lock held). */
bool virtio_dma_allowed(struct virtio_dev *vd);
/* May the device take buffers from queue q now: DRIVER_OK, no DEVICE_NEEDS_RESET, the queue
 * enabled, and guest memory reachable (PCI: Bus Master Enable)? Kicks and host input (a
 * path that starts DMA on its own) both ask. (lock held) */
bool virtio_queue_live(struct virtio_dev *vd, unsigned q);
/* Take the next available chain of queue q, only while it is live (virtio_queue_live):
 * 1 with *c filled, 0 for none (or not live), -errno for a broken ring (lock held). Every
 * device model pops through this. */
int virtio_queue_pop(struct virtio_dev *vd, unsigned q, struct virtq_chain *c);
/* Come back to queue q later, as if the driver kicked it again: a device that stopped at
 * its per-notification budget lets the I/O thread serve other work first. (lock held) */
void virtio_queue_yield(struct virtio_dev *vd, unsigned q);
/* The eventfd that interrupts the driver for queue q without vmm (virtio-pci: the queue's
 * MSI-X vector's irqfd while a message may go out at once), or -1: then each interrupt goes
 * through virtio_queue_signal (the level line, a masked vector). For a kernel backend
 * (vhost's VHOST_SET_VRING_CALL). (lock held) */
int virtio_queue_irqfd(struct virtio_dev *vd, unsigned q);
/* Interrupt the driver for queue q now, whatever the ring asks: the kernel backend already
 * decided it wants one (its call eventfd fired). (lock held) */
void virtio_queue_signal(struct virtio_dev *vd, unsigned q);
/* The driver broke the rules (why): set DEVICE_NEEDS_RESET, report it (rate-limited) and
 * tell the driver; no queue of the device is processed until reset (lock held). */
void virtio_needs_reset(struct virtio_dev *vd, const char *why);

#endif
