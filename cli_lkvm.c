/* cli_lkvm.c - kvmtool's `lkvm run` spelling translated into vmm's, and vmm as lkvm.
 *
 * Facts from kvmtool (builtin-run.c, arm64/kvm.c, arm/fdt.c, util/parse-options.c,
 * kvm-cmd.c, builtin-help.c, builtin-version.c):
 *  - without --nodefaults the guest's bootargs are " console=ttyS0" (" console=hvc0" with
 *    --console virtio), then " root=/dev/vda rw " unless -p names a root=, then " " and -p's
 *    text; with --nodefaults exactly -p's text (none without -p). arm64 adds nothing else.
 *  - a kernel whose 64-byte header has no "ARM\x64" magic (or image_size 0) is loaded at
 *    RAM base + 0x80000 ("assuming TEXT_OFFSET to be 0x80000") and entered at its first byte.
 *  - defaults: as many vCPUs as the host has online, 64 MiB * (vCPUs + 3) of RAM but at
 *    most 80% of the host's; -m is MiB without a suffix (as vmm's -m already is).
 *  - --dump-dtb FILE writes the device tree and boots on (vmm's own --dump-dtb exits).
 *  - usage errors, `run --help` and unknown options exit 129 (usage on stderr); `lkvm`,
 *    `lkvm help` print the command list and exit 0, an unknown command (`lkvm --help`
 *    too) prints it and exits EINVAL (22); `lkvm version` prints "kvm tool VERSION".
 *  - a guest reset ends the session like a power-off: exit 0.
 */
#include "cli_lkvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "irqchip/gic.h"
#include "util.h"
#include "vm.h"

#define LKVM_VERSION "vmm" /* kvmtool prints its git version; this is vmm's lkvm mode */

bool cli_lkvm_invoked(const char *argv0)
{
	const char *base;

	if (!argv0)
		return false;
	base = strrchr(argv0, '/');
	return !strcmp(base ? base + 1 : argv0, "lkvm");
}

/* kvmtool run options vmm has no counterpart for: refused by name. */
static const char *const unsupported[] = {
	"balloon", "vnc", "gtk", "sdl", "9p", "dev", "tty", "sandbox", "hugetlbfs",
	"virtio-legacy", "firmware", "flash", "no-dhcp", "vfio-pci", "debug-single-step",
	"debug-ioport", "debug-mmio", "debug-iodelay", "aarch32", "override-bad-firmware-cntfrq",
	"firmware-address", "vcpu-affinity", "kaslr-seed", "in-kernel-smccc", "realm",
	"restricted_mem", "pkvm", "shmem", "benchmark", "guest-mac", "host-mac", "host-ip",
	"guest-ip", "tapscript", "vidmode", "measurement-algo", "realm-pv",
};

static int add(struct lkvm_run *lr, char *s)
{
	if (lr->argc >= LKVM_MAX_ARGS)
		return -E2BIG;
	lr->argv[lr->argc++] = s;
	lr->argv[lr->argc] = NULL;
	return 0;
}

/* A string of the translation's own (NULL on no memory: the caller says so). */
static int add_new(struct lkvm_run *lr, const char *a, const char *b)
{
	char *s;

	if (lr->nr_owned >= LKVM_MAX_ARGS)
		return -E2BIG;
	if (asprintf(&s, "%s%s", a, b ? b : "") < 0)
		return -ENOMEM;
	lr->owned[lr->nr_owned++] = s;
	return add(lr, s);
}

/* One lkvm-only option (name without "--", its value or NULL); 0, 1 = not one of them, or
 * -EINVAL with err set. */
static int lkvm_option(struct lkvm_run *lr, const char *name, const char *val, char *err, size_t errlen)
{
	static const struct { const char *lkvm, *vmm; } irqchips[] = {
		{ "gicv2", "--gic=v2" }, { "gicv2m", "--gic=v2m" }, { "gicv3", "--gic=v3" },
		{ "gicv3-its", "--gic=v3" }, { "auto", "--gic=auto" },
	};
	int ret;

	if (!strcmp(name, "irqchip")) {
		for (size_t i = 0; i < ARRAY_SIZE(irqchips); i++) {
			if (strcmp(val, irqchips[i].lkvm))
				continue;
			ret = add_new(lr, irqchips[i].vmm, NULL);
			if (!ret && !strcmp(val, "gicv3-its"))
				ret = add_new(lr, "--its", NULL);
			return ret;
		}
		snprintf(err, errlen, "--irqchip=%s: unknown type; use gicv2, gicv2m, gicv3, gicv3-its or auto", val);
		return -EINVAL;
	}
	if (!strcmp(name, "network")) {
		/* vmm takes kvmtool's -n value as it is (cli_net.c); mode=none adds no NIC. */
		if (!val) {
			snprintf(err, errlen, "--network needs a value (e.g. mode=tap,tapif=tap0 or mode=none)");
			return -EINVAL;
		}
		return add_new(lr, "--network=", val);
	}
	if (!strcmp(name, "loglevel")) {
		if (!strcmp(val, "debug"))
			return add_new(lr, "-v", NULL);
		if (!strcmp(val, "error") || !strcmp(val, "warning")) {
			lr->log_level = !strcmp(val, "error") ? LOG_LVL_ERROR : LOG_LVL_WARN;
			return 0;
		}
		if (!strcmp(val, "info"))
			return 0;
		snprintf(err, errlen, "--loglevel=%s: use error, warning, info or debug", val);
		return -EINVAL;
	}
	if (!strcmp(name, "virtio-transport")) {
		if (strcmp(val, "pci") && strcmp(val, "mmio")) {
			snprintf(err, errlen, "--virtio-transport=%s: vmm has virtio 1.0 only; use pci or mmio", val);
			return -EINVAL;
		}
		return add_new(lr, "--transport=", val);
	}
	if (!strcmp(name, "sve-vl"))
		return add_new(lr, "--sve-max-vl=", val);
	return 1;
}

/* Flags of kvmtool's without a value: 0 handled, 1 not one of them. */
static int lkvm_flag(struct lkvm_run *lr, const char *name)
{
	static const struct { const char *lkvm, *vmm; } map[] = {
		{ "pmu", "--pmu" },                  /* vmm's own --pmu (issue 13) */
		{ "disable-sve", "--no-sve" },
		{ "disable-mte", "--no-mte" },
		{ "no-pvtime", "--no-pvtime" },
		{ "debug", "-v" },                   /* deprecated kvmtool spelling of --loglevel=debug */
		{ "force-pci", "--transport=pci" },
	};

	if (!strcmp(name, "nodefaults")) {
		lr->nodefaults = true;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(name, map[i].lkvm))
			return add_new(lr, map[i].vmm, NULL);
	return 1;
}

static bool takes_value(const char *name)
{
	return !strcmp(name, "irqchip") || !strcmp(name, "network") || !strcmp(name, "loglevel") ||
	       !strcmp(name, "virtio-transport") || !strcmp(name, "sve-vl");
}

int cli_lkvm_translate(int argc, char **argv, bool persona, struct lkvm_run *lr, char *err, size_t errlen)
{
	int i, ret = 0;

	memset(lr, 0, sizeof(*lr));
	lr->persona = persona;
	lr->log_level = -1;
	err[0] = '\0';
	if (argc < 1)
		return -EINVAL;
	ret = add(lr, argv[0]);
	for (i = 1; i < argc && !ret; i++) {
		char *a = argv[i], name[64];
		const char *eq, *val = NULL;
		size_t n;

		if (!strcmp(a, "--")) {
			while (i < argc && !ret)
				ret = add(lr, argv[i++]);
			break;
		}
		/* -n VALUE / -nVALUE: kvmtool's short --network; -f/-F: firmware, flash. */
		if (a[0] == '-' && (a[1] == 'n' || a[1] == 'f' || a[1] == 'F') && a[1] && a[1] != '-') {
			if (a[1] != 'n') {
				snprintf(err, errlen, "%s: a kvmtool option vmm does not implement (--%s)", a,
					 a[1] == 'f' ? "firmware" : "flash");
				return -EINVAL;
			}
			val = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			ret = lkvm_option(lr, "network", val, err, errlen);
			continue;
		}
		if (persona && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			lr->help = true;
			continue;
		}
		if (a[0] != '-' || a[1] != '-') {
			/* A short vmm option's value is the next word: keep them together. */
			if (a[0] == '-' && a[1] && !a[2] && strchr("kipcmd", a[1]) && i + 1 < argc) {
				lr->cpus_given |= a[1] == 'c';
				lr->mem_given |= a[1] == 'm';
				if (persona && a[1] == 'p') {
					lr->params = argv[++i];
					continue;
				}
				ret = add(lr, a);
				if (!ret)
					ret = add(lr, argv[++i]);
				continue;
			}
			if (a[0] == '-' && a[1] && strchr("kipcmd", a[1])) {
				lr->cpus_given |= a[1] == 'c';
				lr->mem_given |= a[1] == 'm';
				if (persona && a[1] == 'p') {
					lr->params = a + 2;
					continue;
				}
			}
			ret = add(lr, a);
			continue;
		}
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (n >= sizeof(name)) {
			ret = add(lr, a);
			continue;
		}
		memcpy(name, a + 2, n);
		name[n] = '\0';
		for (size_t u = 0; u < ARRAY_SIZE(unsupported); u++) {
			if (!strcmp(name, unsupported[u])) {
				snprintf(err, errlen, "--%s: a kvmtool option vmm does not implement", name);
				return -EINVAL;
			}
		}
		if (eq)
			val = eq + 1;
		if (takes_value(name) || !strcmp(name, "network")) {
			if (!val && i + 1 < argc && (strcmp(name, "network") || argv[i + 1][0] != '-'))
				val = argv[++i];
			if (!val && strcmp(name, "network")) {
				snprintf(err, errlen, "option --%s needs a value", name);
				return -EINVAL;
			}
			ret = lkvm_option(lr, name, val, err, errlen);
			continue;
		}
		if (!eq && (ret = lkvm_flag(lr, name)) <= 0)
			continue;
		ret = 0;
		lr->cpus_given |= !strcmp(name, "cpus");
		lr->mem_given |= !strcmp(name, "mem");
		if (persona && !strcmp(name, "params")) {
			if (!val && i + 1 < argc)
				val = argv[++i];
			lr->params = val;
			continue;
		}
		ret = add(lr, a);
		/* vmm's own options with a separate value: the value is not an option. */
		if (!ret && !eq && cli_run_takes_value(a) && i + 1 < argc)
			ret = add(lr, argv[++i]);
	}
	if (ret == -E2BIG)
		snprintf(err, errlen, "too many arguments (at most %d)", LKVM_MAX_ARGS);
	else if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret < 0 ? ret : 0;
}

/* kvmtool's defaults for what the command line left out (builtin-run.c get_ram_size). */
static void lkvm_defaults(const struct lkvm_run *lr, struct vm_config *cfg)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES);
	long page = sysconf(_SC_PAGE_SIZE);
	uint64_t ram, avail;

	if (!lr->cpus_given) {
		unsigned max = arch_max_vcpus();

		if ((cfg->gic == GIC_V2 || cfg->gic == GIC_V2M) && max > gicv2_ops.max_vcpus)
			max = gicv2_ops.max_vcpus;
		cfg->nr_vcpus = online < 1 ? 1 : (unsigned long)online > max ? max : (unsigned)online;
	}
	if (!lr->mem_given) {
		ram = (64ULL << 20) * (cfg->nr_vcpus + 3);
		avail = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 10 * 8 : CLI_MIN_MEM;
		if (ram > avail)
			ram = avail;
		ram &= ~(SZ_2M - 1); /* vmm maps RAM in 2 MiB blocks */
		if (ram < CLI_MIN_MEM)
			ram = CLI_MIN_MEM;
		if (ram > arch_ram_max())
			ram = arch_ram_max();
		cfg->mem_size = ram;
	}
	/* kvmtool gives a PMU only with --pmu; vmm's own default is the host's (README). The
	 * other vCPU features (SVE, pointer auth, MTE, pvtime) are on by default in both. */
	if (cfg->pmu == FEAT_AUTO)
		cfg->pmu = FEAT_OFF;
}

/* A file without an arm64 Image header, or a compressed kernel vmm unpacks (its content
 * decides, as vmm's loader does), is loaded raw as kvmtool loads it. */
static bool lkvm_headerless(const char *path)
{
	uint8_t h[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false; /* vmm's loader reports the path */
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n < 0)
		return false;
	if (n == (ssize_t)sizeof(h) && !memcmp(h + 56, "ARM\x64", 4))
		return false;
	if (n >= 8 && !memcmp(h, "MZ", 2) && !memcmp(h + 4, "zimg", 4))
		return false;                              /* EFI zboot */
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return false;                              /* gzip */
	if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return false;                              /* zstd */
	return n > 0;
}

void cli_lkvm_apply(struct lkvm_run *lr, struct vm_config *cfg)
{
	if (lr->log_level >= 0)
		log_set_level(lr->log_level);
	if (!lr->persona) {
		/* vmm's -p is already exact; --nodefaults only drops vmm's default parameters. */
		if (lr->nodefaults && !cfg->cmdline)
			cfg->cmdline = "";
		return;
	}
	lkvm_defaults(lr, cfg);
	if (lr->nodefaults) {
		cfg->cmdline = lr->params ? lr->params : "";
	} else {
		/* kvmtool's kvm_run_set_real_cmdline, byte for byte (arm64 adds nothing of its own). */
		snprintf(lr->cmdline, sizeof(lr->cmdline), " console=%s%s%s%s",
			 cfg->virtio_console ? "hvc0" : "ttyS0",
			 lr->params && strstr(lr->params, "root=") ? "" : " root=/dev/vda rw ",
			 lr->params ? " " : "", lr->params ? lr->params : "");
		cfg->cmdline = lr->cmdline;
	}
	if (cfg->kernel && cfg->kernel_format == KERNEL_FORMAT_IMAGE && lkvm_headerless(cfg->kernel)) {
		cfg->kernel_format = KERNEL_FORMAT_RAW;
		log_info("lkvm: %s: no arm64 Image header; loaded raw at RAM + 0x80000, as kvmtool does",
			 cfg->kernel);
	}
	/* kvmtool writes the DTB and boots on. */
	cfg->dump_dtb_boot = cfg->dump_dtb != NULL;
}

void cli_lkvm_free(struct lkvm_run *lr)
{
	for (unsigned i = 0; i < lr->nr_owned; i++)
		free(lr->owned[i]);
	lr->nr_owned = 0;
	lr->argc = 0;
	lr->argv[0] = NULL;
}

int cli_lkvm_exit_code(int vmm_code)
{
	switch (vmm_code) {
	case VMM_EXIT_USAGE: return LKVM_EXIT_USAGE;
	case VMM_EXIT_RESET: return 0;
	default: return vmm_code;
	}
}

/* kvmtool's usage_with_options layout: 4 spaces, "-c, --cpus <n>" padded to 24, 2 more. */
static const struct lkvm_usage_opt {
	char sname;
	const char *lname, *argh, *help;
} lkvm_usage_opts[] = {
	{ 0, NULL, NULL, "Basic options:" },
	{ 0, "name", "guest name", "A name for the guest" },
	{ 'c', "cpus", "n", "Number of CPUs" },
	{ 'm', "mem", "size[KMGT]", "Virtual machine memory size, by default measured in megabytes (M)" },
	{ 'd', "disk", "image", "Disk image" },
	{ 0, "rng", NULL, "Enable virtio Random Number Generator" },
	{ 0, "vsock", "cid", "Guest virtio socket CID" },
	{ 0, "nodefaults", NULL, "Disable implicit configuration that cannot be disabled otherwise" },
	{ 0, "console", "serial or virtio", "Console to use" },
	{ 0, "virtio-transport", "[pci|mmio]", "Type of virtio transport" },
	{ 0, "loglevel", "[error|warning|info|debug]", "Set the verbosity level" },
	{ 0, NULL, NULL, "Kernel options:" },
	{ 'k', "kernel", "kernel", "Kernel to boot in virtual machine" },
	{ 'i', "initrd", "initrd", "Initial RAM disk image" },
	{ 'p', "params", "params", "Kernel command line arguments" },
	{ 0, NULL, NULL, "Networking options:" },
	{ 'n', "network", "network params", "Create a new guest NIC (mode=tap|none)" },
	{ 0, NULL, NULL, "Debug options:" },
	{ 0, "debug", NULL, "Enable debug messages (deprecated, use --loglevel=debug instead)" },
	{ 0, NULL, NULL, "Arch-specific options:" },
	{ 0, "dump-dtb", ".dtb file", "Dump generated .dtb to specified file" },
	{ 0, "force-pci", NULL, "Force virtio devices to use PCI as their default transport" },
	{ 0, "irqchip", "[gicv2|gicv2m|gicv3|gicv3-its|auto]", "Type of interrupt controller to emulate in the guest" },
	{ 0, "pmu", NULL, "Create PMUv3 device" },
	{ 0, "disable-mte", NULL, "Disable memory tagging extension" },
	{ 0, "disable-sve", NULL, "Disable SVE" },
	{ 0, "no-pvtime", NULL, "Disable stolen time" },
};

void cli_lkvm_run_usage(void *stream)
{
	FILE *f = stream;

	fprintf(f, "\n usage: lkvm run [<options>] [<kernel image>]\n");
	for (size_t i = 0; i < ARRAY_SIZE(lkvm_usage_opts); i++) {
		const struct lkvm_usage_opt *o = &lkvm_usage_opts[i];
		int pos;

		if (!o->lname) {
			fprintf(f, "\n%s\n", o->help);
			continue;
		}
		pos = fprintf(f, "    ");
		pos += o->sname ? fprintf(f, "-%c, ", o->sname) : fprintf(f, "    ");
		pos += fprintf(f, "--%s", o->lname);
		if (o->argh)
			pos += fprintf(f, " <%s>", o->argh);
		if (pos <= 24)
			fprintf(f, "%*s%s\n", 24 - pos + 2, "", o->help);
		else
			fprintf(f, "\n%*s%s\n", 24 + 2, "", o->help);
	}
	fputc('\n', f);
}

/* builtin-help.c kvm_help, with the commands this mode has. */
static void lkvm_help(void)
{
	printf("\n usage: lkvm [--version] [--help] COMMAND [ARGS]\n\n"
	       " The most commonly used lkvm commands are:\n"
	       "   run       Start the virtual machine\n"
	       "   version   Print the version of the kernel tree kvm tools\n"
	       "   help      Display help information about lkvm\n"
	       "\n See 'lkvm help COMMAND' for more information on a specific command.\n\n");
}

/* kvmtool commands vmm's lkvm mode does not take (vmm's own control commands differ). */
static const char *const lkvm_other_commands[] = {
	"pause", "resume", "debug", "balloon", "list", "stop", "stat", "setup", "sandbox",
};

int cli_lkvm_main(int argc, char **argv, int (*run_fn)(int argc, char **argv, void *ctx), void *ctx)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		lkvm_help();
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cli_lkvm_exit_code(run_fn(argc - 1, argv + 1, ctx));
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("kvm tool %s\n", LKVM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		/* kvmtool: `help run` is run's usage (which exits 129), `help version` nothing. */
		if (argc > 2 && !strcmp(argv[2], "run")) {
			cli_lkvm_run_usage(stderr);
			return LKVM_EXIT_USAGE;
		}
		if (argc <= 2 || strcmp(argv[2], "version"))
			lkvm_help();
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lkvm_other_commands); i++) {
		if (!strcmp(cmd, lkvm_other_commands[i])) {
			log_err("lkvm: '%s' is a kvmtool command vmm does not take as lkvm; use vmm %s", cmd,
				!strcmp(cmd, "debug") || !strcmp(cmd, "balloon") || !strcmp(cmd, "setup") ||
				!strcmp(cmd, "sandbox") ? "help" : cmd);
			return LKVM_EXIT_NO_COMMAND;
		}
	}
	lkvm_help();
	return LKVM_EXIT_NO_COMMAND;
}
