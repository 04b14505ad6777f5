/* test_exit.c - the test-exit register: `devmem 0x01010000 32 7` in a guest makes vmm exit 7. */
#include "test_exit.h"

#include <errno.h>
#include <stdlib.h>

#include "../bus.h"
#include "../fdt/fdt_build.h"
#include "../util.h"
#include "device.h"
#include "env.h"

struct test_exit {
	const struct dev_env *env;
	uint64_t base;
};

static int test_exit_read(void *dev, uint64_t off, unsigned len, uint64_t *val)
{
	(void)dev, (void)off, (void)len;
	*val = 0;
	return 0;
}

static int test_exit_write(void *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct test_exit *t = dev;

	(void)len;
	if (off == 0)
		dev_env_request_stop(t->env, (int)(val & 0xff));
	return 0;
}

static int test_exit_fdt_node(void *dev, void *fdt)
{
	struct test_exit *t = dev;
	uint64_t reg[2] = { t->base, 4 };

	FDT_TRY(fdt_begin_node_at(fdt, "test-exit", t->base));
	FDT_TRY(fdt_property_string(fdt, "compatible", "vmm,test-exit"));
	FDT_TRY(fdt_prop_reg(fdt, reg, 1));
	FDT_TRY(fdt_end_node(fdt));
	return 0;
}

static const struct device_ops test_exit_ops = {
	.name = "test-exit",
	.widths = WIDTH(4),
	.read = test_exit_read,
	.write = test_exit_write,
	.fdt_node = test_exit_fdt_node,
};

int test_exit_create(const struct dev_env *env, uint64_t base, struct test_exit **out)
{
	struct test_exit *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	t->env = env;
	t->base = base;
	ret = mmio_bus_register(env->mmio, base, 4, &test_exit_ops, t);
	if (ret) {
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void test_exit_destroy(struct test_exit *t)
{
	free(t);
}

static void test_exit_class_destroy(void *dev)
{
	test_exit_destroy(dev);
}

const struct device_class test_exit_device_class = { .name = "test-exit", .destroy = test_exit_class_destroy };
