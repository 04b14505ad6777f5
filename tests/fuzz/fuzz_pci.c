/* fuzz_pci.c - PCI config space and BAR programming (devices/pci.c, virtio/pci.c): config
 * reads and writes of every width at every offset, BAR sizing and moves, the command
 * register, then accesses to wherever the BARs are (common config, ISR, notify, MSI-X).
 *
 * Input: one byte for the GIC model, then a program of operations on two virtio-pci
 * functions (virtio-rng, virtio-console) behind the ECAM window.
 */
#include "../../util.h"
#include "pci_harness.h"

#define MAX_OPS 256

static void step(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off;

	switch (fin_u8(in) % 8) {
	case 0: pci_cfg_op(vm, in, false); break;
	case 1:
	case 2: pci_cfg_op(vm, in, true); break;
	case 3: pci_bar_move(vm, in); break;
	case 4: pci_bar_op(vm, in, fin_u16(in) % 0x8100, false, 0); break;
	case 5:
		off = fin_u16(in) % 0x8100;
		pci_bar_op(vm, in, off, true, fin_u64(in));
		break;
	case 6: pci_kick(vm, in); break;
	case 7: pci_interrupt(vm, in); break;
	}
	pci_check(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vm *vm = pci_vm_create(&in);

	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++)
		step(vm, &in);
	fake_vm_destroy(vm);
	return 0;
}
