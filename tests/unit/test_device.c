/* Unit tests: the device list (devices/device.h): order kept, reverse destruction, full list. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../devices/device.h"

static char order[DEVICE_LIST_MAX + 1];
static unsigned nr_order;

static void note_destroy(void *dev)
{
	order[nr_order++] = *(char *)dev;
}

static void note_visit(const struct device_class *cls, void *dev, void *arg)
{
	(void)cls;
	(void)arg;
	order[nr_order++] = *(char *)dev;
}

static const struct device_class with_destroy = { .name = "a", .destroy = note_destroy };
static const struct device_class without_destroy = { .name = "b" };

static void test_order(void **state)
{
	struct device_list l = { .nr = 0 };
	char a = 'a', b = 'b', c = 'c';

	(void)state;
	nr_order = 0;
	assert_int_equal(device_list_add(&l, &with_destroy, &a), 0);
	assert_int_equal(device_list_add(&l, &without_destroy, &b), 0);
	assert_int_equal(device_list_add(&l, &with_destroy, &c), 0);
	device_list_for_each(&l, note_visit, NULL);
	assert_memory_equal(order, "abc", 3);
	nr_order = 0;
	device_list_destroy(&l);
	assert_int_equal(nr_order, 2);     /* b has no destroy */
	assert_memory_equal(order, "ca", 2);
	assert_int_equal(l.nr, 0);
	device_list_destroy(&l);           /* twice: nothing more */
	assert_int_equal(nr_order, 2);
}

static void test_full(void **state)
{
	struct device_list l = { .nr = 0 };
	char x = 'x';

	(void)state;
	for (unsigned i = 0; i < DEVICE_LIST_MAX; i++)
		assert_int_equal(device_list_add(&l, &without_destroy, &x), 0);
	assert_int_equal(device_list_add(&l, &without_destroy, &x), -ENOSPC);
	assert_int_equal(l.nr, DEVICE_LIST_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
