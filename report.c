/* report.c - the --report JSON file, written through the JSON emitter (emit.h). */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "console.h"
#include "describe.h"
#include "emit.h"
#include "irqchip/gic.h"
#include "util.h"
#include "vm.h"

static void report_timeline(struct emit *e, struct vm *vm)
{
	struct console *c = vm->console;

	emit_obj_begin(e, "timestamps");
	emit_u64(e, "exec", 0);
	emit_fixed(e, "kvm_ready", vm->t_kvm_ready, 6);
	emit_fixed(e, "dtb_built", vm->t_dtb, 6);
	emit_fixed(e, "first_kvm_run", vm->t_first_run, 6);
	emit_fixed(e, "first_console_byte", c ? c->first_byte : 0.0, 6);
	emit_arr_begin(e, "expect_matches");
	for (unsigned i = 0; c && i < c->nr_matches; i++)
		emit_fixed(e, NULL, c->matches[i], 6);
	emit_arr_end(e);
	emit_fixed(e, "end", vm->t_end, 6);
	emit_obj_end(e);
}

/* kB of a "Key:   N kB" line of /proc/self/status (read from the start: the kernel
 * generates it anew then). */
static long status_kib(FILE *f, const char *key)
{
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && sscanf(line + strlen(key), " %ld", &v) == 1)
			break;
	return v;
}

/* Resident guest RAM (mincore), to take out of the VMM's own RSS. */
static long guest_resident_kib(struct vm *vm)
{
	static unsigned char vec[1 << 16];
	long page = sysconf(_SC_PAGESIZE), kib = 0;

	for (uint64_t off = 0; vm->mem.hva && off < vm->mem.size; off += sizeof(vec) * page) {
		uint64_t len = vm->mem.size - off < sizeof(vec) * page ? vm->mem.size - off : sizeof(vec) * page;

		if (mincore(vm->mem.hva + off, len, vec) < 0)
			return -1;
		for (uint64_t i = 0; i < (len + page - 1) / page; i++)
			kib += (vec[i] & 1) * (page / 1024);
	}
	return kib;
}

/* Resident KiB of every mapping but guest RAM, from the page tables (/proc/self/smaps). */
static long smaps_rss_excluding(FILE *f, uintptr_t lo, uintptr_t hi)
{
	char line[512];
	long kib = 0, v;
	bool guest = false;
	unsigned long start, end;

	if (!f)
		return -1;
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			guest = start < hi && end > lo;
		else if (!guest && sscanf(line, "Rss: %ld kB", &v) == 1)
			kib += v;
	}
	return kib;
}

static void report_memory(struct emit *e, struct report *r, struct vm *vm)
{
	long hwm = status_kib(r->status, "VmHWM:"), guest = guest_resident_kib(vm);
	uintptr_t lo = (uintptr_t)vm->ram_map, hi = lo + (vm->ram_map ? vm->ram_map_size : 0);

	/* Guest pages only ever become resident during a run, so at the end they are at their
	 * peak: VmHWM minus them bounds the VMM's own peak (kernel RSS counters lag a little).
	 * The smaps figure is exact, at exit. */
	emit_obj_begin(e, "memory");
	emit_i64(e, "vmm_rss_kib_excluding_guest_ram", smaps_rss_excluding(r->smaps, lo, hi));
	emit_i64(e, "vmm_peak_rss_kib_excluding_guest_ram", hwm >= 0 && guest >= 0 ? hwm - guest : -1);
	emit_i64(e, "peak_rss_kib", hwm);
	emit_i64(e, "guest_ram_resident_kib", guest);
	emit_u64(e, "guest_ram_kib", vm->mem.size >> 10);
	emit_obj_end(e);
	describe_memory_map(e, vm, DESCRIBE_REPORT);
}

int report_open(struct report *r, const char *path)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->out = fopen(path, "w");
	if (!r->out) {
		ret = -errno;
		log_err("report: cannot write %s: %s", path, strerror(-ret));
		return ret;
	}
	/* Without these the memory figures are -1; the report is still written. */
	r->status = fopen("/proc/self/status", "re");
	r->smaps = fopen("/proc/self/smaps", "re");
	return 0;
}

void report_close(struct report *r)
{
	FILE **files[] = { &r->out, &r->status, &r->smaps };

	for (unsigned i = 0; i < ARRAY_SIZE(files); i++) {
		if (*files[i])
			fclose(*files[i]);
		*files[i] = NULL;
	}
}

/* The report is one line of JSON (emit.h); the vCPU, route and device parts are the ones
 * stat describes (describe.h), in their report view. */
int report_write(struct report *r, struct vm *vm, int code, unsigned restarts)
{
	struct strbuf sb = { 0 };
	struct emit e;
	FILE *f = r->out;
	int ret;

	if (!f)
		return -EBADF;
	emit_init(&e, &sb, EMIT_JSON);
	emit_obj_begin(&e, NULL);
	emit_i64(&e, "exit_code", code);
	emit_str(&e, "exit_reason", vm_exit_name(code));
	emit_u64(&e, "restarts", restarts);
	emit_str(&e, "gic", vm->irq.ops ? vm->irq.ops->name : "none");
	emit_bool(&e, "its", vm->irq.its_enabled);
	emit_u64(&e, "nr_vcpus", vm->nr_vcpus);
	report_timeline(&e, vm);
	describe_vcpus(&e, vm, DESCRIBE_REPORT);
	describe_irq_map(&e, DESCRIBE_REPORT);
	describe_spis(&e, vm, DESCRIBE_REPORT);
	describe_gsi_routes(&e, vm, DESCRIBE_REPORT);
	describe_devices(&e, vm, DESCRIBE_REPORT);
	report_memory(&e, r, vm);
	/* Last, so the fields before it stay where they always were. */
	emit_obj_begin(&e, "cpu_features");
	describe_cpu_features(&e, vm);
	emit_obj_end(&e);
	emit_obj_end(&e);
	ret = emit_end(&e);
	if (!ret && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		ret = -EIO;
	sb_free(&sb);
	r->out = NULL;
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	if (ret)
		log_err("report: writing the report: %s", strerror(-ret));
	report_close(r);
	return ret;
}
