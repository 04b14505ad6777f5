/* fuzz_mmio.c - the virtio-mmio transport (virtio/mmio.c, virtio 1.2, 4.2): register reads
 * and writes of any width in both devices' windows (virtio-rng, virtio-console), guest RAM
 * writes, kicks, host console input into the receiveq, and device interrupts.
 *
 * Input: a program of operations. Address registers are mostly given RAM addresses (the
 * selector byte picks RAM base + offset, or any 32-bit value).
 */
#include <stdlib.h>
#include <string.h>

#include "../../arch/arm64/memmap.h"
#include "../../util.h"
#include "../../virtio/devices.h"
#include "../../virtio/virtio.h"
#include "fuzz.h"

#define RAM_SIZE 0x10000u
#define MAX_OPS  256

static struct vm *mmio_vm_create(void)
{
	static struct vm_config cfg = { .virtio_mmio = true };
	struct vm *vm = fake_vm_create(RAM_SIZE, FAKE_GICV3, 1);

	vm->cfg = &cfg;
	vm->vhost.pci = NULL; /* virtio-mmio */
	if (virtio_rng_create(&vm->vhost, &vm->virtio[0]) || virtio_console_create(&vm->vhost, NULL, &vm->virtio[1]) ||
	    virtio_watch(vm->virtio[0], fake_io()) || virtio_watch(vm->virtio[1], fake_io()))
		abort();
	vm->nr_virtio = 2;
	return vm;
}

static uint64_t access(struct vm *vm, unsigned dev, uint32_t off, unsigned len, bool write, uint64_t val)
{
	uint8_t *data = malloc(len); /* exactly len: ASan sees a write past the access */
	uint64_t v;

	if (!data)
		abort();
	le_store(data, len, val);
	mmio_bus_access(&vm->mmio, guest_memmap[MEM_VIRTIO_MMIO].base + dev * VIRTIO_MMIO_SLOT + off, data, len,
			write);
	v = le_load(data, len);
	free(data);
	return v;
}

/* A value for a register: a queue address in RAM (any alignment), a small number, or anything. */
static uint32_t pick_value(struct fuzz_in *in)
{
	uint8_t how = fin_u8(in);

	switch (how % 4) {
	case 0: return (uint32_t)FAKE_RAM_GPA + fin_u16(in) % RAM_SIZE;
	case 1: return how >> 2;
	default: return fin_u32(in);
	}
}

/* A register write: mostly 32-bit at a register offset (4-aligned, below the config space). */
static void reg_write(struct vm *vm, struct fuzz_in *in)
{
	uint8_t sel = fin_u8(in), off = fin_u8(in);
	uint32_t val = pick_value(in);

	if (sel & 0x80)
		access(vm, sel & 1, (off % 0x80) * 4, 1u << (sel >> 1 & 3), true, val);
	else
		access(vm, sel & 1, (off % 0x40) * 4, 4, true, val);
}

static void guest_write(struct vm *vm, struct fuzz_in *in)
{
	uint32_t off = fin_u16(in) % (RAM_SIZE - 8);

	le_store(vm->mem.hva + off, 8, fin_u64(in));
}

static void console_input(struct vm *vm, struct fuzz_in *in)
{
	uint8_t buf[64];
	size_t n = fin_bytes(in, buf, fin_u8(in) % sizeof(buf));

	FUZZ_CHECK(virtio_console_receive(vm->virtio[1], buf, n) <= n);
}

/* A ring in use is one virtq_enable checked and the driver has not taken down since:
 * size a power of two, rings aligned (virtio 1.2, 2.7), QueueReady reading 1. */
static void check_queues(struct vm *vm)
{
	for (unsigned d = 0; d < vm->nr_virtio; d++) {
		struct virtio_dev *vd = vm->virtio[d];

		for (unsigned q = 0; q < vd->ops->nr_queues; q++) {
			const struct virtq *vq = &vd->queues[q].vq;

			if (!vq->ready)
				continue;
			FUZZ_CHECK(vd->queues[q].enabled);
			FUZZ_CHECK(vq->size && !(vq->size & (vq->size - 1)));
			FUZZ_CHECK(IS_ALIGNED(vq->desc_gpa, 16) && IS_ALIGNED(vq->avail_gpa, 2) &&
				   IS_ALIGNED(vq->used_gpa, 4));
		}
	}
}

static void step(struct vm *vm, struct fuzz_in *in)
{
	struct virtio_dev *vd;
	uint8_t a;

	switch (fin_u8(in) % 8) {
	case 0:
	case 1:
	case 2: reg_write(vm, in); break;
	case 3:
		a = fin_u8(in);
		access(vm, a & 1, (a >> 1) * 4 % VIRTIO_MMIO_SLOT, 1u << (fin_u8(in) & 3), false, 0);
		break;
	case 4: guest_write(vm, in); break;
	case 5:
		vd = vm->virtio[fin_u8(in) & 1];
		fake_io_fire(fake_io(), vd->queues[fin_u8(in) % vd->ops->nr_queues].kick_fd);
		break;
	case 6: console_input(vm, in); break;
	case 7:
		vd = vm->virtio[fin_u8(in) & 1];
		pthread_mutex_lock(&vd->lock);
		virtio_queue_interrupt(vd, fin_u8(in) % 2);
		pthread_mutex_unlock(&vd->lock);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vm *vm = mmio_vm_create();

	for (unsigned i = 0; i < MAX_OPS && !fin_empty(&in); i++) {
		step(vm, &in);
		check_queues(vm);
	}
	fake_vm_destroy(vm);
	return 0;
}
