/* vm.h - the virtual machine: one struct owns every fd, the memory, the bus and the devices. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "devices/bus.h"
#include "irqchip/irqchip.h"

/* Exit codes of `vmm`, documented in the README and --help. */
enum vmm_exit_code {
	VMM_EXIT_POWEROFF = 0, /* guest powered off (PSCI SYSTEM_OFF) */
	VMM_EXIT_ERROR = 1,    /* VMM error: setup or KVM failure */
	VMM_EXIT_USAGE = 2,    /* bad command line */
	VMM_EXIT_RESET = 3,    /* guest reset (PSCI SYSTEM_RESET; Linux panics end here too) */
	VMM_EXIT_CRASH = 4,    /* guest crash reported by KVM (KVM_SYSTEM_EVENT_CRASH) */
	VMM_EXIT_SIGNAL = 128, /* + signal number: stopped by SIGINT/SIGTERM/SIGHUP */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	uint64_t mpidr;        /* MPIDR_EL1 as KVM set it (KVM_GET_ONE_REG) */
	pthread_t thread;
	bool thread_started;
};

struct gic_state {
	int dev_fd;            /* KVM_DEV_TYPE_ARM_VGIC_V2/V3, -1 if none */
	int its_fd;            /* KVM_DEV_TYPE_ARM_VGIC_ITS, -1 if none */
	uint32_t phandle;
	uint32_t its_phandle;
	unsigned nr_redist_regions;
	bool its_enabled;      /* GICv3 ITS requested and created */
	struct gicv2m *v2m;    /* GICv2m frame, NULL if none */
	uint32_t v2m_first_spi;  /* GICv2m: the frame's SPIs */
	unsigned v2m_nr_spis;
};

struct boot_info {
	uint64_t kernel_gpa;   /* load address = entry point */
	uint64_t kernel_end;   /* load address + max(image_size, file size) */
	uint64_t initrd_gpa;
	uint64_t initrd_size;
	uint64_t dtb_gpa;
	uint64_t dtb_max;      /* room reserved for the DTB */
	int kernel_fd;         /* open between boot_prepare and boot_load */
	int initrd_fd;
	uint64_t kernel_file_size;
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	unsigned ipa_bits;

	uint64_t ram_gpa;
	uint64_t ram_size;
	uint8_t *ram;          /* host mapping of guest RAM (2 MiB aligned, for THP) */
	void *ram_map;         /* the whole mmap, for munmap */
	size_t ram_map_size;

	const struct irqchip_ops *gic_ops;
	struct gic_state gic;
	struct irq_routing routing;

	unsigned nr_vcpus;
	struct vcpu *vcpus;

	struct mmio_bus mmio;
	struct pci_bus *pci;   /* NULL without PCI devices */
	struct iothread *io;   /* NULL without virtio devices */
	struct virtio_dev *virtio[CLI_MAX_DISKS + 2];
	unsigned nr_virtio;
	struct uart *uart;
	/* Where console input goes: the UART, or virtio-console's receiveq. */
	size_t (*console_in)(void *dev, const uint8_t *buf, size_t len);
	void *console_dev;
	struct boot_info boot;
	void *fdt;

	int stop_fd;           /* eventfd: written when the VM must stop */
	atomic_bool stopping;
	atomic_int exit_code;
	bool tty_raw;
};

/* Host pointer for guest range [gpa, gpa + len) if wholly inside RAM, else NULL. */
void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
/* Ask the VM to stop with an exit code; the first request wins. Safe from any thread. */
void vm_request_stop(struct vm *vm, int exit_code);
/* Build the whole VM from a config: KVM, RAM, vGIC, vCPUs, devices, kernel, DTB; 0 or -errno. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
/* Run until the guest stops; returns the vmm exit code. */
int vm_run(struct vm *vm);
/* Release everything vm_create acquired; safe on a partially built VM. */
void vm_destroy(struct vm *vm);

#endif
