/* pci.h - PCI host bridge: ECAM config space for bus 0, BARs mapped on the MMIO bus. */
#ifndef VMM_PCI_H
#define VMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../bus.h"

struct device_class;
struct dev_env;
struct pci_bus;

#define PCI_MAX_DEVICES 32
#define PCI_CFG_SIZE    256   /* conventional config space; ECAM offsets above read as 0 */
#define PCI_NR_BARS     6

/* Config space offsets and bits (PCI Local Bus Specification 3.0, chapter 6). */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS         0x06
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_BAR_MEM64      0x04
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID   0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d
#define PCI_CAP_ID_VNDR    0x09
#define PCI_CAP_ID_MSIX    0x11

struct pci_bar {
	uint64_t size;          /* power of two >= 4 KiB; 0 when the BAR is unused */
	bool mem64;
	uint64_t mapped_at;     /* where it is decoded on the MMIO bus; 0 when not */
	const struct device_ops *ops;
	void *dev;
};

struct pci_device {
	const char *name;
	uint8_t devfn;          /* slot << 3; function 0 only */
	pthread_mutex_t lock;   /* cfg, wmask, bars */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may change */
	unsigned next_cap;      /* where pci_cap_add puts the next one; PCI_CFG_SIZE when full */
	struct pci_bar bars[PCI_NR_BARS];
	uint32_t intx_intid;    /* the SPI INTA# is wired to (interrupt-map) */
	/* After a guest config write, called without pd->lock held: the device reacts. */
	void (*cfg_written)(void *owner, uint32_t off, unsigned len);
	/* After BARs were mapped, moved or unmapped, called without pd->lock held but with the
	 * bus's decode_lock: no other function's decoding changes until it returns. */
	void (*bars_changed)(void *owner);
	void *owner;
	struct pci_bus *bus;    /* set by pci_device_add */
};

/* A guest-physical window. */
struct pci_window {
	uint64_t base, size;
};

/* Where the board puts the host bridge: its ECAM window (bus 0) and the windows BARs are
 * decoded in (ranges: 32-bit and 64-bit memory). */
struct pci_layout {
	struct pci_window ecam, mmio32, mmio64;
};

struct pci_bus {
	const struct dev_env *env;
	struct pci_layout layout;
	/* Held across a config write that may change decoding and the device's bars_changed,
	 * so a range one function leaves is free of its kicks before another maps it. Lock
	 * order: decode_lock, then a device's own locks (its model's, then pd->lock). */
	pthread_mutex_t decode_lock;
	struct pci_device *devs[PCI_MAX_DEVICES];
	unsigned nr;
	uint64_t next_mmio32;   /* initial BAR placement; the guest may move BARs */
};

/* Create the host bridge at l and register its ECAM window on env's MMIO bus; 0 or -errno. */
int pci_bus_create(const struct dev_env *env, const struct pci_layout *l, struct pci_bus **out);
/* Free the bridge (devices are freed by their owners). Safe on NULL. */
void pci_bus_destroy(struct pci_bus *bus);
/* The bridge in the VM's device list. */
extern const struct device_class pci_bus_device_class;
/* Initialise a device's header (vendor, device, class) with an empty capability list. */
void pci_device_init(struct pci_device *pd, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id);
/* Declare BAR n: a memory BAR of size bytes served by ops/dev. 0 or -EINVAL. */
int pci_bar_add(struct pci_device *pd, unsigned n, uint64_t size, bool mem64,
		const struct device_ops *ops, void *dev);
/* Append a capability (id, then body after the 2-byte header); wmask marks body bits the
 * guest may write. Returns the capability's config offset, or -ENOSPC. */
int pci_cap_add(struct pci_device *pd, uint8_t id, const void *body, unsigned len, const void *wmask);
/* Put a device on bus 0: slot, INTx SPI, initial BAR addresses. 0 or -errno. */
int pci_device_add(struct pci_bus *bus, struct pci_device *pd);
/* Requester ID (bus 0: the devfn), the ITS device ID through msi-map. */
uint16_t pci_requester_id(const struct pci_device *pd);
/* Read config space (1, 2 or 4 bytes, under the device lock). */
uint32_t pci_cfg_read(struct pci_device *pd, uint32_t off, unsigned len);
/* Where BAR n is decoded now (0: not), read under the device lock. */
uint64_t pci_bar_mapped_at(struct pci_device *pd, unsigned n);
/* Emulate a guest config write: writable bits only, then BAR remapping and callbacks. */
void pci_cfg_write(struct pci_device *pd, uint32_t off, unsigned len, uint32_t val);
/* Add the host bridge node (ranges, msi-map / msi-parent, interrupt-map); 0 or -errno. */
int pci_fdt_node(struct pci_bus *bus, void *fdt);

#endif
