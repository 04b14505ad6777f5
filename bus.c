/* bus.c - MMIO dispatch: width, alignment and range are checked here, before any device. */
#include "bus.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util.h"

void mmio_bus_init(struct mmio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		      const struct device_ops *ops, void *dev)
{
	int ret = 0;

	if (!size || base + size < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned i = 0; i < bus->nr && !ret; i++) {
		const struct mmio_region *r = &bus->regions[i];

		if (base < r->base + r->size && r->base < base + size)
			ret = -EEXIST;
	}
	if (!ret && bus->nr >= MMIO_BUS_MAX)
		ret = -ENOSPC;
	if (!ret)
		bus->regions[bus->nr++] = (struct mmio_region){ base, size, ops, dev };
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base, void *dev)
{
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned i = 0; i < bus->nr; i++) {
		if (bus->regions[i].base == base && bus->regions[i].dev == dev) {
			bus->regions[i] = bus->regions[--bus->nr];
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int mmio_bus_for_each(struct mmio_bus *bus, int (*fn)(const struct mmio_region *r, void *arg), void *arg)
{
	int ret = 0;

	pthread_rwlock_rdlock(&bus->lock);
	for (unsigned i = 0; i < bus->nr && !ret; i++)
		ret = fn(&bus->regions[i], arg);
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static struct mmio_region *mmio_bus_find(struct mmio_bus *bus, uint64_t gpa)
{
	for (unsigned i = 0; i < bus->nr; i++) {
		struct mmio_region *r = &bus->regions[i];

		if (gpa >= r->base && gpa - r->base < r->size)
			return r;
	}
	return NULL;
}

int mmio_bus_access(struct mmio_bus *bus, uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
	struct mmio_region *found, r;
	uint64_t off, val = 0;
	int ret;

	/* Copy the region out: a BAR may move once the lock is dropped. */
	pthread_rwlock_rdlock(&bus->lock);
	found = mmio_bus_find(bus, gpa);
	if (found)
		r = *found;
	pthread_rwlock_unlock(&bus->lock);
	if (!found) {
		log_ratelimited("mmio: %s of %u bytes at unmapped 0x%" PRIx64,
				is_write ? "write" : "read", len, gpa);
		goto ignore;
	}
	off = gpa - r.base;
	if (len > 8 || !(r.ops->widths & WIDTH(len)) || !IS_ALIGNED(off, len) ||
	    len > r.size - off) {
		log_ratelimited("%s: refused %u-byte %s at offset 0x%" PRIx64, r.ops->name, len,
				is_write ? "write" : "read", off);
		goto ignore;
	}
	if (is_write)
		return r.ops->write(r.dev, off, len, le_load(data, len));
	ret = r.ops->read(r.dev, off, len, &val);
	le_store(data, len, ret ? 0 : val);
	return ret;
ignore:
	if (!is_write)
		memset(data, 0, len > 8 ? 8 : len);
	return 0;
}
