/* Unit tests: the vCPU feature choice (arch_cpu_choose) from the command line and a host's
 * probe, without KVM: defaults, --no-*, explicit choices the host cannot give. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../arch.h"
#include "../../cli.h"
#include "../../probe.h"

static const struct kvm_probe full_host = {
	.pmu = true, .ptrauth_address = true, .ptrauth_generic = true, .mte = true, .pvtime = true,
	.sve = true, .sve_vls = { 128, 256, 512 }, .nr_sve_vls = 3,
};

static int choose(const struct vm_config *cfg, const struct kvm_probe *host, struct cpu_features *f, char *err)
{
	return arch_cpu_choose(cfg, host, f, err, 160);
}

/* One line naming the option. */
#define expect_refused(ret, err, needle)                    \
	do {                                                \
		assert_int_equal((ret), -ENODEV);           \
		if (!strstr((err), (needle)))               \
			fail_msg("error was: %s", (err));   \
		assert_null(strchr((err), '\n'));           \
	} while (0)

static void test_defaults_full_host(void **state)
{
	struct vm_config cfg = { 0 };
	struct cpu_features f;
	char err[160];

	(void)state;
	assert_int_equal(choose(&cfg, &full_host, &f, err), 0);
	assert_true(f.pmu);
	assert_true(f.sve);
	assert_int_equal(f.sve_max_vl, 512); /* the host's largest */
	assert_true(f.pauth);
	assert_true(f.mte);
	assert_true(f.pvtime);
}

static void test_defaults_bare_host(void **state)
{
	static const struct kvm_probe bare = { .gicv3 = true };
	/* Pointer auth needs both keys; SVE needs its vector lengths read back. */
	static const struct kvm_probe half = { .ptrauth_address = true, .sve = true };
	struct vm_config cfg = { 0 };
	struct cpu_features f;
	char err[160];

	(void)state;
	assert_int_equal(choose(&cfg, &bare, &f, err), 0);
	assert_false(f.pmu || f.sve || f.pauth || f.mte || f.pvtime);
	assert_int_equal(f.sve_max_vl, 0);
	assert_int_equal(choose(&cfg, &half, &f, err), 0);
	assert_false(f.pauth);
	assert_false(f.sve);
}

static void test_no_flags(void **state)
{
	struct vm_config cfg = { .pmu = FEAT_OFF, .sve = FEAT_OFF, .pauth = FEAT_OFF, .mte = FEAT_OFF,
				 .pvtime = FEAT_OFF };
	struct cpu_features f;
	char err[160];

	(void)state;
	assert_int_equal(choose(&cfg, &full_host, &f, err), 0);
	assert_false(f.pmu || f.sve || f.pauth || f.mte || f.pvtime);
	assert_int_equal(f.sve_max_vl, 0);
}

static void test_sve_max_vl(void **state)
{
	struct vm_config cfg = { .sve = FEAT_ON, .sve_max_vl = 256 };
	struct cpu_features f;
	char err[160];

	(void)state;
	assert_int_equal(choose(&cfg, &full_host, &f, err), 0);
	assert_true(f.sve);
	assert_int_equal(f.sve_max_vl, 256);
	cfg.sve_max_vl = 128;
	assert_int_equal(choose(&cfg, &full_host, &f, err), 0);
	assert_int_equal(f.sve_max_vl, 128);
	cfg.sve_max_vl = 1024;
	expect_refused(choose(&cfg, &full_host, &f, err), err,
		       "--sve-max-vl 1024: this host's largest SVE vector length is 512 bits");
	cfg.sve_max_vl = 384;
	expect_refused(choose(&cfg, &full_host, &f, err), err,
		       "--sve-max-vl 384: this host's SVE vector lengths are 128 256 512 bits");
}

static void test_refused(void **state)
{
	static const struct kvm_probe bare = { .gicv3 = true };
	struct vm_config cfg = { .pmu = FEAT_ON };
	struct cpu_features f;
	char err[160];

	(void)state;
	expect_refused(choose(&cfg, &bare, &f, err), err, "--pmu: this host's KVM has no PMUv3");
	cfg = (struct vm_config){ .sve = FEAT_ON, .sve_max_vl = 256 };
	expect_refused(choose(&cfg, &bare, &f, err), err, "--sve-max-vl 256: this host's KVM has no SVE");
	/* --no-* on a host without the feature is no error. */
	cfg = (struct vm_config){ .pmu = FEAT_OFF, .sve = FEAT_OFF, .mte = FEAT_OFF };
	assert_int_equal(choose(&cfg, &bare, &f, err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_full_host),
		cmocka_unit_test(test_defaults_bare_host),
		cmocka_unit_test(test_no_flags),
		cmocka_unit_test(test_sve_max_vl),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("cpu_features", tests, NULL, NULL);
}
