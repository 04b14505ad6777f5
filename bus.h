/* bus.h - the MMIO bus: devices register a region with one small ops table. */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct device_ops {
	const char *name;
	/* Bitmask of allowed access widths in bytes: (1 << 1) | (1 << 4) means 1 and 4. */
	unsigned widths;
	/* Guest access at offset off (< region size, aligned to len); 0 or -errno. */
	int (*read)(void *dev, uint64_t off, unsigned len, uint64_t *val);
	int (*write)(void *dev, uint64_t off, unsigned len, uint64_t val);
	/* Add the device's node to the FDT; 0 or -errno. May be NULL. */
	int (*fdt_node)(void *dev, void *fdt);
	/* Return the device to its power-on state. May be NULL. */
	void (*reset)(void *dev);
};

#define WIDTH(n) (1u << (n))

struct mmio_region {
	uint64_t base;
	uint64_t size;
	const struct device_ops *ops;
	void *dev;
};

#define MMIO_BUS_MAX 64

/* Regions change at run time (PCI BARs move), so lookups hold a read lock. */
struct mmio_bus {
	pthread_rwlock_t lock;
	struct mmio_region regions[MMIO_BUS_MAX];
	unsigned nr;
};

/* Initialise an empty bus. */
void mmio_bus_init(struct mmio_bus *bus);

/* Register [base, base + size) for a device; -EEXIST on overlap, -ENOSPC when full. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		      const struct device_ops *ops, void *dev);
/* Remove the region that starts at base and belongs to dev; 0 or -ENOENT. */
int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base, void *dev);
/* Call fn for each region (under the read lock); stops at the first non-zero return. */
int mmio_bus_for_each(struct mmio_bus *bus, int (*fn)(const struct mmio_region *r, void *arg), void *arg);
/*
 * Dispatch one guest access of len bytes (data little-endian, as in kvm_run.mmio).
 * Unclaimed addresses read as zero and ignore writes; a width or alignment the
 * device does not accept is refused the same way. Returns 0, or -errno from the device.
 */
int mmio_bus_access(struct mmio_bus *bus, uint64_t gpa, uint8_t *data, unsigned len, bool is_write);

#endif
