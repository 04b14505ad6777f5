/* fuzz_pci.c - PCI config space and BAR programming (devices/pci.c, virtio/pci.c): config
 * reads and writes of every width at every offset, BAR sizing and moves, the command
 * register, then accesses to wherever the BARs are (common config, ISR, notify, MSI-X).
 *
 * Input: one byte for the GIC model, then a program of operations on two virtio-pci
 * functions (virtio-rng, virtio-console) behind the ECAM window: raw config and BAR
 * accesses, driver-shaped ones (common config fields, notify writes, ring contents), and
 * host input for the console.
 */
#include <stdlib.h>
#include <string.h>

#include "../../devices/pci.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/virtio.h"
#include "pci_harness.h"

#define MAX_OPS 256

/* Common configuration fields (virtio 1.2, 4.1.4.3) with the width a driver uses. */
static const struct { uint16_t off; uint8_t len; } common_fields[] = {
	{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 }, { 0x14, 1 },
	{ 0x15, 1 }, { 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 4 },
	{ 0x24, 4 }, { 0x28, 4 }, { 0x2c, 4 }, { 0x30, 4 }, { 0x34, 4 },
};

/* A driver's write to a common config field: a RAM address for the ring fields (any
 * alignment), else a small number or anything. */
static void common_write(struct vm *vm, struct fuzz_in *in)
{
	uint8_t f = fin_u8(in) % ARRAY_SIZE(common_fields), how = fin_u8(in);
	struct virtio_dev *vd = vm->virtio[how & 1];
	uint64_t base = virtio_pci_function(vd)->bars[0].mapped_at, val;

	if (how & 2)
		val = fin_u32(in);
	else if (common_fields[f].off >= 0x20 && !(common_fields[f].off & 4))
		val = FAKE_RAM_GPA + fin_u16(in) % PCI_RAM_SIZE;
	else
		val = how >> 2;
	if (base)
		pci_access(vm, base + common_fields[f].off, common_fields[f].len, true, val);
}

/* A queue notify write that KVM's ioeventfd did not catch (a width it does not match). */
static void notify_write(struct vm *vm, struct fuzz_in *in)
{
	uint8_t q = fin_u8(in);
	struct virtio_dev *vd = vm->virtio[q & 1];

	if (virtio_pci_function(vd)->bars[0].mapped_at)
		pci_access(vm, virtio_pci_function(vd)->bars[0].mapped_at + 0x3000 + 4 * (q >> 1 & 3), 4, true, q >> 3);
	fake_io_fire(fake_io(), vd->queues[(q >> 1 & 3) % vd->ops->nr_queues].kick_fd);
}

/* Guest RAM: the rings and buffers the device walks after a kick. */
static void guest_write(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off = fin_u16(in) % (PCI_RAM_SIZE - 8);

	le_store(vm->mem.hva + off, 8, fin_u64(in));
}

/* Host input for virtio-console. PCI 3.0, 6.2.2: with Bus Master Enable clear a function
 * issues no memory requests, so guest RAM must not change. */
static void console_input(struct vm *vm, struct fuzz_in *in)
{
	struct virtio_dev *vd = vm->virtio[1];
	bool master = pci_cfg_read(virtio_pci_function(vd), PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
	uint8_t buf[32], *before = master ? NULL : malloc(PCI_RAM_SIZE);
	size_t n = fin_bytes(in, buf, fin_u8(in) % sizeof(buf));

	if (before)
		memcpy(before, vm->mem.hva, PCI_RAM_SIZE);
	virtio_console_receive(vd, buf, n);
	if (before)
		FUZZ_CHECK(!memcmp(before, vm->mem.hva, PCI_RAM_SIZE));
	free(before);
}

static void step(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off;

	switch (fin_u8(in) % 12) {
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
	case 8: common_write(vm, in); break;
	case 9: notify_write(vm, in); break;
	case 10: guest_write(vm, in); break;
	case 11: console_input(vm, in); break;
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
