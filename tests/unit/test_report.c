/* Unit tests: the --report JSON of a VM with no KVM behind it (report.c). The memory figures
 * depend on the process, so only their keys are checked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../devices/device.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../report.h"
#include "../../util.h"
#include "../../virtio/virtio.h"
#include "../../vm.h"
#include "../fake/test_env.h"

#define REPORT_PATH "build/tests/report.json"

static struct vm vm;
static struct vm_config cfg;
static struct vcpu vcpus[2];
static void blk_io_stats(void *dev, struct virtio_io_stats *out)
{
	(void)dev;
	*out = (struct virtio_io_stats){ .reads = 7, .writes = 6, .flushes = 5, .errors = 4,
					 .bytes_read = 4096, .bytes_written = 512 };
}

static const struct virtio_dev_ops blk_ops = { .name = "virtio-blk", .io_stats = blk_io_stats };
static struct virtio_dev blk;

static void setup_vm(void)
{
	struct irq_route msi = { .type = ROUTE_MSI, .msi_addr = 0x8090040, .msi_data = 3, .devid = 8 };
	struct irq_route spi = { .type = ROUTE_SPI, .intid = 160 };
	uint32_t gsi;

	memset(&vm, 0, sizeof(vm));
	cfg.name = "unit";
	vm.cfg = &cfg;
	vm.kvm_fd = vm.vm_fd = vm.event_fd = -1;
	vm.nr_vcpus = 2;
	test_env_irqchip(&vm, &gicv3_ops, true);
	vm.irq.its_enabled = true;
	vm.irq.routing.msi_devid = true;
	vm.nr_vcpus = 2;
	vm.vcpus = vcpus;
	vcpus[0].id = 0;
	vcpus[0].mpidr = 0x80000000;
	vcpus[0].exits[KVM_EXIT_MMIO] = 120;
	vcpus[0].exits[KVM_EXIT_SYSTEM_EVENT] = 1;
	vcpus[0].mmio_reads = 20;
	vcpus[0].mmio_writes = 100;
	vcpus[1].id = 1;
	vcpus[1].mpidr = 0x80000001;
	vcpus[1].exits[KVM_EXIT_INTR] = 7;
	vcpus[1].exits[63] = 2;
	vm.mem.gpa = 0x40000000;
	vm.mem.size = 512 << 20;
	vm.t_kvm_ready = 0.0125;
	vm.t_dtb = 0.02;
	vm.t_first_run = 0.03;
	vm.t_end = 1.5;
	irq_gsi_alloc(&vm.irq, &gsi);
	irq_route_set(&vm.irq, gsi, &spi);
	irq_gsi_alloc(&vm.irq, &gsi);
	irq_route_set(&vm.irq, gsi, &msi);
	vm.irq.routing.routes[gsi].signals = 42;
	irq_gsi_alloc(&vm.irq, &gsi);
	vm.irq.routing.spi_raised[33] = 5;
	vm.irq.routing.spi_raised[40] = 1;
	/* No transport: only the name and counters are reported. */
	blk = (struct virtio_dev){ .ops = &blk_ops, .kicks = 9, .interrupts = 8 };
	vm.virtio[0] = &blk;
	vm.nr_virtio = 1;
	assert_int_equal(device_list_add(&vm.devices, &virtio_device_class, &blk), 0);
	vm.cpu = (struct cpu_features){ .pmu = true, .sve = true, .sve_max_vl = 256, .pvtime = true };
}

static char *read_report(void)
{
	FILE *f = fopen(REPORT_PATH, "r");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

/* Everything but the memory figures, byte for byte; the memory object's keys; one line. */
static void test_report_json(void **state)
{
	static const char want[] =
		"{\"exit_code\": 0, \"exit_reason\": \"poweroff\", \"restarts\": 1, \"gic\": \"gicv3\", \"its\": true, "
		"\"nr_vcpus\": 2, \"timestamps\": {\"exec\": 0, \"kvm_ready\": 0.012500, \"dtb_built\": 0.020000, "
		"\"first_kvm_run\": 0.030000, \"first_console_byte\": 0.000000, \"expect_matches\": [], \"end\": 1.500000}, "
		"\"vcpus\": [{\"id\": 0, \"mpidr\": \"0x80000000\", \"mmio_reads\": 20, \"mmio_writes\": 100, "
		"\"exits\": {\"mmio\": 120, \"system_event\": 1}}, {\"id\": 1, \"mpidr\": \"0x80000001\", "
		"\"mmio_reads\": 0, \"mmio_writes\": 0, \"exits\": {\"intr\": 7, \"exit_63\": 2}}], \"irq_map\": [";
	static const char want_routes[] =
		"], \"spis_raised\": {\"33\": 5, \"40\": 1}, \"gsi_routes\": [{\"gsi\": 0, \"type\": \"spi\", "
		"\"intid\": 160, \"signals\": 0}, {\"gsi\": 1, \"type\": \"msi\", \"address\": \"0x8090040\", "
		"\"data\": 3, \"devid\": 8, \"signals\": 42}, {\"gsi\": 2, \"type\": \"none\", \"signals\": 0}], "
		"\"devices\": [{\"name\": \"virtio-blk\", \"kicks\": 9, \"interrupts\": 8, \"reads\": 7, "
		"\"writes\": 6, \"flushes\": 5, \"errors\": 4, \"bytes_read\": 4096, \"bytes_written\": 512}], "
		"\"memory\": "
		"{\"vmm_rss_kib_excluding_guest_ram\": ";
	struct report r;
	char *got, *p;

	(void)state;
	setup_vm();
	assert_int_equal(report_open(&r, REPORT_PATH), 0);
	assert_int_equal(report_write(&r, &vm, 0, 1), 0);
	got = read_report();
	assert_memory_equal(got, want, sizeof(want) - 1);
	assert_non_null(strstr(got, "{\"name\": \"uart\", \"intid\": "));
	/* The vCPU features, last. */
	assert_non_null(strstr(got, ", \"cpu_features\": {\"pmu\": true, \"sve\": true, \"sve_max_vl\": 256, "
				"\"pauth\": false, \"mte\": false, \"pvtime\": true}}"));
	p = strstr(got, want_routes);
	assert_non_null(p);
	for (const char *k = "vmm_peak_rss_kib_excluding_guest_ram\0peak_rss_kib\0guest_ram_resident_kib\0"
			     "guest_ram_kib\0"; *k; k += strlen(k) + 1)
		assert_non_null(strstr(p, k));
	assert_non_null(strstr(p, "\"memory_map\": [{\"name\": "));
	assert_non_null(strstr(p, "\"base\": \"0x40000000\", \"size\": \"0x20000000\"}"));
	/* One line of JSON, ended. */
	assert_ptr_equal(strchr(got, '\n'), got + strlen(got) - 1);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
