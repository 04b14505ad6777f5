/* command.c - the command table, its parser, and the replies. */
#include "command.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "devices/msix.h"
#include "devices/pci.h"
#include "devices/uart.h"
#include "emit.h"
#include "irqchip/gic.h"
#include "irqchip/irq.h"
#include "util.h"
#include "seccomp.h"
#include "virtio/iothread.h"
#include "virtio/virtio.h"
#include "vm.h"

#define MAX_ARGS 8

struct command {
	const char *name;
	unsigned min_args, max_args;
	/* 0, or -errno with a reason in err; output lines go to out. */
	int (*run)(struct vm *vm, unsigned argc, char **argv, struct strbuf *out, char *err, size_t errlen);
	const char *usage;
	/* Instead of run, for a reply that describes state: the description, written once,
	 * as text lines or (with a last word --json) one line of JSON. 0 or -errno. */
	int (*describe)(struct vm *vm, struct emit *e);
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

/* The counters, described once: stat's text lines (each object one line from its
 * template, as they always read) and stat --json. */
static int describe_stat(struct vm *vm, struct emit *e)
{
	emit_obj_begin(e, NULL);
	emit_arr_begin(e, "vcpus");
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		emit_obj_line(e, NULL, "vcpu %s exits: mmio %s (reads %s, writes %s), intr %s, system_event %s");
		emit_u64(e, "vcpu", i);
		emit_u64(e, "mmio", v->exits[KVM_EXIT_MMIO]);
		emit_u64(e, "mmio_reads", v->mmio_reads);
		emit_u64(e, "mmio_writes", v->mmio_writes);
		emit_u64(e, "intr", v->exits[KVM_EXIT_INTR]);
		emit_u64(e, "system_event", v->exits[KVM_EXIT_SYSTEM_EVENT]);
		emit_obj_end(e);
	}
	emit_arr_end(e);
	emit_arr_begin(e, "gsis");
	for (unsigned g = 0; g < IRQ_MAX_GSIS; g++) {
		const struct irq_route *r = &vm->irq.routing.routes[g];

		if (!r->used || r->type == ROUTE_NONE)
			continue;
		emit_obj_line(e, NULL, "gsi %s %s signals %s");
		emit_u64(e, "gsi", g);
		emit_str(e, "type", r->type == ROUTE_MSI ? "msi" : "spi");
		emit_u64(e, "signals", r->signals);
		emit_obj_end(e);
	}
	emit_arr_end(e);
	emit_arr_begin(e, "spis");
	for (unsigned i = 32; i < arch_nr_irqs(); i++) {
		if (!vm->irq.routing.spi_raised[i])
			continue;
		emit_obj_line(e, NULL, "spi %s raised %s");
		emit_u64(e, "intid", i);
		emit_u64(e, "raised", vm->irq.routing.spi_raised[i]);
		emit_obj_end(e);
	}
	emit_arr_end(e);
	emit_arr_begin(e, "devices");
	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		const struct virtio_dev *vd = vm->virtio[i];
		struct virtio_io_stats io;

		virtio_io_stats(vd, &io);
		emit_obj_line(e, NULL, "device %s kicks %s interrupts %s reads %s writes %s flushes %s errors %s");
		emit_str(e, "name", vd->ops->name);
		emit_u64(e, "kicks", vd->kicks);
		emit_u64(e, "interrupts", vd->interrupts);
		emit_u64(e, "reads", io.reads);
		emit_u64(e, "writes", io.writes);
		emit_u64(e, "flushes", io.flushes);
		emit_u64(e, "errors", io.errors);
		emit_obj_end(e);
	}
	emit_arr_end(e);
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

static void info_irq(struct vm *vm, struct strbuf *out)
{
	unsigned nr_fixed;
	const struct irq_assign *fixed = arch_irqmap(&nr_fixed);

	sb_printf(out, "fixed assignments:\n");
	for (unsigned i = 0; i < nr_fixed; i++)
		sb_printf(out, "  %-16s INTID %u-%u %s\n", fixed[i].name, fixed[i].intid,
			  fixed[i].intid + fixed[i].count - 1, fixed[i].level ? "level" : "edge");
	sb_printf(out, "GSI routes (KVM_SET_GSI_ROUTING) with delivery counts:\n");
	for (unsigned g = 0; g < IRQ_MAX_GSIS; g++) {
		const struct irq_route *r = &vm->irq.routing.routes[g];

		if (!r->used)
			continue;
		if (r->type == ROUTE_MSI)
			sb_printf(out, "  gsi %u msi address 0x%" PRIx64 " data %u devid 0x%x signals %" PRIu64 "\n", g,
				  r->msi_addr, r->msi_data, r->devid, r->signals);
		else if (r->type == ROUTE_SPI)
			sb_printf(out, "  gsi %u spi INTID %u signals %" PRIu64 "\n", g, r->intid, r->signals);
		else
			sb_printf(out, "  gsi %u (no route yet)\n", g);
	}
	sb_printf(out, "KVM_IRQ_LINE raises:\n");
	for (unsigned i = 32; i < arch_nr_irqs(); i++)
		if (vm->irq.routing.spi_raised[i])
			sb_printf(out, "  spi INTID %u raised %" PRIu64 "\n", i, vm->irq.routing.spi_raised[i]);
}

static void info_pci(struct vm *vm, struct strbuf *out)
{
	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		struct virtio_dev *vd = vm->virtio[i];
		struct pci_device *pd = virtio_pci_function(vd);
		struct msix *msix = virtio_pci_msix(vd);

		if (!pd)
			continue; /* virtio-mmio: not on the PCI bus */
		sb_printf(out, "00:%02x.0 %s [%04x:%04x] BAR0 %s0x%" PRIx64 " (%" PRIu64 " KiB) INTx SPI %u, MSI-X %s\n",
			  pd->devfn >> 3, vd->ops->name, pci_cfg_read(pd, PCI_VENDOR_ID, 2),
			  pci_cfg_read(pd, PCI_DEVICE_ID, 2), pd->bars[0].mapped_at ? "at " : "unmapped, programmed ",
			  pd->bars[0].mapped_at ? pd->bars[0].mapped_at : (uint64_t)(pci_cfg_read(pd, PCI_BAR0, 4) & ~0xfu),
			  pd->bars[0].size >> 10, pd->intx_intid,
			  msix_enabled(msix) ? "enabled" : "disabled");
		pthread_mutex_lock(&vd->lock);
		msix_describe(msix, out);
		pthread_mutex_unlock(&vd->lock);
	}
	if (!vm->pci || !vm->pci->nr)
		sb_printf(out, "no PCI functions\n");
}

static void info_mem(struct vm *vm, struct strbuf *out)
{
	unsigned n, ram;
	const struct mem_region *map = arch_memmap(&n, &ram);

	for (unsigned i = 0; i < n; i++)
		sb_printf(out, "%-18s 0x%012" PRIx64 " size 0x%" PRIx64 "\n", map[i].name, map[i].base,
			  i == ram ? vm->mem.size : map[i].size);
	sb_printf(out, "kernel 0x%" PRIx64 "-0x%" PRIx64 " initrd 0x%" PRIx64 " (+0x%" PRIx64 ") dtb 0x%" PRIx64 "\n",
		  vm->boot.kernel_gpa, vm->boot.kernel_end, vm->boot.initrd_gpa, vm->boot.initrd_size, vm->boot.dtb_gpa);
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
	} else if (!strcmp(what, "irq") && argc == 2) {
		info_irq(vm, out);
	} else if (!strcmp(what, "pci") && argc == 2) {
		info_pci(vm, out);
	} else if (!strcmp(what, "mem") && argc == 2) {
		info_mem(vm, out);
	} else if (!strcmp(what, "dtb")) {
		return info_dtb(vm, argc, out, err, errlen);
	} else if (!strcmp(what, "io") && argc == 2) {
		sb_printf(out, "seccomp: %s\n", seccomp_enabled() ? "per-thread filters (vcpu, io, main)" : "off (--no-seccomp)");
		if (vm->io)
			iothread_describe(vm->io, out);
		else
			sb_printf(out, "no I/O thread (no virtio devices)\n");
	} else {
		snprintf(err, errlen, "usage: info gic [all]|its|irq|pci|mem|io|dtb FILE");
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

static const struct command commands[] = {
	{ "help", 0, 0, cmd_help, "help                       this list", NULL },
	{ "status", 0, 0, NULL, "status                     name, state, uptime, GIC, vCPUs", describe_status },
	{ "pause", 0, 0, cmd_pause, "pause                      stop the vCPUs (guest time stops too)", NULL },
	{ "resume", 0, 0, cmd_resume, "resume                     run them again", NULL },
	{ "stop", 0, 1, cmd_stop, "stop [--force]             power the guest off (SysRq), or end it now", NULL },
	{ "stat", 0, 0, NULL, "stat                       exits per vCPU, interrupts per route, I/O", describe_stat },
	{ "info", 1, 2, cmd_info, "info gic [all]|its|irq|pci|mem|io|dtb FILE", NULL },
	/* Bring-up only: pulsing or lowering a line a device holds can lose that device's interrupt. */
	{ "inject", 2, 3, cmd_inject, "inject spi INTID [0|1] | inject msi DEVID EVENTID", NULL },
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
static int run_describe(struct vm *vm, const struct command *cmd, bool json, struct strbuf *out)
{
	size_t start = out->len;
	struct emit e;
	int ret;

	emit_init(&e, out, json ? EMIT_JSON : EMIT_TEXT);
	ret = cmd->describe(vm, &e);
	if (!ret)
		ret = emit_end(&e);
	if (ret && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return ret;
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
	if (cmd->describe && argc > 1 && !strcmp(argv[argc - 1], "--json"))
		json = true, argc--;
	if ((unsigned)argc - 1 < cmd->min_args || (unsigned)argc - 1 > cmd->max_args) {
		sb_printf(out, "error: usage: %s\n", cmd->usage);
		return;
	}
	ret = cmd->describe ? run_describe(vm, cmd, json, out) : cmd->run(vm, argc, argv, out, err, sizeof(err));
	if (ret)
		sb_printf(out, "error: %s\n", err[0] ? err : strerror(-ret));
	else
		sb_printf(out, "ok\n");
}
