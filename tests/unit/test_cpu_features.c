/* Unit tests: the vCPU feature choice (arch_cpu_choose) from the command line and a host's
 * probe, without KVM: defaults, --no-*, explicit choices the host cannot give; and the KVM
 * calls each feature makes, with ioctl() wrapped here (-Wl,--wrap=ioctl): the init bits,
 * SVE's vector lengths then FINALIZE, the PMU's PPI then INIT, the pvtime IPAs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "../../arch.h"
#include "../../arch/arm64/arch.h"
#include "../../arch/arm64/memmap.h"
#include "../../cli.h"
#include "../../probe.h"
#include "../../vm.h"

/* The vCPU ioctls seen, in order. */
struct call {
	int fd;
	unsigned long request;
	uint64_t group, attr, val; /* device attributes: the value read at the call */
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	int feature;
};
static struct call calls[64];
static unsigned nr_calls;

int __wrap_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...)
{
	struct call *c = &calls[nr_calls < 64 ? nr_calls++ : 63];
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->request = request;
	if (request == KVM_GET_ONE_REG || request == KVM_SET_ONE_REG) {
		const struct kvm_one_reg *r = arg;
		uint64_t *vls = (uint64_t *)(uintptr_t)r->addr;

		assert_int_equal(r->id, KVM_REG_ARM64_SVE_VLS);
		if (request == KVM_GET_ONE_REG) {
			/* A host with every length from 128 to 2048 bits (vq 1-16). */
			memset(vls, 0, sizeof(c->vls));
			vls[0] = 0xffff;
		}
		memcpy(c->vls, vls, sizeof(c->vls));
	} else if (request == KVM_ARM_VCPU_FINALIZE) {
		c->feature = *(int *)arg;
	} else if (request == KVM_SET_DEVICE_ATTR) {
		const struct kvm_device_attr *a = arg;

		c->group = a->group;
		c->attr = a->attr;
		if (a->group == KVM_ARM_VCPU_PVTIME_CTRL)
			c->val = *(uint64_t *)(uintptr_t)a->addr;
		else if (a->addr)
			c->val = (uint64_t)*(int *)(uintptr_t)a->addr;
	}
	return 0;
}

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

static void test_init_bits(void **state)
{
	struct cpu_features f = { 0 };

	(void)state;
	assert_int_equal(cpu_features_init_bits(&f), 0);
	f = (struct cpu_features){ .pmu = true, .sve = true, .sve_max_vl = 512, .pauth = true, .mte = true,
				   .pvtime = true };
	assert_int_equal(cpu_features_init_bits(&f), 1u << KVM_ARM_VCPU_PMU_V3 | 1u << KVM_ARM_VCPU_SVE |
							    1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS |
							    1u << KVM_ARM_VCPU_PTRAUTH_GENERIC);
	f = (struct cpu_features){ .pauth = true };
	assert_int_equal(cpu_features_init_bits(&f),
			 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1u << KVM_ARM_VCPU_PTRAUTH_GENERIC);
}

/* SVE up to 256 bits: the lengths read back, those above 256 cleared (vq 1 and 2 kept),
 * written, then FINALIZE(SVE). Without SVE: no call. */
static void test_sve_vls(void **state)
{
	static struct vm vm;
	struct vcpu v = { .vm = &vm, .id = 0, .fd = 7 };

	(void)state;
	nr_calls = 0;
	assert_int_equal(cpu_features_vcpu_init(&v), 0);
	assert_int_equal(nr_calls, 0);
	vm.cpu = (struct cpu_features){ .sve = true, .sve_max_vl = 256 };
	assert_int_equal(cpu_features_vcpu_init(&v), 0);
	assert_int_equal(nr_calls, 3);
	assert_int_equal(calls[0].request, KVM_GET_ONE_REG);
	assert_int_equal(calls[1].request, KVM_SET_ONE_REG);
	assert_int_equal(calls[1].fd, 7);
	assert_int_equal(calls[1].vls[0], 0x3);
	for (unsigned i = 1; i < KVM_ARM64_SVE_VLS_WORDS; i++)
		assert_int_equal(calls[1].vls[i], 0);
	assert_int_equal(calls[2].request, KVM_ARM_VCPU_FINALIZE);
	assert_int_equal(calls[2].feature, KVM_ARM_VCPU_SVE);
	/* 2048 bits: all sixteen kept. */
	nr_calls = 0;
	vm.cpu.sve_max_vl = 2048;
	assert_int_equal(cpu_features_vcpu_init(&v), 0);
	assert_int_equal(calls[1].vls[0], 0xffff);
}

/* After the vGIC's init, per vCPU: the PMU's PPI (INTID 23), its INIT, the pvtime IPA
 * (the region's base + 64 bytes a vCPU). */
static void test_finalize(void **state)
{
	static struct vm vm;
	struct vcpu vcpus[2] = { { .vm = &vm, .id = 0, .fd = 10 }, { .vm = &vm, .id = 1, .fd = 11 } };

	(void)state;
	vm.vcpus = vcpus;
	vm.nr_vcpus = 2;
	nr_calls = 0;
	assert_int_equal(vcpus_features_finalize(&vm), 0);
	assert_int_equal(nr_calls, 0);
	vm.cpu = (struct cpu_features){ .pmu = true, .pvtime = true };
	assert_int_equal(vcpus_features_finalize(&vm), 0);
	assert_int_equal(nr_calls, 6);
	for (unsigned i = 0; i < 2; i++) {
		const struct call *c = &calls[3 * i];

		for (unsigned j = 0; j < 3; j++) {
			assert_int_equal(c[j].fd, 10 + i);
			assert_int_equal(c[j].request, KVM_SET_DEVICE_ATTR);
		}
		assert_int_equal(c[0].group, KVM_ARM_VCPU_PMU_V3_CTRL);
		assert_int_equal(c[0].attr, KVM_ARM_VCPU_PMU_V3_IRQ);
		assert_int_equal(c[0].val, 23);
		assert_int_equal(c[1].group, KVM_ARM_VCPU_PMU_V3_CTRL);
		assert_int_equal(c[1].attr, KVM_ARM_VCPU_PMU_V3_INIT);
		assert_int_equal(c[2].group, KVM_ARM_VCPU_PVTIME_CTRL);
		assert_int_equal(c[2].attr, KVM_ARM_VCPU_PVTIME_IPA);
		assert_int_equal(c[2].val, guest_memmap[MEM_PVTIME].base + 64 * i);
	}
	/* pvtime only. */
	nr_calls = 0;
	vm.cpu = (struct cpu_features){ .pvtime = true };
	assert_int_equal(vcpus_features_finalize(&vm), 0);
	assert_int_equal(nr_calls, 2);
	assert_int_equal(calls[1].val, guest_memmap[MEM_PVTIME].base + 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_full_host),
		cmocka_unit_test(test_defaults_bare_host),
		cmocka_unit_test(test_no_flags),
		cmocka_unit_test(test_sve_max_vl),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_init_bits),
		cmocka_unit_test(test_sve_vls),
		cmocka_unit_test(test_finalize),
	};
	return cmocka_run_group_tests_name("cpu_features", tests, NULL, NULL);
}
