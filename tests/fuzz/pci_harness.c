/* pci_harness.c - a fake VM with virtio-pci functions on its bus, and the guest's config
 * and BAR accesses as the fuzz_pci and fuzz_msix targets issue them. */
#include "pci_harness.h"

#include <stdlib.h>
#include <string.h>

#include "../../arch/arm64/memmap.h"
#include "../../devices/pci.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/transport.h"
#include "../../virtio/virtio.h"

struct vm *pci_vm_create(struct fuzz_in *in)
{
	struct vm *vm = fake_vm_create(PCI_RAM_SIZE, (enum fake_gic)(fin_u8(in) % 4), 1);

	/* virtio-rng (one queue) in slot 0 and virtio-console (two) in slot 1. */
	if (virtio_rng_create(&vm->vhost, &vm->virtio[0]) || virtio_console_create(&vm->vhost, NULL, &vm->virtio[1]) ||
	    virtio_watch(vm->virtio[0], fake_io()) || virtio_watch(vm->virtio[1], fake_io()))
		abort();
	vm->nr_virtio = 2;
	return vm;
}

/* One access of len bytes (len 3 is refused by the bus, as a guest may try it). The data
 * buffer is exactly len bytes, so ASan sees a device or the bus writing past the access. */
uint64_t pci_access(struct vm *vm, uint64_t gpa, unsigned len, bool write, uint64_t val)
{
	uint8_t *data = malloc(len);
	uint64_t v;

	if (!data)
		abort();
	memset(data, 0xa5, len);
	if (write)
		le_store(data, len, val);
	mmio_bus_access(&vm->mmio, gpa, data, len, write);
	v = le_load(data, len);
	free(data);
	return v;
}

unsigned pci_pick_width(struct fuzz_in *in)
{
	static const unsigned widths[8] = { 1, 2, 4, 8, 4, 2, 4, 3 };

	return widths[fin_u8(in) % 8];
}

uint64_t pci_ecam(unsigned slot, unsigned fn, unsigned reg)
{
	return guest_memmap[MEM_PCI_ECAM].base + ((uint64_t)slot << 15) + ((uint64_t)fn << 12) + reg;
}

/* A config access: mostly function 0 of slots 0-2 (two devices and an empty slot). */
void pci_cfg_op(struct vm *vm, struct fuzz_in *in, bool write)
{
	uint8_t sel = fin_u8(in);
	unsigned slot = sel & 0x80 ? sel & 0x1f : sel % 3, fn = sel & 0x40 ? fin_u8(in) & 7 : 0;
	unsigned reg = sel & 0x20 ? fin_u16(in) & 0xfff : fin_u8(in), len = pci_pick_width(in);

	pci_access(vm, pci_ecam(slot, fn, reg), len, write, fin_u32(in));
}

/* An access to a BAR offset of a device, wherever its BAR is now (or was programmed). */
void pci_bar_op(struct vm *vm, struct fuzz_in *in, uint32_t off, bool write, uint64_t val)
{
	struct virtio_dev *vd = vm->virtio[fin_u8(in) & 1];
	uint64_t base = virtio_pci_function(vd)->bars[0].mapped_at;

	if (!base)
		base = pci_cfg_read(virtio_pci_function(vd), PCI_BAR0, 4) & ~0xfULL;
	pci_access(vm, base + off, pci_pick_width(in), write, val);
}

/* BAR0 somewhere in (or just outside) the 32-bit window, and MEMORY/MASTER on or off. */
void pci_bar_move(struct vm *vm, struct fuzz_in *in)
{
	unsigned slot = fin_u8(in) & 1;
	uint64_t win = guest_memmap[MEM_PCI_MMIO].base;
	uint32_t addr = (uint32_t)(win + ((uint64_t)fin_u16(in) << 15) - 0x8000);

	pci_access(vm, pci_ecam(slot, 0, PCI_COMMAND), 2, true, 0);
	pci_access(vm, pci_ecam(slot, 0, PCI_BAR0), 4, true, 0xffffffff);
	FUZZ_CHECK(pci_access(vm, pci_ecam(slot, 0, PCI_BAR0), 4, false, 0) == 0xffff8000u);
	pci_access(vm, pci_ecam(slot, 0, PCI_BAR0), 4, true, addr);
	pci_access(vm, pci_ecam(slot, 0, PCI_COMMAND), 2, true, fin_u8(in) & 7);
}

/* Nothing on the bus overlaps, and every mapped BAR sits inside a PCI window. */
void pci_check(struct vm *vm)
{
	struct mmio_bus *bus = &vm->mmio;

	for (unsigned i = 0; i < bus->nr; i++)
		for (unsigned j = i + 1; j < bus->nr; j++)
			FUZZ_CHECK(bus->regions[i].base + bus->regions[i].size <= bus->regions[j].base ||
				   bus->regions[j].base + bus->regions[j].size <= bus->regions[i].base);
	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		const struct pci_bar *b = &virtio_pci_function(vm->virtio[i])->bars[0];
		const struct mem_region *w = &guest_memmap[MEM_PCI_MMIO];

		FUZZ_CHECK(!b->mapped_at || (b->mapped_at >= w->base && b->mapped_at + b->size <= w->base + w->size));
	}
}

/* The driver rings queue q of device d: the kick's I/O thread callback runs. */
void pci_kick(struct vm *vm, struct fuzz_in *in)
{
	struct virtio_dev *vd = vm->virtio[fin_u8(in) & 1];

	fake_io_fire(fake_io(), vd->queues[fin_u8(in) % vd->ops->nr_queues].kick_fd);
}

/* The device wants to interrupt: a queue or a config change (DEVICE_NEEDS_RESET). */
void pci_interrupt(struct vm *vm, struct fuzz_in *in)
{
	struct virtio_dev *vd = vm->virtio[fin_u8(in) & 1];
	uint8_t q = fin_u8(in);

	pthread_mutex_lock(&vd->lock);
	if (q & 0x80)
		virtio_needs_reset(vd, "fuzz");
	else
		virtio_queue_interrupt(vd, q % 4);
	pthread_mutex_unlock(&vd->lock);
}
