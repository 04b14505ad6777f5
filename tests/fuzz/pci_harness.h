/* pci_harness.h - shared by fuzz_pci and fuzz_msix: a fake VM with two virtio-pci functions
 * (virtio-rng in slot 0, virtio-console in slot 1) and the guest's view of them. */
#ifndef VMM_FUZZ_PCI_HARNESS_H
#define VMM_FUZZ_PCI_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"

#define PCI_RAM_SIZE 0x10000u

/* The VM (GIC model from one input byte) with both functions created and watched. */
struct vm *pci_vm_create(struct fuzz_in *in);
/* A guest MMIO access of len bytes at gpa; the value read (or 0 for a write). */
uint64_t pci_access(struct vm *vm, uint64_t gpa, unsigned len, bool write, uint64_t val);
/* An access width a guest might use: 1, 2, 4, 8 and the invalid 3. */
unsigned pci_pick_width(struct fuzz_in *in);
/* The ECAM address of a config register. */
uint64_t pci_ecam(unsigned slot, unsigned fn, unsigned reg);
/* A config read or write of any width at any register of slots 0-2 (or any slot). */
void pci_cfg_op(struct vm *vm, struct fuzz_in *in, bool write);
/* An access at offset off of a device's BAR0, mapped or not. */
void pci_bar_op(struct vm *vm, struct fuzz_in *in, uint32_t off, bool write, uint64_t val);
/* Size BAR0 of a device, move it, set the command register. */
void pci_bar_move(struct vm *vm, struct fuzz_in *in);
/* Invariants: no overlapping regions on the bus; mapped BARs inside the PCI window. */
void pci_check(struct vm *vm);
/* A queue kick reaching the I/O thread. */
void pci_kick(struct vm *vm, struct fuzz_in *in);
/* A queue interrupt or a config-change interrupt from the device. */
void pci_interrupt(struct vm *vm, struct fuzz_in *in);

#endif
