/* fuzz_gic.c - `info gic` and `info its` (irqchip/gic_dump.c, irqchip/its.c) on state the
 * guest controls: vGIC and ITS registers as KVM would report them (here: from the input),
 * and the ITS device, ITT and collection tables the guest keeps in its RAM, which
 * `info its` walks after KVM_DEV_ARM_ITS_SAVE_TABLES.
 *
 * Input: options, a seed for the vGIC register values, the ITS registers (GITS_BASERn
 * mostly shaped as a guest programs them), then 8-byte writes of table entries into RAM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "../../devices/pci.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "fuzz.h"

#define RAM_SIZE 0x100000u
#define MAX_WRITES 256

static uint64_t its_regs[5 + 8]; /* CTLR, TYPER, CBASER, CREADR, CWRITER, BASER0-7 */
static uint64_t gic_seed;

/* splitmix64: every register gets its own value from one input seed. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int its_attr(uint64_t off, uint64_t *val)
{
	static const uint64_t offs[5] = { 0x0, 0x8, 0x80, 0x90, 0x88 };

	for (unsigned i = 0; i < 5; i++)
		if (off == offs[i])
			return *val = its_regs[i], 0;
	if (off >= 0x100 && off < 0x140 && !(off & 7))
		return *val = its_regs[5 + (off - 0x100) / 8], 0;
	errno = ENXIO;
	return -1;
}

/* KVM writes 8 bytes for ITS registers and CPU sysregs, 4 for distributor, redistributor
 * and line-level reads: the fake writes exactly as much, so ASan sees a short buffer. */
static int get_attr(struct kvm_device_attr *a)
{
	void *p = (void *)(uintptr_t)a->addr;
	uint64_t v = mix(gic_seed ^ mix(a->attr ^ ((uint64_t)a->group << 56)));
	uint32_t v32 = (uint32_t)v;

	if (a->group == KVM_DEV_ARM_VGIC_GRP_ITS_REGS) {
		if (its_attr(a->attr, &v))
			return -1;
		memcpy(p, &v, 8);
		return 0;
	}
	if ((v >> 40) == 0) { /* now and then a register KVM refuses */
		errno = EINVAL;
		return -1;
	}
	if (a->group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS)
		memcpy(p, &v, 8);
	else
		memcpy(p, &v32, 4);
	return 0;
}

/* GITS_BASER as a guest programs it: valid, type (devices 1, collections 4), page size,
 * flat or two-level, a table in RAM; or any value. */
static uint64_t pick_baser(struct fuzz_in *in)
{
	uint8_t how = fin_u8(in);
	uint64_t addr = FAKE_RAM_GPA + ((uint64_t)fin_u8(in) << 12) % RAM_SIZE;

	if (how & 0x80)
		return fin_u64(in);
	return 1ULL << 63 | (uint64_t)(how & 1 ? 4 : 1) << 56 | (uint64_t)(how >> 1 & 1) << 62 |
	       (uint64_t)(how >> 2 & 3) << 8 | addr | (how >> 4 & 7);
}

static void setup_regs(struct fuzz_in *in)
{
	for (unsigned i = 0; i < 5; i++)
		its_regs[i] = fin_u64(in);
	for (unsigned i = 0; i < 8; i++)
		its_regs[5 + i] = pick_baser(in);
}

/* Table entries: DTEs, ITEs, CTEs and level-1 pointers, anywhere in RAM. */
static void fill_ram(struct vm *vm, struct fuzz_in *in)
{
	for (unsigned i = 0; i < MAX_WRITES && !fin_empty(in); i++) {
		uint32_t off = (fin_u16(in) * 8u) % RAM_SIZE;
		uint8_t how = fin_u8(in);
		uint64_t v = fin_u64(in);

		/* A valid bit and an address in RAM are what a walk follows. */
		if (how & 1)
			v = 1ULL << 63 | (FAKE_RAM_GPA + (v & (RAM_SIZE - 1) & ~0xffULL)) >> (how & 2 ? 0 : 3) | (v & 0x1f);
		le_store(vm->mem.hva + off, 8, v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t opts = fin_u8(&in);
	struct vm *vm = fake_vm_create(RAM_SIZE, opts & 1 ? FAKE_GICV2 : FAKE_GICV3_ITS, 1 + (opts >> 1 & 3));
	struct strbuf sb = { 0 };
	uint64_t mpidr[4];
	struct its_device devs[PCI_MAX_DEVICES];
	unsigned nr_devs = 0;

	if (virtio_rng_create(&vm->vhost, &vm->virtio[0]) || virtio_console_create(&vm->vhost, NULL, &vm->virtio[1]))
		abort();
	vm->nr_virtio = 2;
	vm->irq.dev_fd = 1001; /* never a real fd: the wrapper answers */
	vm->irq.its_fd = opts & 1 ? -1 : 1002;
	gic_seed = fin_u64(&in);
	setup_regs(&in);
	fill_ram(vm, &in);
	/* What command.c hands the dumps: the vCPUs' MPIDRs, the PCI functions' device IDs. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		mpidr[i] = vm->vcpus[i].mpidr;
	for (unsigned i = 0; vm->pci && i < vm->pci->nr; i++, nr_devs++)
		devs[i] = (struct its_device){ .devid = pci_requester_id(vm->pci->devs[i]), .name = vm->pci->devs[i]->name };
	fake_kvm_get_attr = get_attr;
	if (opts & 16) /* hundreds of lines each time: only when asked, so the ITS walk runs fast */
		gic_dump(&vm->irq, mpidr, opts & 8, &sb);
	its_dump(&vm->irq, devs, nr_devs, &sb);
	fake_kvm_get_attr = NULL;
	FUZZ_CHECK(!sb.oom);
	if (sb.buf && getenv("VMM_FUZZ_SHOW")) /* what the dump printed, to check a seed */
		fputs(sb.buf, stderr);
	sb_free(&sb);
	fake_vm_destroy(vm);
	return 0;
}
