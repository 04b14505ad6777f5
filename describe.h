/* describe.h - what the running VM's parts say about themselves, written once to an emitter
 * (emit.h) and read by stat, info and the --report file: each part in one function, in the
 * view that asks (the keys and text lines of each view are part of its interface). */
#ifndef VMM_DESCRIBE_H
#define VMM_DESCRIBE_H

struct emit;
struct vm;

enum describe_view {
	DESCRIBE_STAT,   /* the stat reply: one text line per item, the counters that change */
	DESCRIBE_REPORT, /* the --report JSON: every field, identities and totals too */
	DESCRIBE_INFO,   /* the info replies: one text line per item, every field */
};

/* Array "vcpus": each vCPU's exit counts and MMIO accesses. */
void describe_vcpus(struct emit *e, const struct vm *vm, enum describe_view view);
/* The GSI routes with their delivery counts: array "gsis" (stat: the routed ones) or
 * "gsi_routes" (report, info: every GSI allocated, with its route). */
void describe_gsi_routes(struct emit *e, const struct vm *vm, enum describe_view view);
/* The SPIs raised with KVM_IRQ_LINE and how often: array "spis" (stat, info) or object
 * "spis_raised" keyed by INTID (report). */
void describe_spis(struct emit *e, const struct vm *vm, enum describe_view view);
/* Array "irq_map": the fixed interrupt assignments (arch memmap.h); not DESCRIBE_STAT. */
void describe_irq_map(struct emit *e, enum describe_view view);
/* Array "memory_map": the guest physical memory map, RAM at its size; not DESCRIBE_STAT. */
void describe_memory_map(struct emit *e, const struct vm *vm, enum describe_view view);
/* Array "devices": each virtio device's kicks, interrupts and I/O counters (stat, report). */
void describe_devices(struct emit *e, const struct vm *vm, enum describe_view view);

/* The vCPU features the guest got (arch.h struct cpu_features), as keys of the object open:
 * pmu, sve, sve_max_vl (bits, 0 without SVE), pauth, mte, pvtime. */
void describe_cpu_features(struct emit *e, const struct vm *vm);

#endif
