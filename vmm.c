/* vmm.c - entry point: subcommands and exit codes. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "console.h"
#include "report.h"
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

/* One VM from create to destroy; the exit code, or VMM_RESTART. */
static int run_once(struct vm *vm, const struct vm_config *cfg, struct console *con, unsigned restarts)
{
	int code = vm_create(vm, cfg, con) ? VMM_EXIT_ERROR : vm_run(vm);

	if (code == VMM_EXIT_ERROR && !vm->t_end)
		vm->t_end = vm_uptime(vm);
	if (cfg->report && code != VMM_RESTART)
		report_write(cfg->report, vm, code, restarts);
	vm_destroy(vm);
	return code;
}

static int cmd_run(int argc, char **argv, double t_exec)
{
	struct vm_config cfg;
	struct console con;
	struct vm vm;
	unsigned restarts = 0;
	char err[256];
	int code;

	if (cli_parse_run(argc, argv, &cfg, err, sizeof(err))) {
		log_err("run: %s", err);
		return VMM_EXIT_USAGE;
	}
	if (cfg.help) {
		cli_usage_run(stdout);
		return 0;
	}
	cfg.t_exec = t_exec;
	if (console_init(&con, NULL, STDOUT_FILENO, cfg.console_log, cfg.expect, cfg.fail_on, err,
			 sizeof(err))) {
		log_err("run: %s", err);
		console_destroy(&con);
		return VMM_EXIT_USAGE;
	}
	/* --reboot=restart: a guest reset builds the VM again, fresh, in this process. */
	while ((code = run_once(&vm, &cfg, &con, restarts)) == VMM_RESTART) {
		restarts++;
		log_err("run: the guest reset; restarting it (--reboot=restart, restart %u)", restarts);
	}
	console_destroy(&con);
	return code;
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
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (argc < 2) {
		usage(stderr);
		return VMM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, ts.tv_sec + ts.tv_nsec / 1e9);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	log_err("unknown command '%s' (see vmm help)", argv[1]);
	return VMM_EXIT_USAGE;
}
