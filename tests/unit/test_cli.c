/* Unit tests: `vmm run` command-line parsing, good and bad. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../cli.h"
#include "../../util.h"

#define PARSE(cfg, err, ...)                                                              \
	({                                                                                \
		char *argv_[] = { "run", __VA_ARGS__, NULL };                             \
		cli_parse_run(sizeof(argv_) / sizeof(argv_[0]) - 1, argv_, (cfg), (err), 256); \
	})

static void test_full(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-k", "Image", "-i", "initrd", "-p", "console=ttyS0 quiet", "-c", "4",
			       "-m", "2G", "--gic=v3", "--its", "--name", "ci-1"), 0);
	assert_string_equal(c.kernel, "Image");
	assert_string_equal(c.initrd, "initrd");
	assert_string_equal(c.cmdline, "console=ttyS0 quiet");
	assert_int_equal(c.nr_vcpus, 4);
	assert_int_equal(c.mem_size, 2ULL << 30);
	assert_int_equal(c.gic, GIC_V3);
	assert_true(c.its);
	assert_string_equal(c.name, "ci-1");
}

static void test_defaults_and_positional(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "--gic=v3", "--its", "kernel.img"), 0);
	assert_string_equal(c.kernel, "kernel.img");
	assert_null(c.cmdline);
	assert_null(c.initrd);
	assert_int_equal(c.nr_vcpus, CLI_DEFAULT_VCPUS);
	assert_int_equal(c.mem_size, CLI_DEFAULT_MEM);
	assert_int_equal(PARSE(&c, err, "Image"), 0);
	assert_int_equal(c.gic, GIC_AUTO);
	assert_int_equal(c.kernel_format, KERNEL_FORMAT_IMAGE);
	assert_int_equal(PARSE(&c, err, "--kernel-format=raw", "fw.bin"), 0);
	assert_int_equal(c.kernel_format, KERNEL_FORMAT_RAW);
}

static void test_mem_sizes(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "-m", "512", "I"), 0);
	assert_int_equal(c.mem_size, 512ULL << 20);
	assert_int_equal(PARSE(&c, err, "-m", "512M", "I"), 0);
	assert_int_equal(c.mem_size, 512ULL << 20);
	assert_int_equal(PARSE(&c, err, "-m", "2g", "I"), 0);
	assert_int_equal(c.mem_size, 2ULL << 30);
	assert_int_equal(PARSE(&c, err, "--mem=1024M", "I"), 0);
	assert_int_equal(c.mem_size, 1ULL << 30);
}

/* Each bad input fails with one line naming the problem. */
#define expect_error(ret, err, needle)                      \
	do {                                                \
		assert_int_equal((ret), -EINVAL);           \
		if (!strstr((err), (needle)))               \
			fail_msg("error was: %s", (err));   \
		assert_null(strchr((err), '\n'));           \
	} while (0)

static void test_bad_input(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	expect_error(PARSE(&c, err, "-m", "12X", "I"), err, "-m 12X: not a size");
	expect_error(PARSE(&c, err, "-m", "1.5G", "I"), err, "not a size");
	expect_error(PARSE(&c, err, "-m", "-5", "I"), err, "not a size");
	expect_error(PARSE(&c, err, "-m", "3M", "I"), err, "multiple of 2M");
	expect_error(PARSE(&c, err, "-m", "16", "I"), err, "multiple of 2M from 64M");
	expect_error(PARSE(&c, err, "-m", "99999999999999999999G", "I"), err, "not a size");
	expect_error(PARSE(&c, err, "-m", "1000G", "I"), err, "multiple of 2M");
	expect_error(PARSE(&c, err, "-c", "0", "I"), err, "-c 0: vCPUs must be a number from 1 to 512");
	expect_error(PARSE(&c, err, "-c", "513", "I"), err, "-c 513");
	expect_error(PARSE(&c, err, "-c", "two", "I"), err, "-c two");
	expect_error(PARSE(&c, err, "-c", "", "I"), err, "-c ");
	expect_error(PARSE(&c, err, "--bogus", "I"), err, "unknown option --bogus");
	expect_error(PARSE(&c, err, "-x", "I"), err, "unknown option -x");
	expect_error(PARSE(&c, err, "I", "-k"), err, "needs a value");
	expect_error(PARSE(&c, err, "--gic=v4", "I"), err, "--gic=v4: unknown model");
	expect_error(PARSE(&c, err, "--gic=v2", "--its", "I"), err, "--its needs a GICv3");
	expect_error(PARSE(&c, err, "--gic=v2", "-c", "9", "I"), err, "GICv2 supports at most 8 vCPUs");
	expect_error(PARSE(&c, err, "--name", "a/b", "I"), err, "--name a/b");
	expect_error(PARSE(&c, err, "--kernel-format=elf", "I"), err, "use image or raw");
	expect_error(PARSE(&c, err, "-k", "A", "B"), err, "unexpected argument B");
	expect_error(PARSE(&c, err, "A", "B"), err, "unexpected argument A");
	expect_error(PARSE(&c, err, "-c", "2"), err, "no kernel");
}

static void test_help(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "--help"), 0);
	assert_true(c.help);
}

/* -v and --verbose turn debug lines on (vmm.c acts on cfg.verbose); off by default. */
static void test_verbose(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "Image"), 0);
	assert_false(c.verbose);
	assert_int_equal(PARSE(&c, err, "-v", "Image"), 0);
	assert_true(c.verbose);
	assert_int_equal(PARSE(&c, err, "--verbose", "-k", "Image"), 0);
	assert_true(c.verbose);
	assert_string_equal(c.kernel, "Image");
}

/* The vCPU feature flags: each unset is FEAT_AUTO (the host's default), --pmu asks,
 * --no-* turns off, --sve-max-vl asks for SVE with that maximum. */
static void test_cpu_features(void **state)
{
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&c, err, "Image"), 0);
	assert_int_equal(c.pmu, FEAT_AUTO);
	assert_int_equal(c.sve, FEAT_AUTO);
	assert_int_equal(c.sve_max_vl, 0);
	assert_int_equal(c.pauth, FEAT_AUTO);
	assert_int_equal(c.mte, FEAT_AUTO);
	assert_int_equal(c.pvtime, FEAT_AUTO);
	assert_int_equal(PARSE(&c, err, "--pmu", "Image"), 0);
	assert_int_equal(c.pmu, FEAT_ON);
	assert_int_equal(PARSE(&c, err, "--pmu", "--no-pmu", "Image"), 0);
	assert_int_equal(c.pmu, FEAT_OFF); /* the last one wins */
	assert_int_equal(PARSE(&c, err, "--no-sve", "--no-pauth", "--no-mte", "--no-pvtime", "Image"), 0);
	assert_int_equal(c.sve, FEAT_OFF);
	assert_int_equal(c.pauth, FEAT_OFF);
	assert_int_equal(c.mte, FEAT_OFF);
	assert_int_equal(c.pvtime, FEAT_OFF);
	assert_int_equal(c.pmu, FEAT_AUTO);
	assert_int_equal(PARSE(&c, err, "--sve-max-vl", "256", "Image"), 0);
	assert_int_equal(c.sve, FEAT_ON);
	assert_int_equal(c.sve_max_vl, 256);
	assert_int_equal(PARSE(&c, err, "--sve-max-vl=2048", "Image"), 0);
	assert_int_equal(c.sve_max_vl, 2048);
	expect_error(PARSE(&c, err, "--sve-max-vl", "200", "I"), err, "--sve-max-vl 200: give a vector length");
	expect_error(PARSE(&c, err, "--sve-max-vl", "0", "I"), err, "--sve-max-vl 0: ");
	expect_error(PARSE(&c, err, "--sve-max-vl", "2176", "I"), err, "--sve-max-vl 2176: ");
	expect_error(PARSE(&c, err, "--sve-max-vl", "wide", "I"), err, "--sve-max-vl wide: ");
	expect_error(PARSE(&c, err, "--sve-max-vl", "256", "--no-sve", "I"), err, "--sve-max-vl and --no-sve");
	expect_error(PARSE(&c, err, "--no-sve", "--sve-max-vl", "256", "I"), err, "--sve-max-vl and --no-sve");
	expect_error(PARSE(&c, err, "--pmu=yes", "I"), err, "--pmu=yes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults_and_positional),
		cmocka_unit_test(test_mem_sizes),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_verbose),
		cmocka_unit_test(test_cpu_features),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
