/* fuzz_msix.c - the MSI-X table and PBA of the virtio-pci transport (virtio/pci.c): entry
 * reads and writes of any offset and width, mask and unmask (per vector and the function
 * mask), enable, vector assignment to queues and config, and interrupts while masked.
 *
 * Input: one byte for the GIC model (ITS, v3 without ITS, v2m, v2), then a program.
 */
#include "../../arch/arm64/memmap.h"
#include "../../devices/msix.h"
#include "../../devices/pci.h"
#include "../../irqchip/gic.h"
#include "../../irqchip/irq.h"
#include "../../util.h"
#include "../../virtio/transport.h"
#include "../../virtio/virtio.h"
#include "pci_harness.h"

#define MAX_OPS 256
#define BAR_COMMON 0x0000
#define BAR_TABLE  0x4000
#define BAR_PBA    0x5000

/* An MSI address a driver would write: the ITS doorbell, the v2m doorbell, or anything. */
static uint64_t pick_addr(struct fuzz_in *in)
{
	switch (fin_u8(in) % 4) {
	case 0: return guest_memmap[MEM_GIC_ITS].base + GITS_TRANSLATER;
	case 1: return guest_memmap[MEM_GICV2M].base + 0x40;
	case 2: return guest_memmap[MEM_GIC_ITS].base + fin_u32(in);
	default: return fin_u64(in);
	}
}

static uint32_t pick_data(struct fuzz_in *in)
{
	uint8_t how = fin_u8(in);

	return how & 1 ? fin_u32(in) : guest_irqmap[IRQ_GICV2M].intid + how / 2;
}

/* One table entry field: address (8 or 4+4 bytes), data, or vector control. */
static void table_write(struct vm *vm, struct fuzz_in *in)
{
	uint32_t entry = BAR_TABLE + 16 * (fin_u8(in) % 6);
	uint64_t masked;

	switch (fin_u8(in) % 5) {
	case 0: pci_bar_op(vm, in, entry, true, pick_addr(in)); break;
	case 1: pci_bar_op(vm, in, entry + 8, true, pick_data(in)); break;
	case 2: pci_bar_op(vm, in, entry + 12, true, fin_u8(in) & 1); break;
	case 3:
		entry += fin_u8(in) & 15; /* any offset inside the entry */
		pci_bar_op(vm, in, entry, true, fin_u64(in));
		break;
	default:
		/* An 8-byte write of data and vector control together. */
		masked = fin_u8(in) & 1;
		pci_bar_op(vm, in, entry + 8, true, masked << 32 | pick_data(in));
		break;
	}
}

/* Message control: enable and function mask, through config space. */
static void msix_control(struct vm *vm, struct fuzz_in *in)
{
	unsigned slot = fin_u8(in) & 1;
	struct virtio_dev *vd = vm->virtio[slot];

	pci_access(vm, pci_ecam(slot, 0, virtio_pci_msix(vd)->cap + 2), 2, true, (uint64_t)(fin_u8(in) & 0xc0) << 8);
}

/* Queue or config vector through common config: queue_select, then queue_msix_vector. */
static void assign_vector(struct vm *vm, struct fuzz_in *in)
{
	uint8_t q = fin_u8(in);
	uint16_t v = fin_u8(in) & 0x80 ? 0xffff : fin_u8(in) % 5;

	if (q & 0x80) {
		pci_bar_op(vm, in, BAR_COMMON + 0x10, true, v);
		return;
	}
	pci_bar_op(vm, in, BAR_COMMON + 0x16, true, q % 3);
	pci_bar_op(vm, in, BAR_COMMON + 0x1a, true, v);
}

/* PCI 3.0, 6.8.3.5: a vector that can deliver (enabled, unmasked, routed) has nothing pending. */
static void check_vectors(struct vm *vm)
{
	for (unsigned d = 0; d < vm->nr_virtio; d++) {
		struct virtio_dev *vd = vm->virtio[d];
		const struct msix *m = virtio_pci_msix(vd);
		uint16_t ctrl = pci_cfg_read(virtio_pci_function(vd), m->cap + 2, 2);

		for (unsigned i = 0; i < m->nr_vectors; i++) {
			const struct msix_vector *v = &m->vectors[i];

			if ((ctrl & 0x8000) && !(ctrl & 0x4000) && !v->masked && v->routed)
				FUZZ_CHECK(!v->pending);
			FUZZ_CHECK(!v->routed || vm->irq.routing.routes[v->gsi].type != ROUTE_NONE);
		}
	}
}

static void step(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off;

	switch (fin_u8(in) % 10) {
	case 0: msix_control(vm, in); break;
	case 1:
	case 2: table_write(vm, in); break;
	case 3: pci_bar_op(vm, in, BAR_TABLE + fin_u8(in), false, 0); break;
	case 4: pci_bar_op(vm, in, BAR_PBA + (fin_u8(in) & 0x80 ? fin_u16(in) % 0x3000 : fin_u8(in) % 16), false, 0); break;
	case 5:
		off = BAR_PBA + fin_u8(in) % 16;
		pci_bar_op(vm, in, off, true, fin_u64(in));
		break;
	case 6: assign_vector(vm, in); break;
	case 7:
	case 8: pci_interrupt(vm, in); break;
	case 9: pci_cfg_op(vm, in, true); break;
	}
	check_vectors(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vm *vm = pci_vm_create(&in);

	/* Decode the BARs and allow DMA, as a driver does first; the program may undo it. */
	for (unsigned slot = 0; slot < 2; slot++)
		pci_access(vm, pci_ecam(slot, 0, PCI_COMMAND), 2, true, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(vm, &in);
	fake_vm_destroy(vm);
	return 0;
}
