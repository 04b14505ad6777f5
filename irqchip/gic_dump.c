/* gic_dump.c - read the vGIC's state back through KVM device attributes for `info gic`
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst and arm-vgic.rst, *_REGS groups).
 * KVM refuses these reads (-EBUSY) while a vCPU runs: callers pause the VM first. */
#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "../util.h"
#include "gic.h"

/* Distributor register blocks (GICv2/v3 architecture specifications). */
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ISPENDR    0x200
#define GICD_ISACTIVER  0x300
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_IROUTER    0x6000
/* GICv3 redistributor SGI frame: the same layout at 64 KiB (banked SGIs and PPIs). */
#define GICR_SGI_BASE   0x10000

/* ICC_*_EL1 encodings for KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: op0[15:14] op1[13:11] CRn[10:7] CRm[6:3] op2[2:0]. */
#define ICC_SYSREG(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))

struct gic_irq_state {
	bool group1, enabled, pending, active, level;
	uint8_t priority;
	uint64_t target;
};

/* v3 attribute CPU field: Aff3.Aff2.Aff1.Aff0 in 32 bits, taken from MPIDR_EL1. */
static uint64_t attr_mpidr(uint64_t mpidr)
{
	return ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
}

static int gic_attr_get(struct irqchip *ic, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val };

	return ioctl(ic->dev_fd, KVM_GET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

/* One 32-bit register: the distributor's (v2 banked by cpu) or a v3 redistributor's. */
static int gic_reg(struct irqchip *ic, const uint64_t *mpidr, bool v3, bool redist, unsigned cpu, uint32_t off,
		   uint32_t *val)
{
	uint64_t who;

	if (v3) {
		who = attr_mpidr(mpidr[cpu]) << 32;
		return gic_attr_get(ic, redist ? KVM_DEV_ARM_VGIC_GRP_REDIST_REGS : KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				    who | (redist ? GICR_SGI_BASE : 0) | off, val);
	}
	who = (uint64_t)cpu << KVM_DEV_ARM_VGIC_CPUID_SHIFT;
	return gic_attr_get(ic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, who | off, val);
}

/* The state of one INTID as seen from cpu (SGIs/PPIs are per CPU). */
static int gic_irq_read(struct irqchip *ic, const uint64_t *mpidr, unsigned cpu, uint32_t intid,
			struct gic_irq_state *s)
{
	bool v3 = ic->ops->model == IRQCHIP_GICV3, redist = v3 && intid < 32;
	uint32_t bit = 1u << (intid % 32), word = 4 * (intid / 32), v[6];
	int ret = 0;

	ret |= gic_reg(ic, mpidr, v3, redist, cpu, GICD_IGROUPR + word, &v[0]);
	ret |= gic_reg(ic, mpidr, v3, redist, cpu, GICD_ISENABLER + word, &v[1]);
	ret |= gic_reg(ic, mpidr, v3, redist, cpu, GICD_ISPENDR + word, &v[2]);
	ret |= gic_reg(ic, mpidr, v3, redist, cpu, GICD_ISACTIVER + word, &v[3]);
	ret |= gic_reg(ic, mpidr, v3, redist, cpu, GICD_IPRIORITYR + (intid & ~3u), &v[4]);
	ret |= gic_reg(ic, mpidr, v3, redist, cpu, GICD_ICFGR + 4 * (intid / 16), &v[5]);
	if (ret)
		return -EIO;
	*s = (struct gic_irq_state){
		.group1 = v[0] & bit, .enabled = v[1] & bit, .pending = v[2] & bit, .active = v[3] & bit,
		.priority = v[4] >> (8 * (intid % 4)), .level = !((v[5] >> (2 * (intid % 16) + 1)) & 1),
	};
	if (intid >= 32 && v3) {
		uint32_t lo, hi;

		if (!gic_reg(ic, mpidr, v3, false, cpu, GICD_IROUTER + 8 * intid, &lo) &&
		    !gic_reg(ic, mpidr, v3, false, cpu, GICD_IROUTER + 8 * intid + 4, &hi))
			s->target = (uint64_t)hi << 32 | lo;
	} else if (intid >= 32) {
		uint32_t t;

		if (!gic_reg(ic, mpidr, v3, false, cpu, GICD_ITARGETSR + (intid & ~3u), &t))
			s->target = (t >> (8 * (intid % 4))) & 0xff;
	}
	/* A level interrupt is also pending while its line is held high (LEVEL_INFO). */
	if (v3 && s->level && intid >= 16) {
		uint32_t lines;
		uint64_t attr = attr_mpidr(mpidr[cpu]) << 32 |
				(uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT |
				(intid & ~31u);

		if (!gic_attr_get(ic, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, &lines))
			s->pending |= lines & bit;
	}
	return 0;
}

static void gic_irq_print(struct strbuf *sb, bool v3, uint32_t intid, int cpu, const struct gic_irq_state *s)
{
	char cpus[16] = "-";

	if (cpu >= 0)
		snprintf(cpus, sizeof(cpus), "%d", cpu);
	sb_printf(sb, "%5u %-3s %4s %5u %-8s %-7s %-6s 0x%02x  %-5s ", intid,
		  intid < 16 ? "SGI" : intid < 32 ? "PPI" : "SPI", cpus, s->group1, s->enabled ? "enabled" : "-",
		  s->pending ? "pending" : "-", s->active ? "active" : "-", s->priority, s->level ? "level" : "edge");
	if (intid < 32)
		sb_printf(sb, "-\n");
	else if (v3)
		sb_printf(sb, "%s aff %u.%u.%u.%u\n", (s->target >> 31) & 1 ? "any" : "to",
			  (unsigned)(s->target >> 32) & 0xff, (unsigned)(s->target >> 16) & 0xff,
			  (unsigned)(s->target >> 8) & 0xff, (unsigned)s->target & 0xff);
	else
		sb_printf(sb, "cpus 0x%02" PRIx64 "\n", s->target);
}

/* GICv3 CPU interface of each vCPU: priority mask, group 1 enable, binary point, control. */
static void gic_cpuif_print(struct irqchip *ic, const uint64_t *mpidr, struct strbuf *sb)
{
	static const struct { const char *name; uint64_t enc; } regs[] = {
		{ "ICC_PMR_EL1", ICC_SYSREG(3, 0, 4, 6, 0) },
		{ "ICC_IGRPEN1_EL1", ICC_SYSREG(3, 0, 12, 12, 7) },
		{ "ICC_BPR1_EL1", ICC_SYSREG(3, 0, 12, 12, 3) },
		{ "ICC_CTLR_EL1", ICC_SYSREG(3, 0, 12, 12, 4) },
	};

	for (unsigned c = 0; c < ic->nr_vcpus; c++) {
		sb_printf(sb, "cpu %u interface:", c);
		for (unsigned i = 0; i < ARRAY_SIZE(regs); i++) {
			uint64_t v = 0;
			int ret = gic_attr_get(ic, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
					       attr_mpidr(mpidr[c]) << 32 | regs[i].enc, &v);

			sb_printf(sb, ret ? " %s=?" : " %s=0x%" PRIx64, regs[i].name, v);
		}
		sb_printf(sb, "\n");
	}
}

int gic_dump(struct irqchip *ic, const uint64_t *mpidr, bool all, struct strbuf *sb)
{
	bool v3 = ic->ops->model == IRQCHIP_GICV3;
	struct gic_irq_state s;
	unsigned shown = 0;

	if (ic->dev_fd < 0)
		return -ENODEV;
	sb_printf(sb, "vGIC: %s (read back through KVM_GET_DEVICE_ATTR), %u INTIDs%s\n", ic->ops->name,
		  ic->layout.nr_irqs, all ? "" : ", idle ones hidden (info gic all shows them)");
	sb_printf(sb, "intid typ  cpu group enabled  pending active prio  trig  target\n");
	for (unsigned c = 0; c < ic->nr_vcpus; c++) {
		for (uint32_t i = 0; i < 32; i++) {
			if (gic_irq_read(ic, mpidr, c, i, &s))
				return -EIO;
			if (all || s.enabled || s.pending || s.active) {
				gic_irq_print(sb, v3, i, c, &s);
				shown++;
			}
		}
	}
	for (uint32_t i = 32; i < ic->layout.nr_irqs; i++) {
		if (gic_irq_read(ic, mpidr, 0, i, &s))
			return -EIO;
		if (all || s.enabled || s.pending || s.active) {
			gic_irq_print(sb, v3, i, -1, &s);
			shown++;
		}
	}
	if (v3)
		gic_cpuif_print(ic, mpidr, sb);
	sb_printf(sb, "%u interrupts shown\n", shown);
	return 0;
}
