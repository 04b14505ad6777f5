/* describe.c - the VM's parts described once for stat, info and the --report file (describe.h). */
#include "describe.h"

#include <stdio.h>
#include <linux/kvm.h>

#include "arch.h"
#include "devices/device.h"
#include "emit.h"
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

/* The report: every exit reason seen, by name ("exit_N" for one without). */
static void vcpu_exits(struct emit *e, const struct vcpu *v)
{
	emit_obj_begin(e, "exits");
	for (unsigned r = 0; r < VCPU_EXIT_REASONS; r++) {
		const char *name = exit_reason_name(r);
		char key[16];

		if (!v->exits[r])
			continue;
		if (!name)
			snprintf(key, sizeof(key), "exit_%u", r);
		emit_u64(e, name ? name : key, v->exits[r]);
	}
	emit_obj_end(e);
}

void describe_vcpus(struct emit *e, const struct vm *vm, enum describe_view view)
{
	emit_arr_begin(e, "vcpus");
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		if (view == DESCRIBE_STAT) {
			emit_obj_line(e, NULL, "vcpu %s exits: mmio %s (reads %s, writes %s), intr %s, system_event %s");
			emit_u64(e, "vcpu", i);
			emit_u64(e, "mmio", v->exits[KVM_EXIT_MMIO]);
		} else {
			emit_obj_begin(e, NULL);
			emit_u64(e, "id", v->id);
			emit_hex(e, "mpidr", v->mpidr, 0);
		}
		emit_u64(e, "mmio_reads", v->mmio_reads);
		emit_u64(e, "mmio_writes", v->mmio_writes);
		if (view == DESCRIBE_STAT) {
			emit_u64(e, "intr", v->exits[KVM_EXIT_INTR]);
			emit_u64(e, "system_event", v->exits[KVM_EXIT_SYSTEM_EVENT]);
		} else {
			vcpu_exits(e, v);
		}
		emit_obj_end(e);
	}
	emit_arr_end(e);
}

/* info irq's line for a route of each type (members past the last place: JSON only). */
static const char *const route_line[] = {
	[ROUTE_NONE] = "  gsi %s (no route yet)",
	[ROUTE_SPI] = "  gsi %s %s INTID %s signals %s",
	[ROUTE_MSI] = "  gsi %s %s address %s data %s devid %s signals %s",
};

void describe_gsi_routes(struct emit *e, const struct vm *vm, enum describe_view view)
{
	bool stat = view == DESCRIBE_STAT;

	emit_arr_begin(e, stat ? "gsis" : "gsi_routes");
	for (unsigned g = 0; g < IRQ_MAX_GSIS; g++) {
		const struct irq_route *r = &vm->irq.routing.routes[g];

		if (!r->used || (stat && r->type == ROUTE_NONE))
			continue;
		if (stat)
			emit_obj_line(e, NULL, "gsi %s %s signals %s");
		else if (view == DESCRIBE_INFO && r->type < ARRAY_SIZE(route_line) && route_line[r->type])
			emit_obj_line(e, NULL, route_line[r->type]);
		else
			emit_obj_begin(e, NULL);
		emit_u64(e, "gsi", g);
		emit_str(e, "type", r->type == ROUTE_MSI ? "msi" : r->type == ROUTE_SPI ? "spi" : "none");
		if (!stat && r->type == ROUTE_MSI) {
			emit_hex(e, "address", r->msi_addr, 0);
			emit_u64(e, "data", r->msi_data);
			if (view == DESCRIBE_INFO)
				emit_hex(e, "devid", r->devid, 0);
			else
				emit_u64(e, "devid", r->devid);
		} else if (!stat && r->type == ROUTE_SPI) {
			emit_u64(e, "intid", r->intid);
		}
		emit_u64(e, "signals", r->signals);
		emit_obj_end(e);
	}
	emit_arr_end(e);
}

void describe_spis(struct emit *e, const struct vm *vm, enum describe_view view)
{
	bool keyed = view == DESCRIBE_REPORT;

	if (keyed)
		emit_obj_begin(e, "spis_raised");
	else
		emit_arr_begin(e, "spis");
	for (unsigned i = 32; i < arch_nr_irqs(); i++) {
		char intid[12];

		if (!vm->irq.routing.spi_raised[i])
			continue;
		if (keyed) {
			snprintf(intid, sizeof(intid), "%u", i);
			emit_u64(e, intid, vm->irq.routing.spi_raised[i]);
			continue;
		}
		emit_obj_line(e, NULL, view == DESCRIBE_STAT ? "spi %s raised %s" : "  spi INTID %s raised %s");
		emit_u64(e, "intid", i);
		emit_u64(e, "raised", vm->irq.routing.spi_raised[i]);
		emit_obj_end(e);
	}
	if (keyed)
		emit_obj_end(e);
	else
		emit_arr_end(e);
}

/* Every listed device that reports (devices/device.h): stat gives each a line of its name and
 * counters (the rest in JSON only), the report an object of all it says. */
void describe_devices(struct emit *e, const struct vm *vm, enum describe_view view)
{
	const struct device_list *l = &vm->devices;

	emit_arr_begin(e, "devices");
	for (unsigned i = 0; i < l->nr; i++) {
		if (!l->items[i].cls->report)
			continue;
		if (view == DESCRIBE_STAT)
			emit_obj_line(e, NULL, "device %s kicks %s interrupts %s reads %s writes %s flushes %s errors %s");
		else
			emit_obj_begin(e, NULL);
		l->items[i].cls->report(l->items[i].dev, e);
		emit_obj_end(e);
	}
	emit_arr_end(e);
}

void describe_irq_map(struct emit *e, enum describe_view view)
{
	unsigned n;
	const struct irq_assign *map = arch_irqmap(&n);

	emit_arr_begin(e, "irq_map");
	for (unsigned i = 0; i < n; i++) {
		const struct irq_assign *irq = &map[i];

		if (view == DESCRIBE_INFO) {
			emit_obj_line(e, NULL, "  %-16s INTID %s-%s %s");
			emit_str(e, "name", irq->name);
			emit_u64(e, "intid", irq->intid);
			emit_u64(e, "last_intid", irq->intid + irq->count - 1);
			emit_str(e, "trigger", irq->level ? "level" : "edge");
			emit_u64(e, "count", irq->count);
		} else {
			emit_obj_begin(e, NULL);
			emit_str(e, "name", irq->name);
			emit_u64(e, "intid", irq->intid);
			emit_u64(e, "count", irq->count);
			emit_str(e, "trigger", irq->level ? "level" : "edge");
		}
		emit_obj_end(e);
	}
	emit_arr_end(e);
}

void describe_memory_map(struct emit *e, const struct vm *vm, enum describe_view view)
{
	unsigned n, ram;
	const struct mem_region *map = arch_memmap(&n, &ram);

	emit_arr_begin(e, "memory_map");
	for (unsigned i = 0; i < n; i++) {
		if (view == DESCRIBE_INFO)
			emit_obj_line(e, NULL, "%-18s %s size %s");
		else
			emit_obj_begin(e, NULL);
		emit_str(e, "name", map[i].name);
		emit_hex(e, "base", map[i].base, view == DESCRIBE_INFO ? 12 : 0);
		emit_hex(e, "size", i == ram ? vm->mem.size : map[i].size, 0);
		emit_obj_end(e);
	}
	emit_arr_end(e);
}

void describe_cpu_features(struct emit *e, const struct vm *vm)
{
	emit_bool(e, "pmu", vm->cpu.pmu);
	emit_bool(e, "sve", vm->cpu.sve);
	emit_u64(e, "sve_max_vl", vm->cpu.sve_max_vl);
	emit_bool(e, "pauth", vm->cpu.pauth);
	emit_bool(e, "mte", vm->cpu.mte);
	emit_bool(e, "pvtime", vm->cpu.pvtime);
}
