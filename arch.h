/* arch.h - the arch contract: what the portable code calls of the board. The files of
 * arch/$(ARCH)/ (the Makefile picks them, no #ifdef) implement it; no file outside arch/
 * includes an arch/ path or reads the board's memory map other than through these. */
#ifndef VMM_ARCH_H
#define VMM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct gic_layout;
struct pci_layout;
struct vm_config;
struct kvm_probe;

/* The vCPU features a VM's vCPUs were given (arch_cpu_choose), read by status and --report. */
struct cpu_features {
	bool pmu;            /* PMUv3, its overflow PPI in the IRQ map */
	bool sve;
	unsigned sve_max_vl; /* bits; 0 without SVE */
	bool pauth;          /* pointer authentication, address and generic keys */
	bool mte;            /* memory tagging */
	bool pvtime;         /* stolen time, one structure per vCPU in the pvtime region */
};

/* One region of the guest physical memory map. */
struct mem_region {
	const char *name;
	uint64_t base;
	uint64_t size;
	uint64_t align; /* required alignment of base (and of size) */
};

/* One fixed interrupt assignment: INTIDs intid .. intid + count - 1. */
struct irq_assign {
	const char *name;
	uint32_t intid; /* first INTID */
	uint32_t count;
	bool level;     /* level-sensitive (else edge) */
};

/* Boot */

/* Open and check the kernel and initrd named in vm->cfg, plan their places in RAM
 * (needs vm->mem.gpa/size, not KVM); 0 or -errno with the reason logged. */
int boot_prepare(struct vm *vm);
/* Copy what boot_prepare opened into guest RAM and close the files; 0 or -errno. */
int boot_load(struct vm *vm);
/* Close files boot_prepare left open (error paths). */
void boot_close(struct vm *vm);

/* vCPUs */

/* Choose the vCPU features from the command line and what the host offers (probe.h; no
 * KVM call): every feature the host has, unless turned off; an explicit choice the host
 * cannot give is -ENODEV with one line naming the option in err. */
int arch_cpu_choose(const struct vm_config *cfg, const struct kvm_probe *host, struct cpu_features *out,
		    char *err, size_t errlen);
/* Probe the host, choose vm->cpu (arch_cpu_choose, the reason logged) and set up what is
 * VM-wide: MTE (before any vCPU exists) and the pvtime region's memslot. After
 * KVM_CREATE_VM, before the RAM memslot; 0 or -errno. */
int vcpus_features_prepare(struct vm *vm);
/* Per-vCPU feature setup that needs the initialised vGIC: the PMU's overflow PPI and
 * init, the pvtime structures. After irqchip_finalize; 0 or -errno. */
int vcpus_features_finalize(struct vm *vm);

/* Create every vCPU (KVM_CREATE_VCPU and its init); 0 or -errno. */
int vcpus_create(struct vm *vm);
/* Point vCPU 0 at the kernel entry with the DTB where the boot protocol wants it; 0 or -errno. */
int vcpu_set_boot_regs(struct vm *vm);
/* vCPU thread body: KVM_RUN until the VM stops. arg is a struct vcpu. */
void *vcpu_thread(void *arg);
/* The guest's virtual counter of a vCPU; 0 or -errno. */
int vcpu_counter_get(struct vcpu *v, uint64_t *cnt);
/* Set it: KVM moves the virtual offset so the guest sees cnt now. 0 or -errno. */
int vcpu_counter_set(struct vcpu *v, uint64_t cnt);
/* Unmap and close every vCPU. */
void vcpus_destroy(struct vm *vm);

/* The device tree */

/* Build the guest's whole device tree for vm into buf (size bytes); 0 or -errno. */
int arch_fdt_build(struct vm *vm, void *buf, size_t size);
/* The kernel command line used without -p, with console (e.g. "ttyS0") as the console and
 * the board's UART for earlycon, into buf (len bytes, truncated to fit). */
void arch_default_cmdline(const char *console, char *buf, size_t len);

/* The memory map */

/* The guest physical memory map, *n regions in the order info mem and --report list them;
 * *ram is the index of RAM, whose size there is the most RAM a guest may have. */
const struct mem_region *arch_memmap(unsigned *n, unsigned *ram);
/* The fixed interrupt assignments, *n of them. */
const struct irq_assign *arch_irqmap(unsigned *n);
/* Guest physical address of RAM. */
uint64_t arch_ram_base(void);
/* The most RAM a guest may have (the RAM window's size), in bytes. */
uint64_t arch_ram_max(void);
/* The most vCPUs the board's interrupt controller layout holds. */
unsigned arch_max_vcpus(void);
/* INTIDs the interrupt controller is configured with: SPIs are 32 to this - 1. */
unsigned arch_nr_irqs(void);
/* Check the memory and IRQ maps for overlaps and alignment; 0 or -EINVAL (logged). */
int arch_check_layout(void);
/* Highest guest physical address a VM may use, +1: RAM ends at ram_end, nr_vcpus vCPUs,
 * virtio says whether it has virtio devices (their BARs or windows may sit high). */
uint64_t arch_ipa_top(uint64_t ram_end, unsigned nr_vcpus, bool virtio);

/* The board (arch/$(ARCH)/board.c): the one place that reads the memory and IRQ maps to
 * place devices. */

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
