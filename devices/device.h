/* device.h - the VM's list of devices: each is one model's state and one ops table.
 *
 * The list gives every device the same life: created by the board in order, reported by
 * `stat` in order, destroyed in reverse order by vm_destroy. */
#ifndef VMM_DEVICES_DEVICE_H
#define VMM_DEVICES_DEVICE_H

struct emit;

/* One device model's table; every member but name may be NULL. */
struct device_class {
	const char *name;
	/* Return the device to its power-on state (guest reset without a new VM). */
	void (*reset)(void *dev);
	/* Release everything the constructor acquired. */
	void (*destroy)(void *dev);
	/* The device's counters and state, as members of an object `stat` has opened. */
	void (*report)(void *dev, struct emit *e);
	/* save and restore come here with snapshots. */
};

#define DEVICE_LIST_MAX 48

struct device_list {
	struct {
		const struct device_class *cls;
		void *dev;
	} items[DEVICE_LIST_MAX];
	unsigned nr;
};

/* Append a created device; 0, or -ENOSPC when the list is full (the caller destroys it). */
int device_list_add(struct device_list *l, const struct device_class *cls, void *dev);
/* Call fn for each device in creation order. */
void device_list_for_each(struct device_list *l, void (*fn)(const struct device_class *cls, void *dev, void *arg),
			  void *arg);
/* Destroy every device, the last created first, and empty the list. */
void device_list_destroy(struct device_list *l);

#endif
