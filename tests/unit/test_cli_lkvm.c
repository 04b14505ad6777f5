/* Unit tests: kvmtool's `lkvm run` spelling mapped onto vmm's run options, and the
 * lkvm persona (invoked under the name lkvm): defaults, kernel parameters, raw loading. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cli.h"
#include "../../cli_lkvm.h"
#include "../../util.h"
#include "../../vm.h"

#define ARGS(...) (char *[]){ "run", __VA_ARGS__, NULL }
#define NARGS(a) ((int)(sizeof(a) / sizeof(char *)) - 1)

/* Translate then parse as cmd_run does; 0 or the first error. */
static int lkvm_parse(int argc, char **argv, bool persona, struct lkvm_run *lr, struct vm_config *cfg,
		      char *err)
{
	int ret = cli_lkvm_translate(argc, argv, persona, lr, err, 256);

	if (ret)
		return ret;
	if (lr->help)
		return 0;
	ret = cli_parse_run(lr->argc, lr->argv, cfg, err, 256);
	if (!ret)
		cli_lkvm_apply(lr, cfg);
	return ret;
}

#define PARSE(persona, lr, cfg, err, ...)                                                   \
	({                                                                                  \
		char **a_ = ARGS(__VA_ARGS__);                                              \
		int n_ = 0;                                                                 \
		while (a_[n_])                                                              \
			n_++;                                                               \
		lkvm_parse(n_, a_, (persona), (lr), (cfg), (err));                          \
	})

/* The translated argv contains the word s. */
static bool has_arg(const struct lkvm_run *lr, const char *s)
{
	for (int i = 0; i < lr->argc; i++)
		if (!strcmp(lr->argv[i], s))
			return true;
	return false;
}

static void test_invoked(void **state)
{
	(void)state;
	assert_true(cli_lkvm_invoked("lkvm"));
	assert_true(cli_lkvm_invoked("/usr/local/bin/lkvm"));
	assert_true(cli_lkvm_invoked("./lkvm"));
	assert_false(cli_lkvm_invoked("vmm"));
	assert_false(cli_lkvm_invoked("/tmp/lkvm/vmm"));
	assert_false(cli_lkvm_invoked("lkvm-static"));
	assert_false(cli_lkvm_invoked(NULL));
}

/* The options whose names vmm shares keep vmm's meaning (-m: MiB without a suffix). */
static void test_shared_spelling(void **state)
{
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(false, &lr, &c, err, "--kernel", "Image", "--initrd", "rd", "--params", "quiet",
			       "--cpus", "3", "--mem", "512", "--disk", "d.img,ro", "--console", "virtio",
			       "--name", "g1", "--rng"), 0);
	assert_string_equal(c.kernel, "Image");
	assert_string_equal(c.initrd, "rd");
	assert_string_equal(c.cmdline, "quiet");
	assert_int_equal(c.nr_vcpus, 3);
	assert_int_equal(c.mem_size, 512ULL << 20);
	assert_int_equal(c.nr_disks, 1);
	assert_string_equal(c.disks[0].path, "d.img");
	assert_true(c.disks[0].read_only);
	assert_true(c.virtio_console);
	assert_true(c.rng);
	cli_lkvm_free(&lr);

	assert_int_equal(PARSE(false, &lr, &c, err, "-k", "Image", "-i", "rd", "-p", "a=b", "-c", "2", "-m", "1024",
			       "-d", "x.img"), 0);
	assert_int_equal(c.mem_size, 1ULL << 30);
	assert_string_equal(c.cmdline, "a=b");
	cli_lkvm_free(&lr);
}

static void test_irqchip(void **state)
{
	static const struct { const char *arg; enum gic_model gic; bool its; } cases[] = {
		{ "--irqchip=gicv2", GIC_V2, false }, { "--irqchip=gicv2m", GIC_V2M, false },
		{ "--irqchip=gicv3", GIC_V3, false }, { "--irqchip=gicv3-its", GIC_V3, true },
		{ "--irqchip=auto", GIC_AUTO, false },
	};
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(PARSE(false, &lr, &c, err, (char *)cases[i].arg, "Image"), 0);
		assert_int_equal(c.gic, cases[i].gic);
		assert_int_equal(c.its, cases[i].its);
		cli_lkvm_free(&lr);
	}
	/* The value as the next word, as kvmtool's parser takes it too. */
	assert_int_equal(PARSE(false, &lr, &c, err, "--irqchip", "gicv3-its", "Image"), 0);
	assert_int_equal(c.gic, GIC_V3);
	assert_true(c.its);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--irqchip=gicv5", "Image"), -EINVAL);
	assert_string_equal(err, "--irqchip=gicv5: unknown type; use gicv2, gicv2m, gicv3, gicv3-its or auto");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "Image", "--irqchip"), -EINVAL);
	assert_string_equal(err, "option --irqchip needs a value");
	cli_lkvm_free(&lr);
}

/* Flags mapped to vmm's own names: --pmu is vmm's --pmu (its own flag, issue 13). */
static void test_flags_map(void **state)
{
	struct lkvm_run lr;
	char err[256];

	(void)state;
	assert_int_equal(cli_lkvm_translate(4, ARGS("--pmu", "--disable-sve", "--disable-mte"), false, &lr, err,
					    sizeof(err)), 0);
	assert_true(has_arg(&lr, "--pmu"));
	assert_true(has_arg(&lr, "--no-sve"));
	assert_true(has_arg(&lr, "--no-mte"));
	assert_false(has_arg(&lr, "--disable-sve"));
	cli_lkvm_free(&lr);
	assert_int_equal(cli_lkvm_translate(4, ARGS("--no-pvtime", "--sve-vl=256", "--force-pci"), false, &lr,
					    err, sizeof(err)), 0);
	assert_true(has_arg(&lr, "--no-pvtime"));
	assert_true(has_arg(&lr, "--sve-max-vl=256"));
	assert_true(has_arg(&lr, "--transport=pci"));
	cli_lkvm_free(&lr);
}

static void test_network_loglevel_transport(void **state)
{
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(false, &lr, &c, err, "--network", "mode=none", "-n", "mode=none", "Image"), 0);
	assert_string_equal(c.kernel, "Image");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--network=mode=none", "Image"), 0);
	cli_lkvm_free(&lr);
	assert_int_equal(c.nr_nics, 0);
	cli_lkvm_free(&lr);
	/* kvmtool's --vsock CID is vmm's, both spellings of the value. */
	assert_int_equal(PARSE(false, &lr, &c, err, "--vsock", "7", "Image"), 0);
	assert_int_equal(c.vsock_cid, 7);
	assert_string_equal(c.kernel, "Image");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--vsock=8", "Image"), 0);
	assert_int_equal(c.vsock_cid, 8);
	cli_lkvm_free(&lr);
	/* kvmtool's tap spelling passes through to vmm's -n (cli_net.c). */
	assert_int_equal(PARSE(false, &lr, &c, err, "--network", "mode=tap,tapif=tap0", "-nmode=tap,trans=mmio", "Image"), 0);
	assert_int_equal(c.nr_nics, 2);
	assert_string_equal(c.nics[0].tapif, "tap0");
	assert_true(c.nics[1].mmio);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "-n", "mode=user", "Image"), -EINVAL);
	assert_string_equal(err, "-n mode=user: user-mode networking is not implemented yet; use mode=tap");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--network", "--cpus", "1", "Image"), -EINVAL);
	assert_string_equal(err, "--network needs a value (e.g. mode=tap,tapif=tap0 or mode=none)");
	cli_lkvm_free(&lr);

	assert_int_equal(PARSE(false, &lr, &c, err, "--loglevel=debug", "Image"), 0);
	assert_true(c.verbose);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--loglevel", "info", "Image"), 0);
	assert_false(c.verbose);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--loglevel=chatty", "Image"), -EINVAL);
	assert_string_equal(err, "--loglevel=chatty: use error, warning, info or debug");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--debug", "Image"), 0);
	assert_true(c.verbose);
	cli_lkvm_free(&lr);

	assert_int_equal(PARSE(false, &lr, &c, err, "--virtio-transport", "mmio", "Image"), 0);
	assert_true(c.virtio_mmio);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--virtio-transport=pci-legacy", "Image"), -EINVAL);
	assert_string_equal(err, "--virtio-transport=pci-legacy: vmm has virtio 1.0 only; use pci or mmio");
	cli_lkvm_free(&lr);
}

/* A kvmtool option vmm does not implement: one line naming it. */
static void test_unsupported(void **state)
{
	static const char *const opts[] = { "--balloon", "--vnc", "--9p=/tmp,tag", "--hugetlbfs", "--firmware",
					    "--vfio-pci=00:01.0", "--tty", "--sandbox" };
	struct lkvm_run lr;
	struct vm_config c;
	char err[256], want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t n = strcspn(opts[i], "=");

		assert_int_equal(PARSE(false, &lr, &c, err, (char *)opts[i], "Image"), -EINVAL);
		snprintf(want, sizeof(want), "%.*s: a kvmtool option vmm does not implement", (int)n, opts[i]);
		assert_string_equal(err, want);
		cli_lkvm_free(&lr);
	}
	assert_int_equal(PARSE(false, &lr, &c, err, "-f", "fw.bin"), -EINVAL);
	assert_string_equal(err, "-f: a kvmtool option vmm does not implement (--firmware)");
	cli_lkvm_free(&lr);
	/* Neither kvmtool's nor vmm's: vmm's parser names it. */
	assert_int_equal(PARSE(false, &lr, &c, err, "--frobnicate", "Image"), -EINVAL);
	assert_string_equal(err, "unknown option --frobnicate (see vmm run --help)");
	cli_lkvm_free(&lr);
}

/* A vmm option's value that looks like an lkvm option is a value, not an option. */
static void test_values_not_options(void **state)
{
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(false, &lr, &c, err, "-p", "--nodefaults", "--expect", "--pmu", "Image"), 0);
	assert_string_equal(c.cmdline, "--nodefaults");
	assert_string_equal(c.expect, "--pmu");
	assert_false(lr.nodefaults);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "Image", "--", "--balloon"), -EINVAL);
	/* after "--" nothing is an lkvm option: vmm's parser sees two kernels */
	assert_string_equal(err, "unexpected argument Image (the kernel is given once)");
	cli_lkvm_free(&lr);
}

/* --nodefaults under vmm run: vmm's default parameters are dropped, -p is exact. */
static void test_nodefaults_vmm(void **state)
{
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(false, &lr, &c, err, "--nodefaults", "Image"), 0);
	assert_string_equal(c.cmdline, "");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--nodefaults", "-p", "quiet", "Image"), 0);
	assert_string_equal(c.cmdline, "quiet");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "Image"), 0);
	assert_null(c.cmdline);
	assert_int_equal(c.nr_vcpus, CLI_DEFAULT_VCPUS);
	assert_false(c.dump_dtb_boot);
	cli_lkvm_free(&lr);
}

/* As lkvm: kvmtool's parameters, byte for byte, unless --nodefaults. */
static void test_persona_cmdline(void **state)
{
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(true, &lr, &c, err, "-k", "/nonexistent/Image"), 0);
	assert_string_equal(c.cmdline, " console=ttyS0 root=/dev/vda rw ");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "-k", "/nonexistent/Image", "-p", "quiet"), 0);
	assert_string_equal(c.cmdline, " console=ttyS0 root=/dev/vda rw  quiet");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "--console", "virtio", "--params=root=/dev/vdb1 ro",
			       "/nonexistent/Image"), 0);
	assert_string_equal(c.cmdline, " console=hvc0 root=/dev/vdb1 ro");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "--nodefaults", "-pquiet", "/nonexistent/Image"), 0);
	assert_string_equal(c.cmdline, "quiet");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "--nodefaults", "/nonexistent/Image"), 0);
	assert_string_equal(c.cmdline, "");
	cli_lkvm_free(&lr);
}

/* As lkvm: vCPUs and RAM default as kvmtool's do; --dump-dtb boots on; --help is lkvm's. */
static void test_persona_defaults(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(true, &lr, &c, err, "/nonexistent/Image"), 0);
	assert_true(c.nr_vcpus >= 1);
	if (online >= 1 && online <= 8)
		assert_int_equal(c.nr_vcpus, online);
	assert_true(c.mem_size >= CLI_MIN_MEM);
	assert_true(c.mem_size <= (64ULL << 20) * (c.nr_vcpus + 3));
	assert_int_equal(c.mem_size % (2ULL << 20), 0);
	/* kvmtool's PMU is off unless --pmu; the other vCPU features are the host's. */
	assert_int_equal(c.pmu, FEAT_OFF);
	assert_int_equal(c.sve, FEAT_AUTO);
	assert_int_equal(c.pvtime, FEAT_AUTO);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "--pmu", "/nonexistent/Image"), 0);
	assert_int_equal(c.pmu, FEAT_ON);
	cli_lkvm_free(&lr);
	/* vmm's spelling of an lkvm command line keeps vmm's defaults. */
	assert_int_equal(PARSE(false, &lr, &c, err, "/nonexistent/Image"), 0);
	assert_int_equal(c.pmu, FEAT_AUTO);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "-c", "1", "-m", "256", "--dump-dtb", "/tmp/x.dtb",
			       "/nonexistent/Image"), 0);
	assert_int_equal(c.nr_vcpus, 1);
	assert_int_equal(c.mem_size, 256ULL << 20);
	assert_true(c.dump_dtb_boot);
	assert_string_equal(c.dump_dtb, "/tmp/x.dtb");
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(true, &lr, &c, err, "--help"), 0);
	assert_true(lr.help);
	cli_lkvm_free(&lr);
	assert_int_equal(PARSE(false, &lr, &c, err, "--help"), 0);
	assert_false(lr.help);
	assert_true(c.help);
	cli_lkvm_free(&lr);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* As lkvm: a headerless kernel is loaded raw; Images and compressed kernels are not. */
static void test_persona_headerless(void **state)
{
	uint8_t buf[128];
	char path[] = "/tmp/test_cli_lkvm.XXXXXX";
	struct lkvm_run lr;
	struct vm_config c;
	char err[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	memset(buf, 0xd5, sizeof(buf)); /* a bare payload */
	write_file(path, buf, sizeof(buf));
	assert_int_equal(PARSE(true, &lr, &c, err, path), 0);
	assert_int_equal(c.kernel_format, KERNEL_FORMAT_RAW);
	cli_lkvm_free(&lr);
	/* vmm run keeps needing the header (or --kernel-format=raw). */
	assert_int_equal(PARSE(false, &lr, &c, err, path), 0);
	assert_int_equal(c.kernel_format, KERNEL_FORMAT_IMAGE);
	cli_lkvm_free(&lr);

	memcpy(buf + 56, "ARM\x64", 4);
	write_file(path, buf, sizeof(buf));
	assert_int_equal(PARSE(true, &lr, &c, err, path), 0);
	assert_int_equal(c.kernel_format, KERNEL_FORMAT_IMAGE);
	cli_lkvm_free(&lr);

	buf[0] = 0x1f, buf[1] = 0x8b; /* gzip: vmm decompresses it */
	memset(buf + 56, 0, 4);
	write_file(path, buf, sizeof(buf));
	assert_int_equal(PARSE(true, &lr, &c, err, path), 0);
	assert_int_equal(c.kernel_format, KERNEL_FORMAT_IMAGE);
	cli_lkvm_free(&lr);
	unlink(path);
}

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(cli_lkvm_exit_code(VMM_EXIT_POWEROFF), 0);
	assert_int_equal(cli_lkvm_exit_code(VMM_EXIT_RESET), 0);
	assert_int_equal(cli_lkvm_exit_code(VMM_EXIT_USAGE), LKVM_EXIT_USAGE);
	assert_int_equal(cli_lkvm_exit_code(VMM_EXIT_ERROR), 1);
	assert_int_equal(cli_lkvm_exit_code(7), 7);
}

static int fake_run(int argc, char **argv, void *ctx)
{
	(void)argv;
	*(int *)ctx = argc;
	return VMM_EXIT_RESET;
}

static void test_main(void **state)
{
	int seen = -1;

	(void)state;
	assert_int_equal(cli_lkvm_main(1, (char *[]){ "lkvm", NULL }, fake_run, &seen), 0);
	assert_int_equal(cli_lkvm_main(2, (char *[]){ "lkvm", "help", NULL }, fake_run, &seen), 0);
	assert_int_equal(cli_lkvm_main(2, (char *[]){ "lkvm", "version", NULL }, fake_run, &seen), 0);
	assert_int_equal(cli_lkvm_main(2, (char *[]){ "lkvm", "--version", NULL }, fake_run, &seen), 0);
	assert_int_equal(cli_lkvm_main(2, (char *[]){ "lkvm", "--help", NULL }, fake_run, &seen), LKVM_EXIT_NO_COMMAND);
	assert_int_equal(cli_lkvm_main(2, (char *[]){ "lkvm", "frob", NULL }, fake_run, &seen), LKVM_EXIT_NO_COMMAND);
	assert_int_equal(cli_lkvm_main(2, (char *[]){ "lkvm", "list", NULL }, fake_run, &seen), LKVM_EXIT_NO_COMMAND);
	assert_int_equal(cli_lkvm_main(3, (char *[]){ "lkvm", "help", "run", NULL }, fake_run, &seen), LKVM_EXIT_USAGE);
	assert_int_equal(seen, -1);
	/* run: the guest's reset ends the session as kvmtool's does, exit 0. */
	assert_int_equal(cli_lkvm_main(4, (char *[]){ "lkvm", "run", "-k", "Image", NULL }, fake_run, &seen), 0);
	assert_int_equal(seen, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invoked),
		cmocka_unit_test(test_shared_spelling),
		cmocka_unit_test(test_irqchip),
		cmocka_unit_test(test_flags_map),
		cmocka_unit_test(test_network_loglevel_transport),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_values_not_options),
		cmocka_unit_test(test_nodefaults_vmm),
		cmocka_unit_test(test_persona_cmdline),
		cmocka_unit_test(test_persona_defaults),
		cmocka_unit_test(test_persona_headerless),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_main),
	};
	return cmocka_run_group_tests_name("cli_lkvm", tests, NULL, NULL);
}
