/* Unit tests: the event loop's deadlines (vm.c): --timeout and the panic grace as poll(2)
 * timeouts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../vm.h"

static void test_poll_timeout_none_and_short(void **state)
{
	(void)state;
	assert_int_equal(vm_poll_timeout_ms(-1), -1);
	assert_int_equal(vm_poll_timeout_ms(0), 1);      /* rounded up: the deadline has passed */
	assert_int_equal(vm_poll_timeout_ms(0.01), 11);
	assert_int_equal(vm_poll_timeout_ms(120), 120001);
}

/* --timeout 597h and more overflowed int milliseconds into a negative poll timeout:
 * poll then waits forever and the deadline never comes. */
static void test_poll_timeout_long_deadlines_clamped(void **state)
{
	static const double waits[] = { 86400, 2147483.0, 597 * 3600.0, 1e6 * 3600, 1e300 };

	(void)state;
	for (unsigned i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		int ms = vm_poll_timeout_ms(waits[i]);

		assert_true(ms > 0);
		assert_true(ms <= 24 * 3600 * 1000);
		assert_true(ms >= 24 * 3600 * 1000 - 1000); /* no early wake-up storm either */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_timeout_none_and_short),
		cmocka_unit_test(test_poll_timeout_long_deadlines_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
