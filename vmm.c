/* vmm.c - entry point: subcommands and exit codes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "probe.h"
#include "util.h"
#include "vm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmm COMMAND [options]\n"
		"  run     boot a guest (vmm run --help)\n"
		"  probe   what this host's KVM can give: GIC models, ITS, vCPUs, IPA, SVE... [--json]\n"
		"  help    this text\n");
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	char err[256];
	int ret;

	if (cli_parse_run(argc, argv, &cfg, err, sizeof(err))) {
		log_err("run: %s", err);
		return VMM_EXIT_USAGE;
	}
	if (cfg.help) {
		cli_usage_run(stdout);
		return 0;
	}
	ret = vm_create(&vm, &cfg);
	if (ret) {
		vm_destroy(&vm);
		return VMM_EXIT_ERROR;
	}
	ret = vm_run(&vm);
	vm_destroy(&vm);
	return ret;
}

static int cmd_probe(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	struct kvm_probe p;
	int fd, ret;

	if (argc > 2 || (argc == 2 && !json)) {
		log_err("probe: usage: vmm probe [--json]");
		return VMM_EXIT_USAGE;
	}
	fd = kvm_open_dev();
	if (fd < 0)
		return VMM_EXIT_ERROR;
	ret = kvm_probe(fd, &p);
	close(fd);
	if (ret)
		return VMM_EXIT_ERROR;
	kvm_probe_print(&p, stdout, json);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VMM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	log_err("unknown command '%s' (see vmm help)", argv[1]);
	return VMM_EXIT_USAGE;
}
