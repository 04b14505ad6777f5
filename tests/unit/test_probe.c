/* Unit tests: vmm probe's output (text and --json) for a probe result, against expected
 * files (the boot tests match lines of both on a real host). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../probe.h"

#define EXPECTED_DIR "tests/unit/expected/"

static char *read_all(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	return buf;
}

static void check(const struct kvm_probe *p, bool json, const char *name)
{
	char path[256], *got, *want;
	FILE *f = tmpfile(), *w;

	assert_non_null(f);
	kvm_probe_print(p, f, json);
	got = read_all(f);
	fclose(f);
	snprintf(path, sizeof(path), EXPECTED_DIR "%s", name);
	w = fopen(path, "r");
	assert_non_null(w);
	fseek(w, 0, SEEK_END);
	want = read_all(w);
	fclose(w);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static const struct kvm_probe full = {
	.gicv3 = true, .its = true, .msi_devid = true, .max_vcpus = 512, .nr_vcpus = 4, .ipa_bits = 44,
	.irqfd = true, .irqfd_resample = true, .irq_routing = true, .signal_msi = true, .ioeventfd = true,
	.irq_line_layout_2 = true, .pmu = true, .sve = true, .sve_vls = { 128, 256, 512 }, .nr_sve_vls = 3,
};

static const struct kvm_probe bare = { .gicv2 = true, .max_vcpus = 8, .nr_vcpus = 8, .ipa_bits = 40 };

static void test_probe_text(void **state)
{
	(void)state;
	check(&full, false, "probe-full.txt");
	check(&bare, false, "probe-bare.txt");
}

static void test_probe_json(void **state)
{
	(void)state;
	check(&full, true, "probe-full.json");
	check(&bare, true, "probe-bare.json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_text),
		cmocka_unit_test(test_probe_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
