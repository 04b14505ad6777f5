/* cli.h - the `vmm run` command line, parsed into a vm_config. */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gic_model { GIC_AUTO, GIC_V2, GIC_V2M, GIC_V3 };
enum kernel_format { KERNEL_FORMAT_IMAGE, KERNEL_FORMAT_RAW };
/* A vCPU feature on the command line: the host's default, asked for (--pmu, --sve-max-vl),
 * or turned off (--no-*). */
enum feat_choice { FEAT_AUTO, FEAT_ON, FEAT_OFF };

#define CLI_MAX_DISKS 8

struct disk_config {
	const char *path;
	bool read_only;
};

#define CLI_MAX_NICS 4

/* One -n/--network mode=tap NIC (kvmtool's spelling). */
struct nic_config {
	char tapif[16];        /* tapif=NAME (IFNAMSIZ); "": vmm creates vmm%d */
	int fd;                /* fd=N: a tap fd passed in; -1 none */
	uint8_t mac[6];        /* guest_mac=, or generated from the VM name (board) */
	bool mac_given;
	bool mmio;             /* trans=mmio on a PCI VM */
	bool pci;              /* trans=pci given (refused with --transport=mmio) */
	unsigned pairs;        /* mq=N queue pairs (0: 1); the board caps it (vCPUs, NET_MAX_PAIRS) */
	int vhost;             /* vhost=1 (1), vhost=0 (0), or not given (-1: vhost-net if it opens) */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;   /* NULL: the default console command line */
	const char *name;
	unsigned nr_vcpus;
	uint64_t mem_size;     /* bytes */
	enum gic_model gic;
	bool its;
	enum kernel_format kernel_format;
	struct disk_config disks[CLI_MAX_DISKS];
	char disk_args[CLI_MAX_DISKS][512]; /* -d values with ",ro" cut off */
	unsigned nr_disks;
	bool rng;              /* --rng: virtio-rng */
	uint64_t vsock_cid;    /* --vsock CID: virtio-vsock on vhost-vsock; 0 none */
	bool virtio_console;   /* --console=virtio: hvc0 instead of the 16550 */
	bool virtio_mmio;      /* --transport=mmio: virtio-mmio instead of PCI */
	struct nic_config nics[CLI_MAX_NICS];
	unsigned nr_nics;      /* -n mode=tap each; mode=none adds none */
	uint64_t timeout_ms;   /* --timeout, 0 = none */
	const char *console_log;
	const char *expect;
	const char *fail_on;
	bool reboot_restart;   /* --reboot=restart */
	const char *report;    /* --report FILE */
	const char *dump_dtb;  /* --dump-dtb FILE: write the DTB and exit without booting */
	enum feat_choice pmu;  /* --pmu / --no-pmu */
	enum feat_choice sve;  /* --no-sve; FEAT_ON with --sve-max-vl */
	unsigned sve_max_vl;   /* --sve-max-vl BITS, 0 = the host's largest */
	enum feat_choice pauth; /* --no-pauth */
	enum feat_choice mte;  /* --no-mte */
	enum feat_choice pvtime; /* --no-pvtime */
	bool dump_dtb_boot;    /* as lkvm (cli_lkvm.h): write the --dump-dtb file, then boot */
	bool no_seccomp;       /* --no-seccomp: no per-thread seccomp filters (debugging) */
	bool verbose;          /* -v, --verbose: debug log lines too */
	double t_exec;         /* CLOCK_MONOTONIC seconds when vmm started */
	bool help;             /* --help was given: print usage, run nothing */
};

#define CLI_DEFAULT_MEM   (1ULL << 30)
#define CLI_MIN_MEM       (64ULL << 20)
#define CLI_DEFAULT_VCPUS 2

/* Parse `vmm run` arguments (argv[0] is "run"); 0 or -EINVAL with a one-line reason in err. */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);
/* One -n/--network value (cli_net.c): mode=tap adds a NIC to cfg, mode=none nothing. 0 or
 * -EINVAL with a one-line reason in err. */
int cli_network(const char *arg, struct vm_config *cfg, char *err, size_t errlen);
/* True when arg is a `vmm run` option whose value is the next word (-k, --name, ...). */
bool cli_run_takes_value(const char *arg);
/* Print the `vmm run` usage text to the given stream. */
void cli_usage_run(void *stream);
/* A VM name, checked the same way by `vmm run --name` and by every client (it becomes
 * DIR/NAME.sock in the private control directory, so it must stay a plain file name):
 * 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'. */
bool cli_name_valid(const char *s);
#define CLI_NAME_RULE "use 1-64 letters, digits, '.', '_' or '-' (not first '.' or '-')"
/* Name of a GIC model as the CLI spells it. */
const char *cli_gic_name(enum gic_model m);

#endif
