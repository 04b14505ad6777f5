/* command.c - the command table, its parser, and the replies. */
#include "command.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "describe.h"
#include "devices/msix.h"
#include "devices/pci.h"
#include "devices/uart.h"
#include "emit.h"
#include "irqchip/gic.h"
#include "irqchip/irq.h"
#include "util.h"
#include "seccomp.h"
#include "virtio/iothread.h"
#include "virtio/net.h"
#include "virtio/virtio.h"
#include "vm.h"

#define MAX_ARGS 8

/* A reply that describes state: the description, written once, as text lines or (with a
 * last word --json) one line of JSON. 0 or -errno. */
typedef int describe_fn(struct vm *vm, struct emit *e);

/* A subcommand (the command's one argument) that describes state. */
struct subcommand {
	const char *name;
	describe_fn *describe;
};

struct command {
	const char *name;
	unsigned min_args, max_args;
	/* 0, or -errno with a reason in err; output lines go to out. */
	int (*run)(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen);
	const char *usage;
	describe_fn *describe;               /* instead of run */
	const struct subcommand *subs;       /* these instead of run; NULL-terminated */
};

static const struct command commands[];

static int cmd_help(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen);

/* The VM's status, described once: the text reply ("name X" ... "ram_mib N" lines, which
 * vmm status prints and the boot tests match) and `status --json` (read by vmm list). */
static int describe_status(struct vm *vm, struct emit *e)
{
	char gic[40];

	snprintf(gic, sizeof(gic), "%s%s", vm->irq.ops ? vm->irq.ops->name : "none", vm->irq.its_enabled ? "+its" : "");
	emit_obj_begin(e, NULL);
	emit_str(e, "name", vm->cfg->name ? vm->cfg->name : "-");
	emit_str(e, "state", vm->paused ? "paused" : "running");
	emit_fixed(e, "uptime", vm_uptime(vm), 3);
	emit_str(e, "gic", gic);
	emit_u64(e, "vcpus", vm->nr_vcpus);
	emit_u64(e, "ram_mib", vm->mem.size >> 20);
	/* After the lines the tests match: the vCPU features, one "key value" line each. */
	describe_cpu_features(e, vm);
	emit_obj_end(e);
	return 0;
}

static int cmd_pause(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen)
{
	int ret = vm_pause(vm);

	(void)argc, (void)argv, (void)out;
	if (ret == -EALREADY)
		snprintf(err, errlen, "already paused");
	else if (ret)
		snprintf(err, errlen, "the vCPUs did not stop: %s", strerror(-ret));
	return ret;
}

static int cmd_resume(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen)
{
	int ret = vm_resume(vm);

	(void)argc, (void)argv, (void)out;
	if (ret)
		snprintf(err, errlen, "not paused");
	return ret;
}

/* stop: SysRq s (sync), u (remount read-only), o (power off) over the serial console, so
 * the guest ends with a PSCI SYSTEM_OFF of its own; stop --force ends it at once. */
static int cmd_stop(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen)
{
	static const char *const keys[] = { "s", "u", "o" };

	if (argc == 2 && strcmp(argv[1], "--force")) {
		snprintf(err, errlen, "stop takes only --force");
		return -EINVAL;
	}
	if (argc == 2) {
		vm_request_stop(vm, VMM_EXIT_FORCED);
		sb_printf(out, "stopping now (forced)\n");
		return 0;
	}
	if (vm->cfg->virtio_console || !vm->uart) {
		snprintf(err, errlen, "a clean stop needs the serial console (SysRq); use stop --force");
		return -ENOTSUP;
	}
	if (vm->paused)
		vm_resume(vm);
	for (unsigned i = 0; i < ARRAY_SIZE(keys); i++) {
		if (uart_send_break(vm->uart, keys[i])) {
			snprintf(err, errlen, "the serial receive FIFO is full; try again or use --force");
			return -EBUSY;
		}
	}
	sb_printf(out, "asked the guest to power off (SysRq s, u, o on the serial console)\n");
	return 0;
}

/* The counters, described once (describe.h, shared with the --report file): stat's text
 * lines (each object one line from its template, as they always read) and stat --json. */
static int describe_stat(struct vm *vm, struct emit *e)
{
	emit_obj_begin(e, NULL);
	describe_vcpus(e, vm, DESCRIBE_STAT);
	describe_gsi_routes(e, vm, DESCRIBE_STAT);
	describe_spis(e, vm, DESCRIBE_STAT);
	describe_devices(e, vm, DESCRIBE_STAT);
	emit_obj_end(e);
	return 0;
}

/* Run fn with the vCPUs out of KVM_RUN (KVM refuses vGIC reads while they run). */
static int while_paused(struct vm *vm, int (*fn)(struct vm *vm, bool arg, struct strbuf *out), bool arg,
			struct strbuf *out)
{
	bool was_paused = vm->paused;
	int ret = was_paused ? 0 : vm_pause(vm);

	if (ret)
		return ret;
	ret = fn(vm, arg, out);
	if (!was_paused)
		vm_resume(vm);
	return ret;
}

static int gic_dump_fn(struct vm *vm, bool all, struct strbuf *out)
{
	uint64_t *mpidr = calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, sizeof(*mpidr));
	int ret;

	if (!mpidr)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		mpidr[i] = vm->vcpus[i].mpidr;
	ret = gic_dump(&vm->irq, mpidr, all, out);
	free(mpidr);
	return ret;
}

/* info its names each PCI function by its requester ID, the ITS device ID. */
static int its_dump_fn(struct vm *vm, bool arg, struct strbuf *out)
{
	unsigned n = vm->pci ? vm->pci->nr : 0;
	struct its_device *devs = calloc(n ? n : 1, sizeof(*devs));
	int ret;

	(void)arg;
	if (!devs)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		devs[i] = (struct its_device){ .devid = pci_requester_id(vm->pci->devs[i]),
					       .name = vm->pci->devs[i]->name };
	ret = its_dump(&vm->irq, devs, n, out);
	free(devs);
	return ret;
}

/* info irq: the fixed assignments, the GSI routes and the KVM_IRQ_LINE raises, in the
 * parts stat and the report describe too (describe.h), with headings in text. */
static int describe_info_irq(struct vm *vm, struct emit *e)
{
	emit_obj_begin(e, NULL);
	emit_text_line(e, "fixed assignments:");
	describe_irq_map(e, DESCRIBE_INFO);
	emit_text_line(e, "GSI routes (KVM_SET_GSI_ROUTING) with delivery counts:");
	describe_gsi_routes(e, vm, DESCRIBE_INFO);
	emit_text_line(e, "KVM_IRQ_LINE raises:");
	describe_spis(e, vm, DESCRIBE_INFO);
	emit_obj_end(e);
	return 0;
}

/* info pci: each virtio-pci function (its config space as the guest programmed it) and its
 * MSI-X vectors; virtio-mmio devices are not on the bus. */
static int describe_info_pci(struct vm *vm, struct emit *e)
{
	emit_obj_begin(e, NULL);
	emit_arr_begin(e, "functions");
	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		struct virtio_dev *vd = vm->virtio[i];
		struct pci_device *pd = virtio_pci_function(vd);
		struct msix *msix = virtio_pci_msix(vd);
		char addr[12], vendor[8], device[8];

		if (!pd)
			continue; /* virtio-mmio: not on the PCI bus */
		snprintf(addr, sizeof(addr), "00:%02x.0", pd->devfn >> 3);
		snprintf(vendor, sizeof(vendor), "%04x", pci_cfg_read(pd, PCI_VENDOR_ID, 2));
		snprintf(device, sizeof(device), "%04x", pci_cfg_read(pd, PCI_DEVICE_ID, 2));
		emit_obj_begin(e, NULL);
		emit_obj_line(e, "function", "%s %s [%s:%s] BAR0 %{at |unmapped, programmed }%s (%s KiB) INTx SPI %s, "
			      "MSI-X %{enabled|disabled}");
		emit_str(e, "pci", addr);
		emit_str(e, "name", vd->ops->name);
		emit_str(e, "vendor_id", vendor);
		emit_str(e, "device_id", device);
		emit_bool(e, "bar0_mapped", pd->bars[0].mapped_at);
		emit_hex(e, "bar0", pd->bars[0].mapped_at ? pd->bars[0].mapped_at
							: (uint64_t)(pci_cfg_read(pd, PCI_BAR0, 4) & ~0xfu), 0);
		emit_u64(e, "bar0_kib", pd->bars[0].size >> 10);
		emit_u64(e, "intx_intid", pd->intx_intid);
		emit_bool(e, "msix_enabled", msix_enabled(msix));
		emit_obj_end(e);
		emit_arr_begin(e, "vectors");
		pthread_mutex_lock(&vd->lock);
		for (unsigned v = 0; v < msix->nr_vectors; v++) {
			const struct msix_vector *m = &msix->vectors[v];

			emit_obj_line(e, NULL, "  vector %s address %s data %s%{ masked}%{ pending} gsi %s%{ routed}");
			emit_u64(e, "vector", v);
			emit_hex(e, "address", m->addr, 0);
			emit_u64(e, "data", m->data);
			emit_bool(e, "masked", m->masked);
			emit_bool(e, "pending", m->pending);
			emit_u64(e, "gsi", m->gsi);
			emit_bool(e, "routed", m->routed);
			emit_obj_end(e);
		}
		pthread_mutex_unlock(&vd->lock);
		emit_arr_end(e);
		emit_obj_end(e);
	}
	emit_arr_end(e);
	if (!vm->pci || !vm->pci->nr)
		emit_text_line(e, "no PCI functions");
	emit_obj_end(e);
	return 0;
}

/* info net: each virtio-net NIC, where it sits, its backend, MAC and queue pairs. */
static int describe_info_net(struct vm *vm, struct emit *e)
{
	unsigned n = 0;

	emit_obj_begin(e, NULL);
	emit_arr_begin(e, "nics");
	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		struct virtio_dev *vd = vm->virtio[i];
		struct pci_device *pd = virtio_pci_function(vd);
		char where[24];

		if (!virtio_net_is(vd))
			continue;
		if (pd)
			snprintf(where, sizeof(where), "pci 00:%02x.0", pd->devfn >> 3);
		else
			snprintf(where, sizeof(where), "virtio-mmio");
		emit_obj_begin(e, NULL);
		emit_obj_line(e, "where", "nic %s on %s:");
		emit_u64(e, "index", n++);
		emit_str(e, "transport", where);
		emit_obj_end(e);
		virtio_net_describe(vd, e);
		emit_obj_end(e);
	}
	emit_arr_end(e);
	if (!n)
		emit_text_line(e, "no network devices (vmm run -n mode=tap,...)");
	emit_obj_end(e);
	return 0;
}

/* info mem: the guest memory map and where the boot files were put. */
static int describe_info_mem(struct vm *vm, struct emit *e)
{
	emit_obj_begin(e, NULL);
	describe_memory_map(e, vm, DESCRIBE_INFO);
	emit_obj_line(e, "boot", "kernel %s-%s initrd %s (+%s) dtb %s");
	emit_hex(e, "kernel", vm->boot.kernel_gpa, 0);
	emit_hex(e, "kernel_end", vm->boot.kernel_end, 0);
	emit_hex(e, "initrd", vm->boot.initrd_gpa, 0);
	emit_hex(e, "initrd_size", vm->boot.initrd_size, 0);
	emit_hex(e, "dtb", vm->boot.dtb_gpa, 0);
	emit_obj_end(e);
	emit_obj_end(e);
	return 0;
}

/* info dtb: the DTB as built, from the host's copy (never the one in guest RAM, whose header
 * the guest may have rewritten), as base64 lines "dtb:..." (RFC 4648) after a line with its
 * size. The file is written by the client process (`vmm info NAME dtb FILE`, vmm monitor),
 * so the VM process opens no file once it runs (README, Security). */
static int info_dtb(struct vm *vm, unsigned argc, struct strbuf *out, char *err, size_t errlen)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = vm->dtb;

	if (argc == 3) {
		snprintf(err, errlen, "info dtb FILE is written by the client: vmm info NAME dtb FILE, or in vmm monitor NAME");
		return -EINVAL;
	}
	if (!vm->dtb) {
		snprintf(err, errlen, "no device tree built");
		return -ENOENT;
	}
	sb_printf(out, "dtb %zu bytes, base64:\n", vm->dtb_size);
	for (size_t off = 0; off < vm->dtb_size; off += 57) {
		char line[81];
		size_t n = vm->dtb_size - off < 57 ? vm->dtb_size - off : 57, k = 0;

		for (size_t i = 0; i < n; i += 3) {
			uint32_t v = p[off + i] << 16 | (i + 1 < n ? p[off + i + 1] << 8 : 0) | (i + 2 < n ? p[off + i + 2] : 0);

			line[k++] = b64[v >> 18];
			line[k++] = b64[(v >> 12) & 63];
			line[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
			line[k++] = i + 2 < n ? b64[v & 63] : '=';
		}
		line[k] = '\0';
		sb_printf(out, "dtb:%s\n", line);
	}
	return 0;
}

static int cmd_info(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen)
{
	const char *what = argv[1];
	int ret = 0;

	if (!strcmp(what, "gic") && (argc == 2 || !strcmp(argv[2], "all"))) {
		ret = while_paused(vm, gic_dump_fn, argc == 3, out);
	} else if (!strcmp(what, "its") && argc == 2) {
		if (!vm->irq.its_enabled) {
			snprintf(err, errlen, "this VM has no ITS (%s)", vm->irq.ops ? vm->irq.ops->name : "no GIC");
			return -ENODEV;
		}
		sb_printf(out, "source: KVM ITS registers and tables; the VMM's MSI routes are in info irq\n");
		ret = while_paused(vm, its_dump_fn, false, out);
	} else if (!strcmp(what, "dtb")) {
		return info_dtb(vm, argc, out, err, errlen);
	} else if (!strcmp(what, "io") && argc == 2) {
		sb_printf(out, "seccomp: %s\n", seccomp_enabled() ? "per-thread filters (vcpu, io, main)" : "off (--no-seccomp)");
		if (vm->io)
			iothread_describe(vm->io, out);
		else
			sb_printf(out, "no I/O thread (no virtio devices)\n");
	} else {
		snprintf(err, errlen, "usage: info gic [all]|its|irq|pci|mem|io|net|dtb FILE");
		return -EINVAL;
	}
	if (ret)
		snprintf(err, errlen, "reading the vGIC failed: %s", strerror(-ret));
	return ret;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || end == s || x > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*v = x;
	return 0;
}

static int cmd_inject(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen)
{
	uint32_t a, b = 2;
	int ret;

	if (!strcmp(argv[1], "spi") && parse_u32(argv[2], &a) == 0 && (argc == 3 || (parse_u32(argv[3], &b) == 0 && b <= 1))) {
		if (a < 32 || a >= arch_nr_irqs()) {
			snprintf(err, errlen, "SPI INTIDs are 32-%u", arch_nr_irqs() - 1);
			return -EINVAL;
		}
		/* No level: an edge (a pulse); 0 or 1 holds the line there. */
		ret = b == 2 ? irq_spi_set(&vm->irq, a, true) ?: irq_spi_set(&vm->irq, a, false) : irq_spi_set(&vm->irq, a, b);
		if (!ret)
			sb_printf(out, "spi %u %s\n", a, b == 2 ? "pulsed" : b ? "raised" : "lowered");
	} else if (!strcmp(argv[1], "msi") && argc == 4 && !parse_u32(argv[2], &a) && !parse_u32(argv[3], &b)) {
		if (!vm->irq.its_enabled) {
			snprintf(err, errlen, "inject msi needs an ITS (--its)");
			return -ENODEV;
		}
		/* KVM_SIGNAL_MSI to GITS_TRANSLATER: device ID and event ID, as a device would. */
		ret = irq_msi_signal(&vm->irq, vm->irq.layout.its_base + GITS_TRANSLATER, b, a);
		if (!ret)
			sb_printf(out, "msi devid 0x%x event %u signalled\n", a, b);
	} else {
		snprintf(err, errlen, "usage: inject spi INTID [0|1] | inject msi DEVID EVENTID");
		return -EINVAL;
	}
	if (ret)
		snprintf(err, errlen, "KVM refused: %s", strerror(-ret));
	return ret;
}

static const struct subcommand info_subs[] = {
	{ "irq", describe_info_irq },
	{ "pci", describe_info_pci },
	{ "mem", describe_info_mem },
	{ "net", describe_info_net },
	{ NULL, NULL },
};

static const struct command commands[] = {
	{ "help", 0, 0, cmd_help, "help                       this list", NULL, NULL },
	{ "status", 0, 0, NULL, "status                     name, state, uptime, GIC, vCPUs", describe_status, NULL },
	{ "pause", 0, 0, cmd_pause, "pause                      stop the vCPUs (guest time stops too)", NULL, NULL },
	{ "resume", 0, 0, cmd_resume, "resume                     run them again", NULL, NULL },
	{ "stop", 0, 1, cmd_stop, "stop [--force]             power the guest off (SysRq), or end it now", NULL, NULL },
	{ "stat", 0, 0, NULL, "stat                       exits per vCPU, interrupts per route, I/O", describe_stat, NULL },
	/* info gic, its and io are dumps of what other layers print; dtb is data. */
	{ "info", 1, 2, cmd_info, "info gic [all]|its|irq|pci|mem|io|net|dtb FILE", NULL, info_subs },
	/* Bring-up only: pulsing or lowering a line a device holds can lose that device's interrupt. */
	{ "inject", 2, 3, cmd_inject, "inject spi INTID [0|1] | inject msi DEVID EVENTID", NULL, NULL },
};

static int cmd_help(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen)
{
	(void)vm, (void)argc, (void)argv, (void)err, (void)errlen;
	for (unsigned i = 0; i < ARRAY_SIZE(commands); i++)
		sb_printf(out, "%s\n", commands[i].usage);
	return 0;
}

/* Split a line into words; -E2BIG for too many. The line is modified. */
static int split_words(char *line, char **argv, unsigned max)
{
	unsigned n = 0;

	for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		if (n == max)
			return -E2BIG;
		argv[n++] = tok;
	}
	return n;
}

/* A describing command: its description rendered into out, which keeps nothing of a
 * description that failed (the reply is then only the error line). */
static int run_describe(struct vm *vm, describe_fn *describe, bool json, struct strbuf *out)
{
	size_t start = out->len;
	struct emit e;
	int ret;

	emit_init(&e, out, json ? EMIT_JSON : EMIT_TEXT);
	ret = describe(vm, &e);
	if (!ret)
		ret = emit_end(&e);
	if (ret && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return ret;
}

/* What describes the reply to argv: the command, one of its subcommands, or nothing. */
static describe_fn *describer(const struct command *cmd, int argc, char **argv)
{
	for (const struct subcommand *sub = cmd->subs; sub && sub->name && argc > 1; sub++)
		if (!strcmp(argv[1], sub->name))
			return sub->describe;
	return cmd->describe;
}

bool command_describes(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].describe != NULL;
	return false;
}

void command_run(struct vm *vm, const char *line, struct strbuf *out)
{
	char copy[COMMAND_LINE_MAX], err[200] = "", *argv[MAX_ARGS];
	const struct command *cmd = NULL;
	describe_fn *describe;
	bool json = false;
	int argc, ret;

	if (strlen(line) >= sizeof(copy)) {
		sb_printf(out, "error: line longer than %d bytes\n", COMMAND_LINE_MAX - 1);
		return;
	}
	strcpy(copy, line);
	argc = split_words(copy, argv, MAX_ARGS);
	if (argc <= 0) {
		sb_printf(out, argc ? "error: too many words\n" : "error: empty command (try help)\n");
		return;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(commands) && !cmd; i++)
		if (!strcmp(argv[0], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		for (char *p = argv[0]; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?'; /* never echo control bytes back */
		sb_printf(out, "error: unknown command '%.40s' (try help)\n", argv[0]);
		return;
	}
	describe = describer(cmd, argc, argv);
	if (describe && argc > 1 && !strcmp(argv[argc - 1], "--json"))
		json = true, argc--;
	if (describe && cmd->subs && argc != 2) {
		/* A describing subcommand takes no more words: run says how it is used. */
		describe = NULL;
		argc += json;
		json = false;
	}
	if ((unsigned)argc - 1 < cmd->min_args || (unsigned)argc - 1 > cmd->max_args) {
		sb_printf(out, "error: usage: %s\n", cmd->usage);
		return;
	}
	ret = describe ? run_describe(vm, describe, json, out) : cmd->run(vm, argc, argv, out, err, sizeof(err));
	if (ret)
		sb_printf(out, "error: %s\n", err[0] ? err : strerror(-ret));
	else
		sb_printf(out, "ok\n");
}
