/* arch.h - arm64: kernel loading (Documentation/arch/arm64/booting.rst), vCPUs, FDT nodes. */
#ifndef VMM_ARM64_ARCH_H
#define VMM_ARM64_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "../../cli.h"

struct vm;
struct vcpu;
struct boot_info;
struct gic_layout;
struct pci_layout;

#define ARM64_IMAGE_MAGIC       0x644d5241u /* "ARM\x64" at offset 56 */
#define ARM64_IMAGE_HEADER_SIZE 64
#define ARM64_RAW_TEXT_OFFSET   0x80000     /* --kernel-format=raw, and pre-3.17 Images */

struct kernel_image {
	uint64_t text_offset;
	uint64_t image_size; /* bytes the kernel occupies once loaded, bss included */
	uint64_t file_size;
};

/* Parse an Image header (or describe a raw payload); 0 or -EINVAL/-ENOEXEC, reason in why. */
int image_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size, enum kernel_format fmt,
		struct kernel_image *ki, char *why, size_t whylen);
/* Place kernel, initrd and DTB in RAM; 0 or -ENOMEM with a reason naming what does not fit. */
int boot_plan(uint64_t ram_gpa, uint64_t ram_size, const struct kernel_image *ki,
	      uint64_t initrd_size, uint64_t dtb_max, struct boot_info *bi, char *why, size_t whylen);
/* Open and check the kernel and initrd named in vm->cfg, plan their places in RAM
 * (needs vm->mem.gpa/size, not KVM); 0 or -errno with the reason logged. */
int boot_prepare(struct vm *vm);
/* Copy what boot_prepare opened into guest RAM and close the files; 0 or -errno. */
int boot_load(struct vm *vm);
/* Close files boot_prepare left open (error paths). */
void boot_close(struct vm *vm);

/* Create every vCPU: KVM_CREATE_VCPU, KVM_ARM_VCPU_INIT with PSCI 0.2, read MPIDR; 0 or -errno. */
int vcpus_create(struct vm *vm);
/* Point vCPU 0 at the kernel entry with x0 = DTB; 0 or -errno. */
int vcpu_set_boot_regs(struct vm *vm);
/* vCPU thread body: KVM_RUN until the VM stops. arg is a struct vcpu. */
void *vcpu_thread(void *arg);
/* The guest's virtual counter (CNTVCT_EL0, KVM_REG_ARM_TIMER_CNT) of a vCPU; 0 or -errno. */
int vcpu_counter_get(struct vcpu *v, uint64_t *cnt);
/* Set it: KVM moves the virtual offset so the guest sees cnt now. 0 or -errno. */
int vcpu_counter_set(struct vcpu *v, uint64_t cnt);
/* Unmap and close every vCPU. */
void vcpus_destroy(struct vm *vm);

/* Add cpus, psci and timer nodes to the tree being written; 0 or -errno. */
int arch_fdt_nodes(struct vm *vm, void *fdt);

/* board.c: the one place that reads the memory and IRQ maps to place devices. */
/* The GIC's place in the guest memory and IRQ maps (memmap.h). */
void board_gic_layout(struct gic_layout *l);
/* Where the PCI host bridge's ECAM and BAR windows are. */
void board_pci_layout(struct pci_layout *l);
/* Fill vm->vhost: vm->env, vm->io, vm->pci (NULL: virtio-mmio), the virtio-mmio windows. */
void board_virtio_host(struct vm *vm);
/* Create the devices vm->cfg asks for from vm->env: the 16550, test-exit, and with virtio
 * devices the I/O thread, the PCI bridge (or virtio-mmio windows) and the devices; each is
 * registered in vm->devices. 0 or -errno (what was created stays listed for vm_destroy). */
int board_create_devices(struct vm *vm);
/* After an abandoned drain: take the virtio devices off vm->devices, so that destroying the
 * list leaves them (and the disks' files, the RAM their requests use) to the process exit. */
void board_forget_virtio(struct vm *vm);

#endif
