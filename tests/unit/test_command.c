/* Unit tests: the control command parser and its replies, against expected-output files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "../../arch/arm64/arch.h"
#include "../../command.h"
#include "../../devices/device.h"
#include "../../control.h"
#include "../../emit.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../util.h"
#include "../../virtio/virtio.h"
#include "../../vm.h"
#include "../fake/test_env.h"

#define EXPECTED_DIR "tests/unit/expected/"

static struct vm vm;
static struct vm_config cfg;
static struct vcpu vcpus[2];

static void blk_io_stats(void *dev, struct virtio_io_stats *out)
{
	(void)dev;
	*out = (struct virtio_io_stats){ .reads = 7, .writes = 6, .flushes = 5, .errors = 4 };
}

static const struct virtio_dev_ops blk_ops = { .name = "virtio-blk", .io_stats = blk_io_stats };
static struct virtio_dev blk;
/* A listed device that does not report: stat leaves it out. */
static const struct device_class quiet_class = { .name = "quiet" };

/* A VM with no KVM behind it: enough state for the commands that only report. */
static int setup(void **state)
{
	struct irq_route msi = { .type = ROUTE_MSI, .msi_addr = 0x8090040, .msi_data = 3, .devid = 8 };
	struct irq_route spi = { .type = ROUTE_SPI, .intid = 160 };
	uint32_t gsi;

	(void)state;
	memset(&vm, 0, sizeof(vm));
	cfg.name = "unit";
	vm.cfg = &cfg;
	vm.kvm_fd = vm.vm_fd = vm.event_fd = -1;
	vm.nr_vcpus = 2;
	test_env_irqchip(&vm, &gicv3_ops, false);
	vm.irq.routing.msi_devid = true;
	vm.vcpus = vcpus;
	vcpus[0].exits[KVM_EXIT_MMIO] = 120;
	vcpus[0].mmio_reads = 20;
	vcpus[0].mmio_writes = 100;
	vcpus[1].exits[KVM_EXIT_INTR] = 7;
	vm.mem.gpa = 0x40000000;
	vm.mem.size = 512 << 20;
	vm.boot = (struct boot_info){ .kernel_gpa = 0x40000000, .kernel_end = 0x42000000,
				      .initrd_gpa = 0x5f000000, .initrd_size = 0x100000, .dtb_gpa = 0x5fe00000 };
	irq_gsi_alloc(&vm.irq, &gsi);
	irq_route_set(&vm.irq, gsi, &spi);
	irq_gsi_alloc(&vm.irq, &gsi);
	irq_route_set(&vm.irq, gsi, &msi);
	vm.irq.routing.routes[gsi].signals = 42;
	vm.irq.routing.spi_raised[33] = 5;
	blk = (struct virtio_dev){ .ops = &blk_ops, .kicks = 9, .interrupts = 8 };
	assert_int_equal(device_list_add(&vm.devices, &quiet_class, &blk), 0);
	assert_int_equal(device_list_add(&vm.devices, &virtio_device_class, &blk), 0);
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Run each line of tests/unit/expected/NAME.in; the replies must equal NAME.out. */
static void check_transcript(const char *name)
{
	char path[256], *in, *want, *line, *save = NULL;
	struct strbuf got = { 0 };

	snprintf(path, sizeof(path), EXPECTED_DIR "%s.in", name);
	in = read_file(path);
	assert_non_null(in);
	snprintf(path, sizeof(path), EXPECTED_DIR "%s.out", name);
	want = read_file(path);
	assert_non_null(want);
	for (line = strtok_r(in, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		sb_printf(&got, "> %s\n", line);
		command_run(&vm, !strcmp(line, "<empty>") ? "" : line, &got);
	}
	if (!got.buf || strcmp(got.buf, want)) {
		/* Leave what we got beside the expectation, for a diff. */
		snprintf(path, sizeof(path), "build/tests/%s.got", name);
		FILE *f = fopen(path, "w");

		if (f) {
			fputs(got.buf ? got.buf : "", f);
			fclose(f);
		}
		fail_msg("replies differ from " EXPECTED_DIR "%s.out; see %s", name, path);
	}
	sb_free(&got);
	free(in);
	free(want);
}

static void test_malformed(void **state)
{
	(void)state;
	check_transcript("command-malformed");
}

static void test_reports(void **state)
{
	(void)state;
	check_transcript("command-reports");
}

static void test_oversized_line(void **state)
{
	char line[COMMAND_LINE_MAX + 10];
	struct strbuf out = { 0 };

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	command_run(&vm, line, &out);
	assert_string_equal(out.buf, "error: line longer than 1023 bytes\n");
	sb_free(&out);
}

static void test_control_bytes_not_echoed(void **state)
{
	struct strbuf out = { 0 };

	(void)state;
	command_run(&vm, "\x1b[2Jevil", &out);
	assert_string_equal(out.buf, "error: unknown command '?[2Jevil' (try help)\n");
	sb_free(&out);
}

/* Issue 11 (b): the guest owns the DTB in its RAM and may rewrite its header; info dtb gives
 * the host's copy as built, and the client writes exactly that to the file. */
static void test_dtb_is_the_built_one(void **state)
{
	static uint8_t built[4096], ram[8192];
	const char *path = "build/tests/test_command.dtb";
	struct strbuf out = { 0 };
	char err[256];
	uint8_t got[sizeof(ram)];
	size_t size = 0;
	FILE *f;

	(void)state;
	assert_int_equal(fdt_create_empty_tree(built, sizeof(built)), 0);
	assert_int_equal(fdt_setprop_string(built, 0, "compatible", "vmm,unit"), 0);
	assert_int_equal(fdt_pack(built), 0);
	memcpy(ram, built, fdt_totalsize(built));
	vm.dtb = built;
	vm.dtb_size = fdt_totalsize(built);
	vm.fdt = ram;
	/* The guest's rewrite: its DTB now claims all of RAM and more. */
	fdt_set_totalsize(ram, sizeof(ram));
	memset(ram + vm.dtb_size, 0xee, sizeof(ram) - vm.dtb_size);

	command_run(&vm, "info dtb", &out);
	assert_non_null(strstr(out.buf, "\nok\n"));
	assert_int_equal(control_save_dtb(&out, path, &size, err, sizeof(err)), 0);
	assert_int_equal(size, vm.dtb_size);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got), f), vm.dtb_size);
	fclose(f);
	assert_memory_equal(got, built, vm.dtb_size);
	sb_free(&out);

	/* The VM process writes no file: a FILE argument is the client's job. */
	command_run(&vm, "info dtb /tmp/x.dtb", &out);
	assert_non_null(strstr(out.buf, "error: info dtb FILE is written by the client"));
	sb_free(&out);
	vm.dtb = vm.fdt = NULL;
	vm.dtb_size = 0;
}

/* A reply that lies (cut short, bad base64, more bytes than its size line) writes nothing. */
static void test_dtb_reply_checked(void **state)
{
	static const char *const bad[] = {
		"dtb 4 bytes, base64:\ndtb:AAE=\nok\n",
		"dtb 2 bytes, base64:\ndtb:AAECAw==\nok\n",
		"dtb 3 bytes, base64:\ndtb:AA!C\nok\n",
		"dtb:AAEC\nok\n",
		"dtb 3 bytes, base64:\ndtb:AA=C\nok\n",
	};
	struct strbuf r = { 0 };
	char err[256];
	size_t size;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		sb_printf(&r, "%s", bad[i]);
		assert_int_equal(control_save_dtb(&r, "build/tests/test_command-bad.dtb", &size, err, sizeof(err)), -EINVAL);
		sb_free(&r);
	}
	sb_printf(&r, "dtb 3 bytes, base64:\ndtb:AAEC\nok\n");
	assert_int_equal(control_save_dtb(&r, "build/tests/test_command-good.dtb", &size, err, sizeof(err)), 0);
	assert_int_equal(size, 3);
	sb_free(&r);
}

/* The uptime in a status reply (it moves, so the tests rebuild the reply around it). */
static double reply_uptime(const char *reply, const char *after)
{
	const char *p = strstr(reply, after);

	assert_non_null(p);
	return strtod(p + strlen(after), NULL);
}

/* status as text: exactly the lines it always had ("key value"; the boot tests match
 * "^state paused" and vmm status prints them), then the vCPU features' lines. */
static void test_status_text(void **state)
{
	struct strbuf out = { 0 };
	char want[512];

	(void)state;
	vm.irq.its_enabled = true;
	vm.paused = true;
	vm.cpu = (struct cpu_features){ .pmu = true, .sve = true, .sve_max_vl = 512, .pvtime = true };
	command_run(&vm, "status", &out);
	assert_non_null(out.buf);
	snprintf(want, sizeof(want), "name unit\nstate paused\nuptime %.3f\ngic gicv3+its\nvcpus 2\nram_mib 512\n"
		 "pmu yes\nsve yes\nsve_max_vl 512\npauth no\nmte no\npvtime yes\nok\n",
		 reply_uptime(out.buf, "\nuptime "));
	assert_string_equal(out.buf, want);
	vm.irq.its_enabled = false;
	vm.paused = false;
	memset(&vm.cpu, 0, sizeof(vm.cpu));
	sb_free(&out);
}

/* status --json: the same description as one line of JSON, then "ok"; its fields read
 * back the way vmm list reads them. */
static void test_status_json(void **state)
{
	struct strbuf out = { 0 };
	char want[512], val[32];

	(void)state;
	cfg.name = "quote\"d";
	command_run(&vm, "status --json", &out);
	assert_non_null(out.buf);
	snprintf(want, sizeof(want), "{\"name\": \"quote\\\"d\", \"state\": \"running\", \"uptime\": %.3f, "
		 "\"gic\": \"gicv3\", \"vcpus\": 2, \"ram_mib\": 512, \"pmu\": false, \"sve\": false, "
		 "\"sve_max_vl\": 0, \"pauth\": false, \"mte\": false, \"pvtime\": false}\nok\n",
		 reply_uptime(out.buf, "\"uptime\": "));
	assert_string_equal(out.buf, want);
	assert_int_equal(emit_json_get(out.buf, "name", val, sizeof(val)), 0);
	assert_string_equal(val, "quote\"d");
	assert_int_equal(emit_json_get(out.buf, "vcpus", val, sizeof(val)), 0);
	assert_string_equal(val, "2");
	cfg.name = "unit";
	sb_free(&out);
}

/* stat --json: the counters of the text reply (expected/command-reports.out), as fields. */
static void test_stat_json(void **state)
{
	struct strbuf out = { 0 };

	(void)state;
	command_run(&vm, "stat --json", &out);
	assert_string_equal(out.buf,
		"{\"vcpus\": [{\"vcpu\": 0, \"mmio\": 120, \"mmio_reads\": 20, \"mmio_writes\": 100, \"intr\": 0, "
		"\"system_event\": 0}, {\"vcpu\": 1, \"mmio\": 0, \"mmio_reads\": 0, \"mmio_writes\": 0, \"intr\": 7, "
		"\"system_event\": 0}], \"gsis\": [{\"gsi\": 0, \"type\": \"spi\", \"signals\": 0}, "
		"{\"gsi\": 1, \"type\": \"msi\", \"signals\": 42}], \"spis\": [{\"intid\": 33, \"raised\": 5}], "
		"\"devices\": [{\"name\": \"virtio-blk\", \"kicks\": 9, \"interrupts\": 8, \"reads\": 7, \"writes\": 6, "
		"\"flushes\": 5, \"errors\": 4, \"bytes_read\": 0, \"bytes_written\": 0}]}\nok\n");
	sb_free(&out);
}

/* info irq, pci and mem describe state: --json gives the lines' fields, the headings left out. */
static void test_info_json(void **state)
{
	struct strbuf out = { 0 };

	(void)state;
	command_run(&vm, "info irq --json", &out);
	assert_non_null(strstr(out.buf, "{\"irq_map\": [{\"name\": \"pmu\", \"intid\": 23, "
				   "\"last_intid\": 23, \"trigger\": \"level\", \"count\": 1}, "
				   "{\"name\": \"gic-maintenance\", \"intid\": 25, "
				   "\"last_intid\": 25, \"trigger\": \"level\", \"count\": 1}, "));
	assert_non_null(strstr(out.buf, "], \"gsi_routes\": [{\"gsi\": 0, \"type\": \"spi\", \"intid\": 160, "
				   "\"signals\": 0}, {\"gsi\": 1, \"type\": \"msi\", \"address\": \"0x8090040\", "
				   "\"data\": 3, \"devid\": \"0x8\", \"signals\": 42}], \"spis\": [{\"intid\": 33, "
				   "\"raised\": 5}]}\nok\n"));
	sb_free(&out);
	command_run(&vm, "info pci --json", &out);
	assert_string_equal(out.buf, "{\"functions\": []}\nok\n");
	sb_free(&out);
	command_run(&vm, "info mem --json", &out);
	assert_non_null(strstr(out.buf, "{\"name\": \"ram\", \"base\": \"0x40000000\", \"size\": \"0x20000000\"}"));
	assert_non_null(strstr(out.buf, "\"boot\": {\"kernel\": \"0x40000000\", \"kernel_end\": \"0x42000000\", "
				   "\"initrd\": \"0x5f000000\", \"initrd_size\": \"0x100000\", \"dtb\": \"0x5fe00000\"}}\nok\n"));
	sb_free(&out);
}

/* --json belongs to the describing commands only, and only as the last word. */
static void test_json_only_where_described(void **state)
{
	static const struct { const char *line, *reply; } cases[] = {
		{ "status --json extra", "error: usage: status                     name, state, uptime, GIC, vCPUs\n" },
		{ "status extra", "error: usage: status                     name, state, uptime, GIC, vCPUs\n" },
		{ "pause --json", "error: usage: pause                      stop the vCPUs (guest time stops too)\n" },
		{ "info gic --json", "error: usage: info gic [all]|its|irq|pci|mem|io|net|dtb FILE\n" },
		{ "info mem extra --json", "error: usage: info gic [all]|its|irq|pci|mem|io|net|dtb FILE\n" },
		{ "info irq --json extra", "error: usage: info gic [all]|its|irq|pci|mem|io|net|dtb FILE\n" },
		{ "info --json", "error: usage: info gic [all]|its|irq|pci|mem|io|net|dtb FILE\n" },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf out = { 0 };

		command_run(&vm, cases[i].line, &out);
		assert_string_equal(out.buf, cases[i].reply);
		sb_free(&out);
	}
	assert_true(command_describes("status"));
	assert_true(command_describes("stat"));
	assert_false(command_describes("info"));
	assert_false(command_describes("nonesuch"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_info_json),
		cmocka_unit_test(test_oversized_line),
		cmocka_unit_test(test_control_bytes_not_echoed),
		cmocka_unit_test(test_dtb_is_the_built_one),
		cmocka_unit_test(test_dtb_reply_checked),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_stat_json),
		cmocka_unit_test(test_json_only_where_described),
	};
	return cmocka_run_group_tests_name("command", tests, setup, NULL);
}
