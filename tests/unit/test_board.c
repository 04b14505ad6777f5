/* Unit tests: the board (arch/arm64/board.c) lists every device it creates in creation
 * order, and after an abandoned drain the virtio devices come off the list, so destroying
 * it (vm_destroy) leaves them to the process exit. Linked with the fake VM (no io_uring). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/memmap.h"
#include "../../devices/device.h"
#include "../../virtio/virtio.h"
#include "../fuzz/fuzz.h"

#define RAM_SIZE 0x10000u

static void note_name(const struct device_class *cls, void *dev, void *arg)
{
	char *names = arg;

	(void)dev;
	if (*names)
		strcat(names, " ");
	strcat(names, cls->name);
}

/* rng and virtio-console on virtio-mmio, as vm_create builds them: without the fake VM's
 * own PCI bridge. */
static struct vm *board_vm(struct vm_config *cfg, char *names)
{
	struct vm *vm = fake_vm_create(RAM_SIZE, FAKE_GICV3_ITS, 1);

	mmio_bus_unregister(&vm->mmio, guest_memmap[MEM_PCI_ECAM].base, vm->pci);
	test_env_pci_destroy(vm);

	*cfg = (struct vm_config){ .rng = true, .virtio_console = true, .virtio_mmio = true };
	vm->cfg = cfg;
	test_env_init(vm);
	assert_int_equal(board_create_devices(vm), 0);
	names[0] = 0;
	device_list_for_each(&vm->devices, note_name, names);
	return vm;
}

static void test_every_device_listed(void **state)
{
	struct vm_config cfg;
	char names[128];
	struct vm *vm = board_vm(&cfg, names);

	(void)state;
	assert_string_equal(names, "uart test-exit virtio virtio");
	assert_non_null(vm->uart);
	assert_int_equal(vm->nr_virtio, 2);
	assert_int_equal(vm->vhost.mmio_used, 2);
	assert_ptr_equal(vm->console_dev, vm->virtio[1]); /* console input: virtio-console */
	device_list_destroy(&vm->devices);
	assert_int_equal(vm->devices.nr, 0);
	vm->uart = NULL;
	vm->nr_virtio = 0;
	fake_vm_destroy(vm);
}

static void test_abandoned_drain_keeps_virtio(void **state)
{
	struct vm_config cfg;
	char names[128];
	struct vm *vm = board_vm(&cfg, names);
	struct virtio_dev *left[2] = { vm->virtio[0], vm->virtio[1] };

	(void)state;
	board_forget_virtio(vm);
	names[0] = 0;
	device_list_for_each(&vm->devices, note_name, names);
	assert_string_equal(names, "uart test-exit");
	assert_int_equal(vm->nr_virtio, 0);
	device_list_destroy(&vm->devices);
	vm->uart = NULL;
	/* What the process exit would release. */
	virtio_destroy(left[0]);
	virtio_destroy(left[1]);
	fake_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_device_listed),
		cmocka_unit_test(test_abandoned_drain_keeps_virtio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
