/* report.c - the --report JSON file. Names are our own identifiers: no escaping needed. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "arch.h"
#include "console.h"
#include "devices/pci.h"
#include "irqchip/gic.h"
#include "util.h"
#include "virtio/virtio.h"
#include "vm.h"

static const char *exit_reason_name(unsigned r)
{
	switch (r) {
	case KVM_EXIT_MMIO: return "mmio";
	case KVM_EXIT_INTR: return "intr";
	case KVM_EXIT_SYSTEM_EVENT: return "system_event";
	case KVM_EXIT_FAIL_ENTRY: return "fail_entry";
	case KVM_EXIT_INTERNAL_ERROR: return "internal_error";
	case KVM_EXIT_ARM_NISV: return "arm_nisv";
	default: return NULL;
	}
}

static void report_timeline(FILE *f, struct vm *vm)
{
	struct console *c = vm->console;

	fprintf(f, "  \"timestamps\": {\"exec\": 0, \"kvm_ready\": %.6f, \"dtb_built\": %.6f, "
		"\"first_kvm_run\": %.6f, \"first_console_byte\": %.6f, \"expect_matches\": [",
		vm->t_kvm_ready, vm->t_dtb, vm->t_first_run, c ? c->first_byte : 0.0);
	for (unsigned i = 0; c && i < c->nr_matches; i++)
		fprintf(f, "%s%.6f", i ? ", " : "", c->matches[i]);
	fprintf(f, "], \"end\": %.6f},\n", vm->t_end);
}

static void report_vcpus(FILE *f, struct vm *vm)
{
	fprintf(f, "  \"vcpus\": [");
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		bool first = true;

		fprintf(f, "%s\n    {\"id\": %u, \"mpidr\": \"0x%" PRIx64 "\", \"mmio_reads\": %" PRIu64
			", \"mmio_writes\": %" PRIu64 ", \"exits\": {", i ? "," : "", v->id, v->mpidr,
			v->mmio_reads, v->mmio_writes);
		for (unsigned r = 0; r < VCPU_EXIT_REASONS; r++) {
			const char *name = exit_reason_name(r);

			if (!v->exits[r])
				continue;
			if (name)
				fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", name, v->exits[r]);
			else
				fprintf(f, "%s\"exit_%u\": %" PRIu64, first ? "" : ", ", r, v->exits[r]);
			first = false;
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n  ],\n");
}

static void report_irqs(FILE *f, struct vm *vm)
{
	const struct irq_routing *r = &vm->irq.routing;
	unsigned nr_fixed;
	const struct irq_assign *fixed = arch_irqmap(&nr_fixed);
	bool first = true;

	fprintf(f, "  \"irq_map\": [");
	for (unsigned i = 0; i < nr_fixed; i++)
		fprintf(f, "%s\n    {\"name\": \"%s\", \"intid\": %u, \"count\": %u, \"trigger\": \"%s\"}",
			i ? "," : "", fixed[i].name, fixed[i].intid, fixed[i].count,
			fixed[i].level ? "level" : "edge");
	fprintf(f, "\n  ],\n  \"spis_raised\": {");
	for (unsigned i = 32; i < arch_nr_irqs(); i++) {
		if (!r->spi_raised[i])
			continue;
		fprintf(f, "%s\"%u\": %" PRIu64, first ? "" : ", ", i, r->spi_raised[i]);
		first = false;
	}
	fprintf(f, "},\n  \"gsi_routes\": [");
	first = true;
	for (unsigned g = 0; g < IRQ_MAX_GSIS; g++) {
		const struct irq_route *rt = &r->routes[g];

		if (!rt->used)
			continue;
		fprintf(f, "%s\n    {\"gsi\": %u, \"type\": \"%s\"", first ? "" : ",", g,
			rt->type == ROUTE_MSI ? "msi" : rt->type == ROUTE_SPI ? "spi" : "none");
		if (rt->type == ROUTE_MSI)
			fprintf(f, ", \"address\": \"0x%" PRIx64 "\", \"data\": %u, \"devid\": %u", rt->msi_addr,
				rt->msi_data, rt->devid);
		else if (rt->type == ROUTE_SPI)
			fprintf(f, ", \"intid\": %u", rt->intid);
		fprintf(f, ", \"signals\": %" PRIu64 "}", rt->signals);
		first = false;
	}
	fprintf(f, "\n  ],\n");
}

static void report_devices(FILE *f, struct vm *vm)
{
	fprintf(f, "  \"devices\": [");
	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		const struct virtio_dev *vd = vm->virtio[i];
		const struct pci_device *pd = virtio_pci_function(vd);
		struct virtio_io_stats io;

		virtio_io_stats(vd, &io);
		fprintf(f, "%s\n    {\"name\": \"%s\", \"transport\": \"%s\", \"pci\": \"00:%02x.0\", \"intx_intid\": %u, "
			"\"kicks\": %" PRIu64 ", \"interrupts\": %" PRIu64 ", \"reads\": %" PRIu64
			", \"writes\": %" PRIu64 ", \"flushes\": %" PRIu64 ", \"errors\": %" PRIu64
			", \"bytes_read\": %" PRIu64 ", \"bytes_written\": %" PRIu64 "}",
			i ? "," : "", vd->ops->name, pd ? "pci" : "mmio", pd ? pd->devfn >> 3 : 0, pd ? pd->intx_intid : 0,
			vd->kicks, vd->interrupts, io.reads, io.writes, io.flushes, io.errors, io.bytes_read,
			io.bytes_written);
	}
	fprintf(f, "\n  ],\n");
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

static void report_memory(FILE *f, struct report *r, struct vm *vm)
{
	long hwm = status_kib(r->status, "VmHWM:"), guest = guest_resident_kib(vm);
	unsigned n, ram;
	const struct mem_region *map = arch_memmap(&n, &ram);
	uintptr_t lo = (uintptr_t)vm->ram_map, hi = lo + (vm->ram_map ? vm->ram_map_size : 0);

	/* Guest pages only ever become resident during a run, so at the end they are at their
	 * peak: VmHWM minus them bounds the VMM's own peak (kernel RSS counters lag a little).
	 * The smaps figure is exact, at exit. */
	fprintf(f, "  \"memory\": {\"vmm_rss_kib_excluding_guest_ram\": %ld, "
		"\"vmm_peak_rss_kib_excluding_guest_ram\": %ld, \"peak_rss_kib\": %ld, "
		"\"guest_ram_resident_kib\": %ld, \"guest_ram_kib\": %" PRIu64 "},\n",
		smaps_rss_excluding(r->smaps, lo, hi), hwm >= 0 && guest >= 0 ? hwm - guest : -1, hwm, guest,
		vm->mem.size >> 10);
	fprintf(f, "  \"memory_map\": [");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s\n    {\"name\": \"%s\", \"base\": \"0x%" PRIx64 "\", \"size\": \"0x%" PRIx64 "\"}",
			i ? "," : "", map[i].name, map[i].base, i == ram ? vm->mem.size : map[i].size);
	fprintf(f, "\n  ]\n");
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

int report_write(struct report *r, struct vm *vm, int code, unsigned restarts)
{
	FILE *f = r->out;
	int ret = 0;

	if (!f)
		return -EBADF;
	fprintf(f, "{\n  \"exit_code\": %d,\n  \"exit_reason\": \"%s\",\n  \"restarts\": %u,\n"
		"  \"gic\": \"%s\",\n  \"its\": %s,\n  \"nr_vcpus\": %u,\n", code, vm_exit_name(code),
		restarts, vm->irq.ops ? vm->irq.ops->name : "none", vm->irq.its_enabled ? "true" : "false",
		vm->nr_vcpus);
	report_timeline(f, vm);
	report_vcpus(f, vm);
	report_irqs(f, vm);
	report_devices(f, vm);
	report_memory(f, r, vm);
	fprintf(f, "}\n");
	r->out = NULL;
	ret = ferror(f);
	if (fclose(f) || ret) {
		log_err("report: writing the report: %s", strerror(errno));
		ret = -EIO;
	}
	report_close(r);
	return ret;
}
