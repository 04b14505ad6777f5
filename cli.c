/* cli.c - `vmm run` options, kvmtool-style. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "irqchip/gic.h"
#include "util.h"

enum {
	OPT_GIC = 256, OPT_ITS, OPT_NAME, OPT_KERNEL_FORMAT, OPT_RNG, OPT_CONSOLE, OPT_TIMEOUT,
	OPT_CONSOLE_LOG, OPT_EXPECT, OPT_FAIL_ON, OPT_REBOOT, OPT_REPORT, OPT_DUMP_DTB, OPT_TRANSPORT,
	OPT_NO_SECCOMP, OPT_PMU, OPT_NO_PMU, OPT_NO_SVE, OPT_SVE_MAX_VL, OPT_NO_PAUTH, OPT_NO_MTE,
	OPT_NO_PVTIME,
	OPT_VSOCK,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "params", required_argument, NULL, 'p' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "gic", required_argument, NULL, OPT_GIC },
	{ "its", no_argument, NULL, OPT_ITS },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "kernel-format", required_argument, NULL, OPT_KERNEL_FORMAT },
	{ "disk", required_argument, NULL, 'd' },
	{ "network", required_argument, NULL, 'n' },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "reboot", required_argument, NULL, OPT_REBOOT },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "dump-dtb", required_argument, NULL, OPT_DUMP_DTB },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "pmu", no_argument, NULL, OPT_PMU },
	{ "no-pmu", no_argument, NULL, OPT_NO_PMU },
	{ "no-sve", no_argument, NULL, OPT_NO_SVE },
	{ "sve-max-vl", required_argument, NULL, OPT_SVE_MAX_VL },
	{ "no-pauth", no_argument, NULL, OPT_NO_PAUTH },
	{ "no-mte", no_argument, NULL, OPT_NO_MTE },
	{ "no-pvtime", no_argument, NULL, OPT_NO_PVTIME },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void cli_usage_run(void *stream)
{
	char cmdline[128];

	/* The guest command line without -p for the 16550 console (arch_default_cmdline, as the
	 * device tree gets it). The boot tests read it from this help line (tests/boot/l1-init,
	 * lib.sh): vmm run --help is the one place they take it from. */
	arch_default_cmdline("ttyS0", cmdline, sizeof(cmdline));
	fprintf(stream,
		"usage: vmm run [options] [-k] IMAGE\n"
		"Boot an arm64 Linux kernel (or a raw payload) in a KVM guest.\n"
		"\n"
		"  -k, --kernel FILE        arm64 Image to boot (or the last argument)\n"
		"  -i, --initrd FILE        initial ramdisk\n"
		"  -p, --params CMDLINE     kernel command line, passed exactly as given\n"
		"                           (default: \"%s\")\n"
		"  -c, --cpus N             vCPUs, 1-%u (default %u)\n"
		"  -m, --mem SIZE           guest RAM: 512 (MiB), 512M or 2G (default 1G; a multiple of 2M)\n"
		"      --gic=MODEL          interrupt controller: v3, v2, v2m (v2 with a GICv2m MSI\n"
		"                           frame) or auto (default: v3 with ITS where the host\n"
		"                           can, else v2m)\n"
		"      --its                add a GICv3 ITS (needs --gic=v3 or auto)\n"
		"      --name NAME          VM name for the control socket and `vmm list/stat/...`:\n"
		"                           letters, digits, '.', '_', '-' (default vm-PID)\n"
		"      --kernel-format=FMT  image (default: needs the arm64 Image header) or raw\n"
		"                           (bare payload, loaded at RAM+0x80000, entered at its\n"
		"                           first byte with x0 = DTB)\n"
		"  -d, --disk PATH[,ro]     virtio-blk disk: an image file or a block device (up to\n"
		"                           %u; ,ro offers it read-only and refuses guest writes)\n"
		"  -n, --network OPTS       a virtio-net NIC (up to %u; kvmtool's spelling), OPTS:\n"
		"                           mode=tap|none (default tap; none: no NIC),\n"
		"                           tapif=NAME (an existing tap; default: vmm creates vmmN),\n"
		"                           fd=N (a tap fd opened with IFF_VNET_HDR), guest_mac=MAC\n"
		"                           (default: derived from --name), trans=pci|mmio, vhost=1|0\n"
		"                           (vhost-net: default on when /dev/vhost-net opens),\n"
		"                           mq=N (queue pairs: up to 8 and one per vCPU; a tapif=\n"
		"                           tap must be multi_queue)\n"
		"      --rng                virtio-rng, fed from getrandom()\n"
		"      --vsock CID          virtio-vsock with guest CID (3 to 4294967294) through the\n"
		"                           kernel's vhost-vsock (/dev/vhost-vsock, module vhost_vsock)\n"
		"      --console=KIND       serial (default: 16550, ttyS0) or virtio (hvc0)\n"
		"      --transport=KIND     virtio over pci (default) or mmio (virtio-mmio, an SPI each)\n"
		"\n"
		"vCPU features (each on by default where the host's KVM offers it; vmm probe lists them):\n"
		"      --pmu, --no-pmu      PMUv3 for perf in the guest (--pmu: fail without one)\n"
		"      --sve-max-vl BITS    SVE up to BITS-bit vectors (a multiple of 128; default the\n"
		"                           host's largest)\n"
		"      --no-sve             no SVE\n"
		"      --no-pauth           no pointer authentication (address and generic keys)\n"
		"      --no-mte             no memory tagging (MTE)\n"
		"      --no-pvtime          no stolen-time accounting (pvtime)\n"
		"\n"
		"For CI boot tests:\n"
		"      --timeout DURATION   stop the guest and exit 5 after DURATION (120, 90s, 5m, 1h)\n"
		"      --console-log FILE   copy all console output to FILE\n"
		"      --expect REGEX       exit 0 as soon as a console line matches (extended regex);\n"
		"                           a guest that powers off without it exits 7\n"
		"      --fail-on REGEX      exit 6 as soon as a console line matches\n"
		"      --reboot=WHAT        on guest reset: exit (default, exit 3) or restart the guest\n"
		"      --report FILE        write a JSON report: timeline, exits, interrupts, I/O, memory\n"
		"      --dump-dtb FILE      build the VM, write its device tree to FILE, exit (no boot)\n"
		"      --no-seccomp         no per-thread seccomp filters (for debugging; see README)\n"
		"  -v, --verbose            also print vmm's debug lines (errors, warnings and notes\n"
		"                           are always printed, on stderr)\n"
		"  -h, --help               this text\n"
		"\n"
		"The guest console (16550 ttyS0, or hvc0 with --console=virtio) is on stdin/stdout;\n"
		"the terminal is in raw mode while the guest runs. Virtio devices sit on PCI with\n"
		"MSI-X (through the ITS on v3, the v2m frame on v2m) or INTx on plain v2.\n"
		"\n"
		"Ctrl-A c on the console opens the (vmm) monitor (the same commands as the control\n"
		"socket; Ctrl-A c again returns to the guest), Ctrl-A x stops the VM, Ctrl-A a sends\n"
		"a Ctrl-A to the guest.\n"
		"\n"
		"The test-exit register at 0x01010000 ends the VM with the status a guest writes\n"
		"there: `devmem 0x01010000 32 7` makes vmm exit 7.\n"
		"\n"
		"Exit status:\n"
		"  0    the guest powered off (PSCI SYSTEM_OFF), or --expect matched\n"
		"  1    VMM error (bad file, KVM failure)\n"
		"  2    bad command line\n"
		"  3    the guest reset (PSCI SYSTEM_RESET) with --reboot=exit\n"
		"  4    the guest panicked (Linux panic banner on the console, or KVM crash event)\n"
		"  5    --timeout expired\n"
		"  6    --fail-on matched\n"
		"  7    the guest powered off before --expect matched\n"
		"  8    stopped by `vmm stop --force` or Ctrl-A x\n"
		"  N    the guest wrote N to the test-exit register\n"
		"  128+N  stopped by signal N (SIGINT 130, SIGTERM 143, SIGHUP 129), after the\n"
		"       disk I/O in flight finished and every writable disk was synced\n"
		"  159  a thread made a system call outside its seccomp allowlist (SIGSYS, 128+31);\n"
		"       stderr names the thread and the call\n",
		cmdline, arch_max_vcpus(), CLI_DEFAULT_VCPUS, CLI_MAX_DISKS, CLI_MAX_NICS);
}

const char *cli_gic_name(enum gic_model m)
{
	switch (m) {
	case GIC_V2: return "v2";
	case GIC_V2M: return "v2m";
	case GIC_V3: return "v3";
	default: return "auto";
	}
}

bool cli_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return s[0] != '.' && s[0] != '-';
}

/* -d PATH[,ro]: the path is kept in cfg (argv strings are not modified). */
static int cli_disk(const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	size_t n = strlen(arg);
	char *path;

	if (cfg->nr_disks >= CLI_MAX_DISKS) {
		snprintf(err, errlen, "-d %s: at most %u disks", arg, CLI_MAX_DISKS);
		return -EINVAL;
	}
	if (n == 0 || n >= sizeof(cfg->disk_args[0])) {
		snprintf(err, errlen, "-d: give a disk image path (PATH or PATH,ro)");
		return -EINVAL;
	}
	path = cfg->disk_args[cfg->nr_disks];
	memcpy(path, arg, n + 1);
	cfg->disks[cfg->nr_disks].read_only = false;
	if (n > 3 && !strcmp(path + n - 3, ",ro")) {
		path[n - 3] = '\0';
		cfg->disks[cfg->nr_disks].read_only = true;
	} else if (strchr(path, ',')) {
		snprintf(err, errlen, "-d %s: unknown disk option; use PATH or PATH,ro", arg);
		return -EINVAL;
	}
	cfg->disks[cfg->nr_disks++].path = path;
	return 0;
}

static int cli_opt(int c, const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case 'k': cfg->kernel = arg; return 0;
	case 'i': cfg->initrd = arg; return 0;
	case 'p': cfg->cmdline = arg; return 0;
	case 'h': cfg->help = true; return 0;
	case 'v': cfg->verbose = true; return 0;
	case OPT_ITS: cfg->its = true; return 0;
	case 'c':
		if (parse_uint(arg, 1, arch_max_vcpus(), &v)) {
			snprintf(err, errlen, "-c %s: vCPUs must be a number from 1 to %u", arg, arch_max_vcpus());
			return -EINVAL;
		}
		cfg->nr_vcpus = v;
		return 0;
	case 'm':
		if (parse_mem_size(arg, &v)) {
			snprintf(err, errlen, "-m %s: not a size; use e.g. 512, 512M or 2G", arg);
			return -EINVAL;
		}
		if (v < CLI_MIN_MEM || v > arch_ram_max() || !IS_ALIGNED(v, SZ_2M)) {
			snprintf(err, errlen, "-m %s: guest RAM must be a multiple of 2M from %lluM to %lluG",
				 arg, CLI_MIN_MEM >> 20, (unsigned long long)(arch_ram_max() >> 30));
			return -EINVAL;
		}
		cfg->mem_size = v;
		return 0;
	case OPT_GIC:
		if (!strcmp(arg, "v2"))
			cfg->gic = GIC_V2;
		else if (!strcmp(arg, "v2m"))
			cfg->gic = GIC_V2M;
		else if (!strcmp(arg, "v3"))
			cfg->gic = GIC_V3;
		else if (!strcmp(arg, "auto"))
			cfg->gic = GIC_AUTO;
		else {
			snprintf(err, errlen, "--gic=%s: unknown model; use v3, v2, v2m or auto", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_NAME:
		if (!cli_name_valid(arg)) {
			snprintf(err, errlen, "--name %s: " CLI_NAME_RULE, arg);
			return -EINVAL;
		}
		cfg->name = arg;
		return 0;
	case 'd':
		return cli_disk(arg, cfg, err, errlen);
	case 'n':
		return cli_network(arg, cfg, err, errlen);
	case OPT_RNG:
		cfg->rng = true;
		return 0;
	case OPT_CONSOLE:
		if (!strcmp(arg, "serial"))
			cfg->virtio_console = false;
		else if (!strcmp(arg, "virtio"))
			cfg->virtio_console = true;
		else {
			snprintf(err, errlen, "--console=%s: use serial or virtio", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_TIMEOUT:
		if (parse_duration_ms(arg, &cfg->timeout_ms) || !cfg->timeout_ms) {
			snprintf(err, errlen, "--timeout %s: not a duration; use e.g. 120, 90s, 5m or 1h", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_CONSOLE_LOG: cfg->console_log = arg; return 0;
	case OPT_EXPECT: cfg->expect = arg; return 0;
	case OPT_FAIL_ON: cfg->fail_on = arg; return 0;
	case OPT_REPORT: cfg->report = arg; return 0;
	case OPT_DUMP_DTB: cfg->dump_dtb = arg; return 0;
	case OPT_NO_SECCOMP: cfg->no_seccomp = true; return 0;
	case OPT_PMU: cfg->pmu = FEAT_ON; return 0;
	case OPT_NO_PMU: cfg->pmu = FEAT_OFF; return 0;
	case OPT_NO_SVE: cfg->sve = FEAT_OFF; return 0;
	case OPT_NO_PAUTH: cfg->pauth = FEAT_OFF; return 0;
	case OPT_NO_MTE: cfg->mte = FEAT_OFF; return 0;
	case OPT_NO_PVTIME: cfg->pvtime = FEAT_OFF; return 0;
	case OPT_VSOCK:
		/* 0 hypervisor, 1 local, 2 host, 0xffffffff VMADDR_CID_ANY (linux/vm_sockets.h). */
		if (parse_uint(arg, 3, 0xfffffffeULL, &cfg->vsock_cid)) {
			snprintf(err, errlen, "--vsock %s: a guest CID is a number from 3 to 4294967294 "
				 "(0, 1 and 2 are reserved, 4294967295 is VMADDR_CID_ANY)", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_SVE_MAX_VL:
		/* Architectural SVE vector lengths: 128 to 2048 bits in steps of 128. */
		if (parse_uint(arg, 128, 2048, &v) || v % 128) {
			snprintf(err, errlen, "--sve-max-vl %s: give a vector length in bits, a multiple of 128 "
				 "from 128 to 2048", arg);
			return -EINVAL;
		}
		cfg->sve_max_vl = v;
		return 0;
	case OPT_TRANSPORT:
		if (strcmp(arg, "pci") && strcmp(arg, "mmio")) {
			snprintf(err, errlen, "--transport=%s: use pci or mmio", arg);
			return -EINVAL;
		}
		cfg->virtio_mmio = !strcmp(arg, "mmio");
		return 0;
	case OPT_REBOOT:
		if (strcmp(arg, "exit") && strcmp(arg, "restart")) {
			snprintf(err, errlen, "--reboot=%s: use exit or restart", arg);
			return -EINVAL;
		}
		cfg->reboot_restart = !strcmp(arg, "restart");
		return 0;
	case OPT_KERNEL_FORMAT:
		if (!strcmp(arg, "image"))
			cfg->kernel_format = KERNEL_FORMAT_IMAGE;
		else if (!strcmp(arg, "raw"))
			cfg->kernel_format = KERNEL_FORMAT_RAW;
		else {
			snprintf(err, errlen, "--kernel-format=%s: use image or raw", arg);
			return -EINVAL;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

bool cli_run_takes_value(const char *arg)
{
	if (arg[0] != '-' || !arg[1])
		return false;
	if (arg[1] != '-')
		return !arg[2] && strchr("kipcmdn", arg[1]);
	for (const struct option *o = run_options; o->name; o++)
		if (!strcmp(arg + 2, o->name))
			return o->has_arg == required_argument;
	return false;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	int c, ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = CLI_DEFAULT_VCPUS;
	cfg->mem_size = CLI_DEFAULT_MEM;
	cfg->gic = GIC_AUTO;
	err[0] = '\0';

	optind = 0; /* GNU getopt: full re-initialisation, so parsing can run again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:i:p:c:m:d:n:hv", run_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			if (c == ':' || (optopt && strchr("kipcmdn", optopt)))
				snprintf(err, errlen, "option %s needs a value (see vmm run --help)", bad);
			else
				snprintf(err, errlen, "unknown option %s (see vmm run --help)", bad);
			return -EINVAL;
		}
		ret = cli_opt(c, optarg, cfg, err, errlen);
		if (ret)
			return ret;
	}
	if (cfg->help)
		return 0;
	if (optind < argc) {
		if (cfg->kernel || optind + 1 < argc) {
			snprintf(err, errlen, "unexpected argument %s (the kernel is given once)", argv[optind]);
			return -EINVAL;
		}
		cfg->kernel = argv[optind];
	}
	if (!cfg->kernel) {
		snprintf(err, errlen, "no kernel: give an arm64 Image with -k FILE or as the last argument");
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->nr_nics; i++) {
		if (cfg->virtio_mmio && cfg->nics[i].pci) {
			snprintf(err, errlen, "-n trans=pci: --transport=mmio gives the VM no PCI bus; use trans=mmio");
			return -EINVAL;
		}
	}
	if (cfg->sve_max_vl && cfg->sve == FEAT_OFF) {
		snprintf(err, errlen, "--sve-max-vl and --no-sve contradict each other: give one");
		return -EINVAL;
	}
	if (cfg->sve_max_vl)
		cfg->sve = FEAT_ON;
	if (cfg->its && (cfg->gic == GIC_V2 || cfg->gic == GIC_V2M)) {
		snprintf(err, errlen, "--its needs a GICv3: use --gic=v3 --its");
		return -EINVAL;
	}
	/* The model's limit (irqchip ops), checked before anything opens KVM. */
	if ((cfg->gic == GIC_V2 || cfg->gic == GIC_V2M) && cfg->nr_vcpus > gicv2_ops.max_vcpus) {
		snprintf(err, errlen, "-c %u: GICv2 supports at most %u vCPUs; use --gic=v3", cfg->nr_vcpus,
			 gicv2_ops.max_vcpus);
		return -EINVAL;
	}
	return 0;
}
