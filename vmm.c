/* vmm.c - entry point: subcommands and exit codes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_lkvm.h"
#include "command.h"
#include "control.h"
#include "console.h"
#include "emit.h"
#include "outq.h"
#include "report.h"
#include "probe.h"
#include "seccomp.h"
#include "util.h"
#include "vm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmm COMMAND [options]\n"
		"  run [options] IMAGE        boot a guest (vmm run --help)\n"
		"  probe [--json]             what this host's KVM can give: GIC models, ITS, vCPUs...\n"
		"  list [--json]              running VMs\n"
		"  status NAME                state, uptime, GIC, vCPUs\n"
		"  pause NAME | resume NAME   stop / restart the vCPUs (guest time stops too)\n"
		"  stop NAME [--force]        power the guest off (SysRq over the serial console,\n"
		"                             waits up to 60 s), or end it at once\n"
		"  stat NAME                  exits per vCPU, interrupts per route, I/O counts\n"
		"  info NAME gic [all]|its|irq|pci|mem|io|net|dtb FILE\n"
		"  inject NAME spi INTID [0|1] | inject NAME msi DEVID EVENTID\n"
		"  monitor NAME               a (vmm) prompt for the commands above\n"
		"  help                       this text\n"
		"Control commands take --json for a JSON reply. Sockets live in the first of\n"
		"$XDG_RUNTIME_DIR/vmm, /run/vmm (root), ~/.vmm and /tmp/vmm-UID that works; the\n"
		"protocol is one command a line, each reply ending with a line \"ok\" or\n"
		"\"error: <reason>\".\n");
}

static int dump_dtb(struct vm *vm, const char *path)
{
	char err[256];

	if (dtb_write_file(path, vm->dtb, vm->dtb_size, err, sizeof(err))) {
		log_err("run: --dump-dtb %s", err);
		return VMM_EXIT_ERROR;
	}
	return 0;
}

/* One VM from create to destroy; the exit code, or VMM_RESTART. */
static int run_once(struct vm *vm, const struct vm_config *cfg, struct console *con, struct report *rep,
		    unsigned restarts)
{
	int code;

	if (vm_create(vm, cfg, con))
		code = VMM_EXIT_ERROR;
	else if (cfg->dump_dtb && !cfg->dump_dtb_boot)
		code = dump_dtb(vm, cfg->dump_dtb);
	else if (cfg->dump_dtb && !restarts && dump_dtb(vm, cfg->dump_dtb))
		code = VMM_EXIT_ERROR; /* as lkvm: the DTB is written, then the guest boots */
	else
		code = vm_run(vm);

	if (code == VMM_EXIT_ERROR && !vm->t_end)
		vm->t_end = vm_uptime(vm);
	/* Disk requests the drain gave up on still use guest RAM and the image (and its lock):
	 * a new VM in this process would run beside them. Exit instead, never with success. */
	if (vm_stop_io(vm)) {
		bool restart = code == VMM_RESTART;

		if (restart || code == VMM_EXIT_POWEROFF)
			code = VMM_EXIT_ERROR;
		log_err("run: disk requests never finished; exiting with %d (%s)%s", code, vm_exit_name(code),
			restart ? " instead of restarting the guest (--reboot=restart)" : "");
	}
	if (cfg->report && code != VMM_RESTART)
		report_write(rep, vm, code, restarts);
	vm_destroy(vm);
	return code;
}

/* vmm's own log lines queued for stderr while a VM runs. */
#define LOG_QUEUE_BYTES (256 * 1024)

static size_t log_queue_put(void *q, const void *buf, size_t len)
{
	return outq_put(q, buf, len);
}

static int cmd_run(int argc, char **argv, double t_exec, bool lkvm)
{
	struct lkvm_run lr;
	struct outq *logq = NULL;
	uint64_t lost;
	struct vm_config cfg;
	struct console con;
	struct report rep = { 0 };
	struct vm vm;
	unsigned restarts = 0;
	char err[256], name[32];
	int code;

	/* kvmtool's spellings (cli_lkvm.h) become vmm's; as lkvm, also lkvm's defaults. */
	if (cli_lkvm_translate(argc, argv, lkvm, &lr, err, sizeof(err)) ||
	    (!lr.help && cli_parse_run(lr.argc, lr.argv, &cfg, err, sizeof(err)))) {
		log_err("run: %s", err);
		cli_lkvm_free(&lr);
		return VMM_EXIT_USAGE;
	}
	if (lr.help) {
		cli_lkvm_run_usage(stderr);
		cli_lkvm_free(&lr);
		return VMM_EXIT_USAGE; /* lkvm's 129 */
	}
	if (cfg.help) {
		cli_usage_run(stdout);
		cli_lkvm_free(&lr);
		return 0;
	}
	cli_lkvm_apply(&lr, &cfg);
	cfg.t_exec = t_exec;
	if (cfg.verbose)
		log_set_level(LOG_LVL_DEBUG);
	/* Opened before anything runs: the main thread opens no file once the VM does. */
	if (cfg.report && report_open(&rep, cfg.report))
		return VMM_EXIT_ERROR;
	if (seccomp_configure(!cfg.no_seccomp && (!cfg.dump_dtb || cfg.dump_dtb_boot), cfg.reboot_restart)) {
		report_close(&rep);
		return VMM_EXIT_ERROR;
	}
	if (!cfg.name) {
		snprintf(name, sizeof(name), "vm-%d", (int)getpid());
		cfg.name = name;
	}
	if (console_init(&con, NULL, STDOUT_FILENO, cfg.console_log, cfg.expect, cfg.fail_on, err,
			 sizeof(err))) {
		log_err("run: %s", err);
		console_destroy(&con);
		report_close(&rep);
		return VMM_EXIT_USAGE;
	}
	/* From here log lines go through a queue of their own: a stalled stderr (the same
	 * terminal as the console, often) never holds up a vCPU or the I/O thread. */
	if (outq_create(&logq, STDERR_FILENO, LOG_QUEUE_BYTES, "log-writer", NULL) == 0)
		log_set_sink(log_queue_put, logq);
	/* --reboot=restart: a guest reset builds the VM again, fresh, in this process. */
	while ((code = run_once(&vm, &cfg, &con, &rep, restarts)) == VMM_RESTART) {
		restarts++;
		log_info("run: the guest reset; restarting it (--reboot=restart, restart %u)", restarts);
	}
	console_finish(&con, 2000);
	console_destroy(&con);
	log_set_sink(NULL, NULL);
	lost = logq ? outq_dropped(logq) : 0;
	/* A writer still blocked means stderr is not read: saying so there would block too. */
	if (outq_destroy(logq, 2000) && lost)
		log_err("run: %llu bytes of log lines were dropped: stderr did not keep up",
			(unsigned long long)lost);
	report_close(&rep);
	cli_lkvm_free(&lr);
	return code;
}

static int cmd_run_lkvm(int argc, char **argv, void *t_exec)
{
	return cmd_run(argc, argv, *(double *)t_exec, true);
}

/* Subcommands that are one control command for a running VM. */
static const char *const client_commands[] = {
	"status", "pause", "resume", "stop", "stat", "info", "inject",
};

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

/* A reply as JSON: {"ok": bool, "lines": [...]} with the ok/error line taken out; for a
 * describing command (command_describes) also its description under its name, given as
 * the VM's one line of JSON in described (NULL: none). */
static void print_json_reply(const struct strbuf *sb, int ret, const char *name, const char *described)
{
	const char *p = sb->buf ? sb->buf : "", *end = p + sb->len;
	struct strbuf out = { 0 };
	struct emit e;

	emit_init(&e, &out, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	emit_bool(&e, "ok", ret == 0);
	emit_arr_begin(&e, "lines");
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, n);

		if (line && !(n == 2 && !strncmp(p, "ok", 2)))
			emit_str(&e, NULL, line);
		free(line);
		p += n + 1;
	}
	emit_arr_end(&e);
	if (described)
		emit_json_raw(&e, name, described); /* not JSON (a VM of another version): left out */
	emit_obj_end(&e);
	emit_end(&e);
	if (out.buf)
		fputs(out.buf, stdout);
	sb_free(&out);
}

/* The description a describing command gives with --json: its first line, or NULL if the
 * VM refused (a vmm without it says "error: usage"). The reply is kept for sb_free. */
static const char *request_described(int fd, const char *cmd, struct strbuf *reply)
{
	char line[64];

	snprintf(line, sizeof(line), "%s --json", cmd);
	if (control_request(fd, line, reply) || !reply->buf)
		return NULL;
	reply->buf[strcspn(reply->buf, "\n")] = '\0';
	return reply->buf;
}

/* One request; with dtb_path (info dtb FILE) the VM sends the DTB and this process writes
 * FILE: the reply becomes what the VM used to say, "wrote N bytes to FILE". */
static int client_request(int fd, const char *line, const char *dtb_path, struct strbuf *reply)
{
	struct strbuf raw = { 0 };
	char err[300];
	size_t size;
	int ret = control_request(fd, dtb_path ? "info dtb" : line, dtb_path ? &raw : reply);

	if (!dtb_path)
		return ret;
	if (ret == 0 && control_save_dtb(&raw, dtb_path, &size, err, sizeof(err)) == 0) {
		sb_printf(reply, "wrote %zu bytes to %s\nok\n", size, dtb_path);
	} else if (ret == 0) {
		sb_printf(reply, "error: %s\n", err);
		ret = 1;
	} else if (raw.buf) {
		sb_printf(reply, "%s", raw.buf);
	}
	sb_free(&raw);
	return ret;
}

/* vmm stop without --force: wait for the VM to go (its socket stops answering). */
static int wait_gone(const char *name, int seconds)
{
	char err[256];

	for (int i = 0; i < seconds * 5; i++) {
		int fd = control_connect(name, err, sizeof(err));

		if (fd < 0)
			return 0;
		close(fd);
		usleep(200000);
	}
	return -ETIMEDOUT;
}

/* vmm pause|resume|stop|stat|info|inject|status NAME ...: one command over the socket. */
static int cmd_client(int argc, char **argv)
{
	struct strbuf line = { 0 }, reply = { 0 }, described = { 0 };
	bool json = false, stop = !strcmp(argv[0], "stop"), force = false;
	const char *name = NULL, *dtb_path;
	char err[256], path[4096];
	int fd, ret;

	sb_printf(&line, "%s", argv[0]);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!name)
			name = argv[i];
		else {
			force |= !strcmp(argv[i], "--force");
			sb_printf(&line, " %s", argv[i]);
		}
	}
	if (!name) {
		log_err("%s: usage: vmm %s NAME ... (see vmm help)", argv[0], argv[0]);
		sb_free(&line);
		return VMM_EXIT_USAGE;
	}
	fd = control_connect(name, err, sizeof(err));
	if (fd < 0) {
		log_err("%s: %s", argv[0], err);
		sb_free(&line);
		return VMM_EXIT_ERROR;
	}
	dtb_path = control_dtb_file(line.buf, path, sizeof(path));
	ret = client_request(fd, line.buf, dtb_path, &reply);
	/* --json: the same connection asks again for the structured form, right after. */
	if (ret == 0 && json && command_describes(line.buf))
		request_described(fd, argv[0], &described);
	close(fd);
	if (ret < 0)
		sb_printf(&reply, "error: the VM closed the connection\n");
	if (ret == 0 && stop && !force && wait_gone(name, 60))
		sb_printf(&reply, "error: the guest did not power off within 60 s; use vmm stop %s --force\n", name), ret = 1;
	if (json)
		print_json_reply(&reply, ret, argv[0], described.buf);
	else if (reply.buf)
		fputs(reply.buf, ret ? stderr : stdout);
	sb_free(&line);
	sb_free(&reply);
	sb_free(&described);
	return ret ? VMM_EXIT_ERROR : 0;
}

/* A field of a VM's status (status --json), or def if it has none. */
static const char *status_field(const char *status, const char *key, char *buf, size_t len, const char *def)
{
	return status && !emit_json_get(status, key, buf, len) ? buf : def;
}

/* vmm list: every socket in the control directory that answers, with its status (the
 * structured form, status --json). */
static int cmd_list(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	char dir[256], err[256];
	struct strbuf out = { 0 };
	struct dirent *de;
	struct emit e;
	DIR *d;

	if (control_dir(dir, sizeof(dir), err, sizeof(err))) {
		log_err("list: %s", err);
		return VMM_EXIT_ERROR;
	}
	d = opendir(dir);
	if (!d)
		return VMM_EXIT_ERROR;
	emit_init(&e, &out, EMIT_JSON);
	if (json)
		emit_arr_begin(&e, NULL);
	else
		printf("%-24s %-8s %s\n", "NAME", "STATE", "DETAILS");
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct strbuf reply = { 0 };
		char name[256], state[16], up[32], gic[32], vcpus[16];
		const char *status;
		int fd;

		if (n < 6 || strcmp(de->d_name + n - 5, ".sock"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 5), de->d_name);
		fd = control_connect(name, err, sizeof(err)); /* also clears stale sockets */
		if (fd < 0)
			continue;
		status = request_described(fd, "status", &reply);
		if (status || reply.buf) {
			const char *st = status_field(status, "state", state, sizeof(state), "?");
			const char *g = status_field(status, "gic", gic, sizeof(gic), "?");
			double uptime = strtod(status_field(status, "uptime", up, sizeof(up), "0"), NULL);
			unsigned long nr = strtoul(status_field(status, "vcpus", vcpus, sizeof(vcpus), "0"), NULL, 10);

			if (json) {
				emit_obj_begin(&e, NULL);
				emit_str(&e, "name", name);
				emit_str(&e, "state", st);
				emit_fixed(&e, "uptime", uptime, 3);
				emit_str(&e, "gic", g);
				emit_u64(&e, "vcpus", nr);
				emit_obj_end(&e);
			} else {
				printf("%-24s %-8s up %.0fs, %s, %lu vCPUs\n", name, st, uptime, g, nr);
			}
		}
		close(fd);
		sb_free(&reply);
	}
	closedir(d);
	if (json) {
		emit_arr_end(&e);
		emit_end(&e);
		fputs(out.buf ? out.buf : "[]\n", stdout);
	}
	sb_free(&out);
	return 0;
}

/* vmm monitor NAME: a (vmm) prompt; each line goes over the socket. Works without a tty. */
static int cmd_monitor(int argc, char **argv)
{
	char err[256], path[4096], *line = NULL;
	bool tty = isatty(STDIN_FILENO);
	size_t cap = 0;
	int fd;

	if (argc != 2) {
		log_err("monitor: usage: vmm monitor NAME");
		return VMM_EXIT_USAGE;
	}
	fd = control_connect(argv[1], err, sizeof(err));
	if (fd < 0) {
		log_err("monitor: %s", err);
		return VMM_EXIT_ERROR;
	}
	for (;;) {
		struct strbuf reply = { 0 };
		int ret;

		if (tty)
			fputs("(vmm) ", stdout), fflush(stdout);
		/* Whole lines whatever their length: the VM judges what is too long. */
		if (getline(&line, &cap, stdin) < 0)
			break;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (!strcmp(line, "quit"))
			break;
		ret = client_request(fd, line, control_dtb_file(line, path, sizeof(path)), &reply);
		if (reply.buf)
			fputs(reply.buf, stdout);
		sb_free(&reply);
		if (ret < 0) {
			log_err("monitor: the VM went away");
			break;
		}
		fflush(stdout);
	}
	free(line);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	double t_exec;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t_exec = ts.tv_sec + ts.tv_nsec / 1e9;
	if (cli_lkvm_invoked(argv[0]))
		return cli_lkvm_main(argc, argv, cmd_run_lkvm, &t_exec);
	if (argc < 2) {
		usage(stderr);
		return VMM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, t_exec, false);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(client_commands); i++)
		if (!strcmp(argv[1], client_commands[i]))
			return cmd_client(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	log_err("unknown command '%s' (see vmm help)", argv[1]);
	return VMM_EXIT_USAGE;
}
