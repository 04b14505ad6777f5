/* device.c - the VM's device list: creation order kept, destruction in reverse. */
#include "device.h"

#include <errno.h>
#include <stddef.h>

#include "env.h"

int device_list_add(struct device_list *l, const struct device_class *cls, void *dev)
{
	if (l->nr >= DEVICE_LIST_MAX)
		return -ENOSPC;
	l->items[l->nr].cls = cls;
	l->items[l->nr].dev = dev;
	l->nr++;
	return 0;
}

void device_list_for_each(struct device_list *l, void (*fn)(const struct device_class *cls, void *dev, void *arg),
			  void *arg)
{
	for (unsigned i = 0; i < l->nr; i++)
		fn(l->items[i].cls, l->items[i].dev, arg);
}

void device_list_destroy(struct device_list *l)
{
	while (l->nr) {
		l->nr--;
		if (l->items[l->nr].cls->destroy)
			l->items[l->nr].cls->destroy(l->items[l->nr].dev);
	}
}

void dev_env_request_stop(const struct dev_env *env, int exit_code)
{
	env->events->request_stop(env->events->ctx, exit_code);
}

void console_sink_write(const struct console_sink *sink, const void *buf, size_t len)
{
	if (sink && sink->write)
		sink->write(sink->ctx, buf, len);
}
