/* Unit tests: the event loop's deadlines (vm.c): --timeout and the panic grace as poll(2)
 * timeouts; what the VM makes of the console's reports (exit codes, the panic's time). */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "../../console.h"
#include "../../vm.h"

static struct vm_config cfg;

/* Only what vm_request_stop and vm_wake touch: no KVM. */
static void fake_vm(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = &cfg;
	vm->event_fd = eventfd(0, EFD_NONBLOCK);
	assert_true(vm->event_fd >= 0);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	atomic_store(&vm->exit_code, -1);
}

static bool woken(struct vm *vm)
{
	uint64_t n = 0;

	return read(vm->event_fd, &n, sizeof(n)) == sizeof(n) && n;
}

static void test_console_fail_on_and_expect(void **state)
{
	struct console_events ev;
	struct vm vm;

	(void)state;
	fake_vm(&vm);
	vm_console_events(&vm, &ev);
	assert_ptr_equal(ev.arg, &vm);
	assert_true(ev.now(ev.arg) > 0);
	ev.saw(ev.arg, CONSOLE_FAIL_ON_MATCHED, 1.0);
	assert_true(atomic_load(&vm.stopping));
	assert_int_equal(atomic_load(&vm.exit_code), VMM_EXIT_FAIL_ON);
	assert_true(woken(&vm));
	ev.saw(ev.arg, CONSOLE_EXPECT_MATCHED, 2.0); /* the first stop wins */
	assert_int_equal(atomic_load(&vm.exit_code), VMM_EXIT_FAIL_ON);
	close(vm.event_fd);

	fake_vm(&vm);
	vm_console_events(&vm, &ev);
	ev.saw(ev.arg, CONSOLE_EXPECT_MATCHED, 1.0);
	assert_int_equal(atomic_load(&vm.exit_code), VMM_EXIT_POWEROFF);
	assert_true(atomic_load(&vm.stopping));
	close(vm.event_fd);
}

/* The banner stops nothing yet: it sets the panic's time once and wakes the event loop for
 * its new deadline. */
static void test_console_panic_sets_deadline(void **state)
{
	struct console_events ev;
	struct vm vm;

	(void)state;
	fake_vm(&vm);
	vm_console_events(&vm, &ev);
	ev.saw(ev.arg, CONSOLE_PANIC_BANNER, 3.5);
	assert_false(atomic_load(&vm.stopping));
	assert_int_equal(atomic_load(&vm.exit_code), -1);
	assert_true(atomic_load(&vm.t_panic) == 3.5);
	assert_true(woken(&vm));
	ev.saw(ev.arg, CONSOLE_PANIC_BANNER, 7.0);
	assert_true(atomic_load(&vm.t_panic) == 3.5);
	assert_false(woken(&vm));
	close(vm.event_fd);
}

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
		cmocka_unit_test(test_console_fail_on_and_expect),
		cmocka_unit_test(test_console_panic_sets_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
