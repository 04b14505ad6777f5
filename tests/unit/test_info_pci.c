/* Unit tests: `info pci` on a virtio-pci function of the PCI fixture, as text (the lines
 * the boot tests read) and as JSON, while the driver programs MSI-X. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pci_fixture.h"
#include "../../command.h"

static void check_reply(const char *line, const char *want)
{
	struct strbuf out = { 0 };

	command_run(&vm, line, &out);
	assert_string_equal(out.buf, want);
	sb_free(&out);
}

static void test_info_pci(void **state)
{
	(void)state;
	vm.virtio[0] = vd;
	vm.nr_virtio = 1;
	check_reply("info pci",
		    "00:01.0 virtio-rng [1af4:1044] BAR0 at 0x10020000 (32 KiB) INTx SPI 161, MSI-X disabled\n"
		    "  vector 0 address 0x0 data 0 masked gsi 0\n"
		    "  vector 1 address 0x0 data 0 masked gsi 1\n"
		    "ok\n");
	virtio_enable_bar();
	msix_setup(5);
	msix_control(MSIX_ENABLE);
	msix_entry(1, its_doorbell(), 7, false);
	check_reply("info pci",
		    "00:01.0 virtio-rng [1af4:1044] BAR0 at 0x10020000 (32 KiB) INTx SPI 161, MSI-X enabled\n"
		    "  vector 0 address 0x8090040 data 5 masked gsi 0\n"
		    "  vector 1 address 0x8090040 data 7 gsi 1 routed\n"
		    "ok\n");
	check_reply("info pci --json",
		    "{\"functions\": [{\"function\": {\"pci\": \"00:01.0\", \"name\": \"virtio-rng\", \"vendor_id\": \"1af4\", "
		    "\"device_id\": \"1044\", \"bar0_mapped\": true, \"bar0\": \"0x10020000\", \"bar0_kib\": 32, "
		    "\"intx_intid\": 161, \"msix_enabled\": true}, \"vectors\": [{\"vector\": 0, \"address\": \"0x8090040\", "
		    "\"data\": 5, \"masked\": true, \"pending\": false, \"gsi\": 0, \"routed\": false}, {\"vector\": 1, "
		    "\"address\": \"0x8090040\", \"data\": 7, \"masked\": false, \"pending\": false, \"gsi\": 1, "
		    "\"routed\": true}]}]}\nok\n");
	vm.nr_virtio = 0; /* the fixture destroys vd itself */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VIRTIO_TEST(test_info_pci),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
