/* fuzz.h - what every libFuzzer target shares: a reader over the fuzz input, and a fake VM
 * (guest RAM, MMIO bus, IRQ layer, PCI bridge) with KVM and the I/O thread faked. */
#ifndef VMM_FUZZ_H
#define VMM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../../vm.h"

/* libFuzzer's entry point; each target defines it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test must keep: a failure is a crash libFuzzer records. */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond))                                                               \
			fuzz_fail(__FILE__, __LINE__, #cond);                              \
	} while (0)
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* ---- reading the input: past its end every value is 0, so any input is a valid program ---- */

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

uint8_t fin_u8(struct fuzz_in *in);
uint16_t fin_u16(struct fuzz_in *in);
uint32_t fin_u32(struct fuzz_in *in);
uint64_t fin_u64(struct fuzz_in *in);
/* Up to len bytes into buf (the rest zeroed); how many came from the input. */
size_t fin_bytes(struct fuzz_in *in, void *buf, size_t len);
static inline bool fin_empty(const struct fuzz_in *in)
{
	return in->n == 0;
}

/* ---- the fake VM ---- */

#define FAKE_RAM_GPA 0x40000000ULL

enum fake_gic { FAKE_GICV3_ITS, FAKE_GICV3, FAKE_GICV2M, FAKE_GICV2 };

/* A VM with ram_size bytes of RAM (one malloc of exactly that size, so ASan sees any access
 * past its end), the chosen GIC model, a PCI bridge and nr_vcpus vCPU records (no threads). */
struct vm *fake_vm_create(uint64_t ram_size, enum fake_gic gic, unsigned nr_vcpus);
/* Free the VM with its virtio devices, UART and PCI bridge, as vm_destroy does. */
void fake_vm_destroy(struct vm *vm);

/* KVM at ioctl(), answering every KVM ioctl with success (fake_vm.c sets it accept-all):
 * fake_kvm counts them, fake_kvm_get_attr answers KVM_GET_DEVICE_ATTR. */
#include "../fake/kvm_ioctl.h"
/* The devices' environment (vm->env, vm->vhost) fake_vm_create fills. */
#include "../fake/test_env.h"

/* ---- the fake I/O thread (virtio/iothread.c is not linked): submissions wait here ---- */

struct iothread;
/* The iothread fake_vm_create made. */
struct iothread *fake_io(void);
/* Run the eventfd callback registered for fd (a queue kick); false if none. */
bool fake_io_fire(struct iothread *io, int fd);
/* Complete up to max queued submissions, oldest first, doing the I/O on the real fd (or
 * failing it with -EIO when fail is set). How many completed. */
unsigned fake_io_complete(struct iothread *io, unsigned max, bool fail);
/* Submissions not yet completed. */
unsigned fake_io_pending(const struct iothread *io);

/* Write size bytes to a fresh memfd; a path that opens it (/proc/self/fd/N, in static
 * storage: copy it before the next call) and the fd in *fd_out, or NULL. */
const char *fake_file(const void *data, size_t size, int *fd_out);

#endif
